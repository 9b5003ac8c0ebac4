"""WCAG 2.1 A and AA with axe-core (the npm package, injected by Playwright) on one journey per role and on
every form, at 360 and 1280 px; and no page wider than the screen at 360 px.

Any violation fails the test with its rule, impact and the first nodes. `npm ci` (run by `.ci/run` and
`make test`) installs axe-core into node_modules/; without it these tests skip and say so.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (360, 1280)

COMPANY = ("inkoop@vandijk.demo", "demo-company-2026")
OFFICER = ("officer@amersfoort.demo", "demo-officer-2026")
ADVISER = ("adviseur@wsp-amersfoort.demo", "demo-adviser-2026")
INITIATIVE = ("info@voedselbank-amsterdam-noord.demo", "demo-initiative-2026")
ADMIN = ("admin@srx.demo", "demo-admin-2026")

# One journey per role: the pages a person of that role goes through, in order.
JOURNEYS: dict[str, tuple[tuple[str, str] | None, list[str]]] = {
    "visitor": (
        None,
        [
            "/",
            "/catalogue",
            "/catalogue?q=voedselbnk",
            "/initiatives/voedselbank-amsterdam-noord",
            "/open-data",
            "/login",
        ],
    ),
    "company": (
        COMPANY,
        [
            "/company/",
            "/company/contracts/{AMS-2025-0417}",
            "/company/contracts/{AMS-2025-0417}/pledge",
            "/company/contracts/{AMS-2025-0417}/placement",
            "/catalogue?q=voedselbank",
            "/initiatives/voedselbank-amsterdam-noord",
            "/company/pledge",
            "/company/contracts/{AMS-2025-0417}/realisation",
            "/company/contracts/{AMF-2026-190}/plan-van-aanpak",
            "/company/certificates",
            "/company/report",
            "/company/report?year=2026",
            "/company/report/2026/statement",
        ],
    ),
    "officer": (
        OFFICER,
        [
            "/officer/",
            "/officer/check",
            "/officer/risk",
            "/officer/contracts",
            "/officer/contracts/{AMF-2024-102}",
            "/officer/contracts/{AMF-2024-102}/reports",
            "/officer/contracts/{AMF-2024-102}/settle",
            "/officer/eligibility",
            "/officer/suppliers",
            "/officer/contracts/new",
            "/officer/report",
            "/officer/report?year=2025",
            "/officer/report/2025/statement",
        ],
    ),
    "adviser": (ADVISER, ["/officer/check", "/officer/contracts/{BRN-2026-012}/plan"]),
    "initiative": (
        INITIATIVE,
        [
            "/initiative/",
            "/initiative/needs",
            "/initiative/needs/new",
            "/initiative/handprint",
            "/initiative/profile",
        ],
    ),
    "admin": (
        ADMIN,
        [
            "/admin/",
            "/admin/governments",
            "/admin/governments/{gov:amsterdam}/tables/new",
            "/admin/governments/{gov:amsterdam}/edit",
            "/admin/companies",
            "/admin/companies/{company:bouwbedrijf-van-dijk}/edit",
            "/admin/companies/{company:bouwbedrijf-van-dijk}/certificates",
            "/admin/users",
            "/admin/users/new",
            "/admin/users/{user:inkoop@vandijk.demo}/edit",
            "/admin/users/{user:inkoop@vandijk.demo}/active?active=0",
        ],
    ),
}

# Forms submitted empty (or with wrong values): the page with every error must pass axe too.
FORMS: list[tuple[tuple[str, str], str, str]] = [
    (COMPANY, "/company/contracts/{AMS-2025-0417}/pledge", "#pledge-form button[type=submit]"),
    (COMPANY, "/company/contracts/{AMS-2025-0417}/placement", "#pledge-form button[type=submit]"),
    (COMPANY, "/company/contracts/{AMF-2026-190}/plan-van-aanpak", "button[name=action][value=submit]"),
    (COMPANY, "/company/certificates", "main form button[type=submit]"),
    (OFFICER, "/officer/contracts/new", "main form button[type=submit]"),
    (OFFICER, "/officer/contracts/{AMF-2024-102}/settle", "main form button[type=submit]"),
    (OFFICER, "/officer/suppliers", "#supplier-form button[type=submit]"),
    (INITIATIVE, "/initiative/needs/new", "main form button[type=submit]"),
    (ADMIN, "/admin/users/new", "main form button[type=submit]"),
    (ADMIN, "/admin/governments/{gov:amsterdam}/edit", "main form button[type=submit]"),
    (
        ADMIN,
        "/admin/companies/{company:bouwbedrijf-van-dijk}/certificates",
        "#certificate-form button[type=submit]",
    ),
    (
        ADMIN,
        "/admin/governments/{gov:amsterdam}/tables/new",
        "#table-form > button[type=submit]:not(.visually-hidden)",
    ),
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm ci` (node and npm are needed; .ci/run does it)")
    return AXE.read_text(encoding="utf-8")


def _url(app: Any, path: str) -> str:
    """Replace {REFERENCE} by that contract's id ({gov:slug} and {user:email} by those ids)."""
    from sqlmodel import Session, select

    from marketplace.models import Company, Contract, Government, User

    if "{" not in path:
        return path
    ref = path[path.index("{") + 1 : path.index("}")]
    with Session(app.extensions["srx.engine"]) as session:
        if ref.startswith("gov:"):  # {gov:amsterdam}: that government's id
            row: Any = session.exec(select(Government).where(Government.slug == ref[4:])).one()
        elif ref.startswith("company:"):  # {company:slug}: that company's id
            row = session.exec(select(Company).where(Company.slug == ref[8:])).one()
        elif ref.startswith("user:"):  # {user:a@b.nl}: that user's id
            row = session.exec(select(User).where(User.email == ref[5:])).one()
        else:
            row = session.exec(select(Contract).where(Contract.reference == ref)).one()
    return path.replace("{" + ref + "}", str(row.id))


def _violations(page: Any, axe: str) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol, so the page's Content-Security-Policy (no inline scripts) allows it.
    page.evaluate(axe)
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
             const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
           }""",
        TAGS,
    )
    return result


def _check(page: Any, axe: str, where: str, problems: list[str]) -> None:
    for v in _violations(page, axe):
        problems.append(f"{where}: {v['id']} ({v['impact']}) {v['help']} at {json.dumps(v['nodes'])}")
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    if width > viewport:
        problems.append(f"{where}: the page is {width} px wide at {viewport} px")


@pytest.mark.parametrize("role", sorted(JOURNEYS))
def test_every_page_of_a_journey_passes_axe_at_360_and_1280(
    server: tuple[str, Any], browser: Any, axe_source: str, shots: Path, role: str
) -> None:
    base, app = server
    account, paths = JOURNEYS[role]
    problems: list[str] = []
    for width in WIDTHS:
        if account:
            page = login(browser, base, *account)
        else:
            page = browser.new_page()
            page.js_errors = []
            page.on("pageerror", lambda exc, errors=page.js_errors: errors.append(str(exc)))
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            url = _url(app, path)
            response = page.goto(f"{base}{url}")
            assert response is not None and response.status == 200, (
                f"{role} {url}: {response and response.status}"
            )
            _check(page, axe_source, f"{role} {url} at {width}", problems)
        if width == 360:
            page.goto(f"{base}{_url(app, paths[0])}")
            page.screenshot(path=str(shots / f"13-{role}-360.png"), full_page=True)
        assert not page.js_errors, page.js_errors
        page.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("account", "path", "submit"), FORMS, ids=[f[1] for f in FORMS])
def test_a_form_with_errors_passes_axe_and_lists_every_error(
    server: tuple[str, Any],
    browser: Any,
    axe_source: str,
    shots: Path,
    account: tuple[str, str],
    path: str,
    submit: str,
) -> None:
    base, app = server
    page = login(browser, base, *account)
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}{_url(app, path)}")
        for field in page.locator(
            "main form input[type=text], main form input[type=date], main form textarea"
        ).all():
            if field.is_visible() and field.is_editable():
                field.fill("")
        page.click(submit)
        page.wait_for_load_state()
        summary = page.locator("[data-error-summary], .flash-error")
        assert summary.count() >= 1, f"{path}: no error summary after an empty submit"
        _check(page, axe_source, f"{path} with errors at {width}", problems)
    page.screenshot(
        path=str(shots / f"13-form-errors-{path.strip('/').replace('/', '-')[:60]}.png"), full_page=True
    )
    assert problems == [], "\n".join(problems)


def test_approving_asks_first_and_the_confirmation_and_undo_pass_axe(
    server: tuple[str, Any], browser: Any, axe_source: str, shots: Path
) -> None:
    """The officer's confirmation page (value, unit, quantity, company, initiative) and the undo that follows."""
    from sqlmodel import Session, col, select

    from marketplace.models import Contract, Government, Match

    base, app = server
    with Session(app.extensions["srx.engine"]) as session:
        match_id = session.exec(
            select(Match.id)
            .join(Contract, col(Contract.id) == Match.contract_id)
            .join(Government, col(Government.id) == Contract.government_id)
            .where(Government.slug == "amersfoort", Match.status == "proposed")
            .order_by(col(Match.id))
        ).first()
    assert match_id is not None, "the seeds have a proposed pledge at Amersfoort"
    page = login(browser, base, *OFFICER)
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/officer/matches/{match_id}")
        page.click("form[action$='/approve'] button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#confirm-value").count() == 1
        _check(page, axe_source, f"approve confirmation at {width}", problems)
        if width == 360:
            page.screenshot(path=str(shots / "13-officer-approve-confirm-360.png"), full_page=True)
    page.click("#confirm button[type=submit]")
    page.wait_for_load_state()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/officer/", f"/officer/matches/{match_id}"):
            page.goto(f"{base}{path}")
            assert page.locator("#undo").count() == 1, f"{path}: no undo after approving"
            _check(page, axe_source, f"{path} with undo at {width}", problems)
    page.click("#undo button[type=submit]")  # back to the seed state for the other tests
    page.wait_for_load_state()
    with Session(app.extensions["srx.engine"]) as session:
        assert session.get(Match, match_id).status == "proposed"  # type: ignore[union-attr]
    assert problems == [], "\n".join(problems)
