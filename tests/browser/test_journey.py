"""The whole journey in headless Chromium, on the demo seeds, with CSRF on and a real server.

The company pledges 10 employee-hours to the food bank (the live preview shows EUR 1,000), the
Amsterdam officer approves, the company's remaining obligation drops by exactly EUR 1,000, and the
food bank confirms delivery. Screenshots go to SRX_SCREENSHOTS (default: pytest's tmp folder).
"""

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.models import Contract, Match
from marketplace.queries import contract_totals
from tests.browser.conftest import login
from tests.browser.test_accessibility import AXE, _violations

pytestmark = pytest.mark.browser


def _totals(app: Any, reference: str) -> Any:
    with Session(app.extensions["srx.engine"]) as session:
        contract = session.exec(select(Contract).where(Contract.reference == reference)).one()
        return contract, contract_totals(session, [contract])[contract.id]


def test_pledge_approve_and_deliver_in_the_browser(
    server: tuple[str, Any], browser: Any, shots: Path
) -> None:
    from playwright.sync_api import expect

    base, app = server
    contract, before = _totals(app, "AMS-2025-0417")

    # The company finds the food bank's need on its public page, pledges from there, chooses the contract
    # it counts for, and sees the valuation before submitting.
    page = login(browser, base, "inkoop@vandijk.demo", "demo-company-2026")
    page.goto(f"{base}/initiatives/voedselbank-amsterdam-noord")
    need = page.locator("section.card", has_text="Chauffeurs voor de zaterdagronde").first
    need.locator("a[href*='/company/pledge?need=']").click()
    page.wait_for_load_state()
    assert "AMS-2025-0417" in page.inner_text("#eligible-contracts")
    page.screenshot(path=str(shots / "1a-company-choose-contract.png"), full_page=True)
    page.click(f'#eligible-contracts a[href*="/company/contracts/{contract.id}/pledge?need="]')
    page.wait_for_load_state()
    chosen = page.eval_on_selector("#f-target", "el => el.options[el.selectedIndex].text")
    assert "Chauffeurs voor de zaterdagronde" in chosen, chosen
    # Choosing an hours need pre-selects the first block that fits it; pick the employee-hour one.
    assert page.eval_on_selector("#f-block", "el => el.value"), "a block that fits the need is chosen"
    page.select_option("#f-block", value="employee_hour")
    page.fill("#f-quantity", "10")
    # The preview updates as the user types; it must settle on 10 x EUR 100.
    expect(page.locator("#preview-value")).to_have_text(re.compile(r"^€\s1\.000,00$"), timeout=5000)
    page.screenshot(path=str(shots / "1-company-pledge-preview.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/company/contracts/" in page.url
    with Session(app.extensions["srx.engine"]) as session:
        match = session.exec(select(Match).order_by(Match.id.desc())).first()  # type: ignore[union-attr]
    assert match is not None and match.status == "proposed" and match.value_cents == 100_000
    assert not page.js_errors

    # The Amsterdam officer finds it in the queue and approves it.
    officer = login(browser, base, "officer@amsterdam.demo", "demo-officer-2026")
    officer.goto(f"{base}/officer/")
    officer.screenshot(path=str(shots / "2-officer-queue.png"), full_page=True)
    officer.goto(f"{base}/officer/matches/{match.id}")
    officer.click("form[action$='/approve'] button[type=submit]")
    officer.wait_for_load_state()
    # Approving asks first, repeating the value; the officer confirms.
    assert "1.000,00" in officer.inner_text("#confirm-value")
    officer.screenshot(path=str(shots / "2b-officer-confirm.png"), full_page=True)
    officer.click("#confirm button[type=submit]")
    officer.wait_for_load_state()
    assert officer.locator("#undo").count() == 1  # the approval can be undone for a few minutes
    _, after = _totals(app, "AMS-2025-0417")
    assert after.remaining_cents == before.remaining_cents - 100_000
    assert after.committed_cents == before.committed_cents + 100_000

    # The company sees the remaining obligation drop by exactly the block value.
    page.goto(f"{base}/company/contracts/{contract.id}")
    shown = page.inner_text("#remaining").replace("\xa0", " ")
    expected = f"€ {after.remaining_cents // 100:,}".replace(",", ".") + f",{after.remaining_cents % 100:02d}"
    assert shown == expected, (shown, expected)
    page.screenshot(path=str(shots / "3-company-after-approval.png"), full_page=True)

    # The food bank confirms delivery; the pledge counts as realised.
    ini = login(browser, base, "info@voedselbank-amsterdam-noord.demo", "demo-initiative-2026")
    ini.goto(f"{base}/initiative/pledges/{match.id}")
    ini.fill("#f-note", "Tien uur gereden op zaterdag, dank!")
    ini.click("#deliver button[type=submit]")
    ini.wait_for_load_state()
    ini.screenshot(path=str(shots / "4-initiative-delivered.png"), full_page=True)
    _, final = _totals(app, "AMS-2025-0417")
    assert final.realised_cents == before.realised_cents + 100_000
    with Session(app.extensions["srx.engine"]) as session:
        assert session.get(Match, match.id).status == "delivered"  # type: ignore[union-attr]
    assert not officer.js_errors and not ini.js_errors

    # A recommended pledge is reviewed before it is made: the review repeats what and what it is worth, and
    # "Change" opens the full form with those values. Nothing is pledged until "Confirm pledge".
    pledged = _totals(app, "AMS-2025-0417")[1].pending_cents
    page.goto(f"{base}/company/contracts/{contract.id}#recommended")
    page.locator(".recommendation form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("#confirm-pledge").count() == 1
    assert "€" in page.inner_text(".breakdown .total")
    if AXE.is_file():
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            violations = _violations(page, AXE.read_text(encoding="utf-8"))
            assert violations == [], violations
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(shots / "4b-company-review-recommended-pledge.png"), full_page=True)
    assert _totals(app, "AMS-2025-0417")[1].pending_cents == pledged
    page.click("#pledge-review a.button.secondary")
    page.wait_for_load_state()
    assert page.locator("#pledge-form").count() == 1 and page.eval_on_selector("#f-block", "el => el.value")
    assert not page.js_errors


def test_catalogue_search_with_a_typo_in_the_browser(
    server: tuple[str, Any], browser: Any, shots: Path
) -> None:
    base, _app = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/catalogue?q=voedselbnk")
    titles = page.locator(".card h3").all_inner_texts()
    assert any(re.search("Voedselbank", t) for t in titles), titles
    assert page.locator("mark").count() > 0
    page.screenshot(path=str(shots / "5-catalogue-typo.png"), full_page=True)


def _advance(app: Any, day: Any) -> None:
    """The nightly job, run as if it were `day`."""
    from marketplace.db import unit_of_work
    from marketplace.services.settlements import advance

    with (
        app.app_context(),
        Session(app.extensions["srx.engine"], expire_on_commit=False) as session,
        unit_of_work(session),
    ):
        advance(session, today=day)


def test_a_contract_from_award_to_settlement_in_the_browser(
    server: tuple[str, Any], browser: Any, shots: Path, tmp_path: Path
) -> None:
    """Issue 9: award, plan van aanpak, a placement, a quarterly report with evidence, the officer's check,
    the end date, a recovery period and a financial settlement with its printable statement."""
    from datetime import date, timedelta

    from marketplace.models import Company, Evidence, RealisationReport, Settlement
    from marketplace.seeding_lifecycle import demo_pdf

    base, app = server
    today = date.today()
    award, end = today - timedelta(days=100), today + timedelta(days=5)
    with Session(app.extensions["srx.engine"]) as session:
        company = session.exec(select(Company).where(Company.slug == "koers-advies")).one()

    # 1. The Amersfoort officer registers the award.
    officer = login(browser, base, "officer@amersfoort.demo", "demo-officer-2026")
    officer.goto(f"{base}/officer/contracts/new")
    officer.select_option("#f-company_id", value=str(company.id))
    officer.fill("#f-reference", "AMF-2026-900")
    officer.fill("#f-title", "Advies herinrichting wijkteams")
    officer.fill("#f-sum", "300.000,00")
    officer.fill("#f-award_date", award.isoformat())
    officer.fill("#f-end_date", end.isoformat())
    officer.click("form button[type=submit]")
    officer.wait_for_load_state()
    contract_url = officer.url
    contract_id = int(contract_url.rstrip("/").rsplit("/", 1)[-1])
    assert officer.locator("#lifecycle .badge-plan_due").count() == 1

    # 2. The company writes its plan van aanpak; the WSP adviser approves it.
    company_page = login(browser, base, "office@koers-advies.demo", "demo-company-2026")
    company_page.goto(f"{base}/company/contracts/{contract_id}/plan-van-aanpak")
    company_page.fill("#f-text", "Wij plaatsen een kandidaat van het WSP als projectondersteuner.")
    company_page.check("input[name=routes][value=paid_work]")
    company_page.select_option("select[name=placement-1-target_group]", value="participatiewet")
    company_page.fill("input[name=placement-1-persons]", "1")
    company_page.fill("input[name=placement-1-months]", "3")
    company_page.click("button[name=action][value=submit]")
    company_page.wait_for_load_state()
    assert company_page.locator(".badge-submitted").count() == 1
    adviser = login(browser, base, "adviseur@wsp-amersfoort.demo", "demo-adviser-2026")
    adviser.goto(f"{base}/officer/contracts/{contract_id}/plan")
    adviser.click("button[name=decision][value=approve]")
    adviser.wait_for_load_state()
    assert adviser.locator(".badge-approved").count() == 1
    with Session(app.extensions["srx.engine"]) as session:
        assert session.get(Contract, contract_id).status == "plan_approved"  # type: ignore[union-attr]

    # 3. The company registers the placement; the officer approves it.
    company_page.goto(f"{base}/company/contracts/{contract_id}/placement")
    company_page.select_option("#f-block", value="participatiewet")
    company_page.fill("#f-person_reference", "KA-0901")
    company_page.select_option("#f-target_group", value="participatiewet")
    company_page.select_option("#f-proof_kind", index=1)
    company_page.fill("#f-start_date", (award + timedelta(days=1)).isoformat())
    company_page.fill("#f-end_date", end.isoformat())
    company_page.fill("#f-hours_per_week", "36")
    company_page.click("#pledge-form button[type=submit]")
    company_page.wait_for_load_state()
    with Session(app.extensions["srx.engine"]) as session:
        match = session.exec(select(Match).where(Match.contract_id == contract_id)).one()
    officer.goto(f"{base}/officer/matches/{match.id}")
    officer.click("form[action$='/approve'] button[type=submit]")
    officer.wait_for_load_state()
    officer.click("#confirm button[type=submit]")
    officer.wait_for_load_state()

    # 4. A quarterly report with a payslip; a wrong file first gets a clear message and stores nothing.
    company_page.goto(f"{base}/company/contracts/{contract_id}/realisation")
    fake = tmp_path / "loonstrook.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    form = company_page.locator(f"#contribution-{match.id} form")
    form.locator("input[name=quantity]").fill("1")
    form.locator("select[name=kind]").select_option("payslip")
    form.locator("input[type=file]").set_input_files(str(fake))
    form.locator("button[type=submit]").click()
    company_page.wait_for_load_state()
    assert "loonstrook.pdf" in company_page.inner_text(".flash-error")  # the message names the file
    with Session(app.extensions["srx.engine"]) as session:
        assert (
            session.exec(select(RealisationReport).where(RealisationReport.match_id == match.id)).first()
            is None
        )
    real = tmp_path / "loonstrook-kwartaal.pdf"
    real.write_bytes(demo_pdf("Loonstrook", ["KA-0901", "1 maand, 36 uur per week"]))
    form = company_page.locator(f"#contribution-{match.id} form")
    form.locator("input[name=quantity]").fill("1")
    form.locator("select[name=kind]").select_option("payslip")
    form.locator("input[type=file]").set_input_files(str(real))
    form.locator("button[type=submit]").click()
    company_page.wait_for_load_state()
    with Session(app.extensions["srx.engine"]) as session:
        report = session.exec(select(RealisationReport).where(RealisationReport.match_id == match.id)).one()
        files = session.exec(select(Evidence).where(Evidence.report_id == report.id)).all()
    assert report.status == "submitted" and [f.filename for f in files] == ["loonstrook-kwartaal.pdf"]

    # 5. The officer's periodic check and risk overview list it; the officer opens the evidence and accepts.
    officer.goto(f"{base}/officer/check")
    officer.screenshot(path=str(shots / "9-1-periodic-check.png"), full_page=True)
    officer.goto(f"{base}/officer/contracts/{contract_id}/reports")
    with officer.expect_download() as download:
        officer.click(f"a[href$='/officer/evidence/{files[0].id}']")
    assert download.value.path().read_bytes()[:5] == b"%PDF-"
    officer.locator(f"#report-{report.id} button[name=decision][value=accept]").click()
    officer.wait_for_load_state()
    assert officer.locator(f"#report-{report.id} .badge-accepted").count() == 1

    # 6. The end date passes (the nightly job runs on a later day): the contract goes to settlement.
    _advance(app, end + timedelta(days=1))
    officer.goto(contract_url)
    assert officer.locator("#lifecycle .badge-settlement").count() == 1
    officer.locator("#burndown").screenshot(path=str(shots / "9-2-burn-down.png"))
    officer.goto(f"{base}/officer/risk")
    assert "AMF-2026-900" in officer.inner_text("#risk-table")
    officer.screenshot(path=str(shots / "9-3-risk-overview.png"), full_page=True)

    # 7. A recovery period; after it, still short: a financial settlement, withheld.
    officer.goto(f"{base}/officer/contracts/{contract_id}/settle")
    officer.check("input[name=kind][value=recovery]")
    officer.fill("#f-recovery_until", (today + timedelta(days=30)).isoformat())
    officer.fill("#f-reason", "Een tweede kandidaat start volgende maand.")
    officer.click("form button[type=submit]")
    officer.wait_for_load_state()
    assert officer.locator("#lifecycle .badge-recovery").count() == 1
    _advance(app, today + timedelta(days=31))
    officer.goto(f"{base}/officer/contracts/{contract_id}/settle")
    officer.check("input[name=kind][value=financial]")
    officer.select_option("#f-method", value="withhold")
    officer.fill("#f-reason", "Na de herstelperiode is het tekort niet ingelopen.")
    officer.click("form button[type=submit]")
    officer.wait_for_load_state()
    assert "/officer/settlements/" in officer.url
    with Session(app.extensions["srx.engine"]) as session:
        settlement = session.exec(
            select(Settlement).where(Settlement.contract_id == contract_id, Settlement.kind == "financial")
        ).one()
        contract = session.get(Contract, contract_id)
        totals = contract_totals(session, [contract])[contract_id]  # type: ignore[list-item]
    assert settlement.amount_cents == totals.obligation_cents - totals.verified_cents > 0
    assert contract is not None and contract.status == "settled"
    amount = officer.inner_text("#amount").replace("\xa0", " ")
    assert f"{settlement.amount_cents // 100:,}".replace(",", ".") in amount
    officer.emulate_media(media="print")
    officer.screenshot(path=str(shots / "9-4-settlement-statement.png"), full_page=True)
    # Settled is read-only: the company can no longer report or pledge.
    company_page.goto(f"{base}/company/contracts/{contract_id}/realisation")
    assert company_page.locator(f"#contribution-{match.id} form").count() == 0
    assert not officer.js_errors and not company_page.js_errors and not adviser.js_errors
