"""The whole journey in headless Chromium, on the demo seeds, with CSRF on and a real server.

The company pledges 10 employee-hours to the food bank (the live preview shows EUR 1,000), the
Amsterdam officer approves, the company's remaining obligation drops by exactly EUR 1,000, and the
food bank confirms delivery. Screenshots go to SRX_SCREENSHOTS (default: pytest's tmp folder).
"""

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.migrate import upgrade
from marketplace.models import Contract, Match
from marketplace.queries import contract_totals
from marketplace.search_sync import get_backend, reindex
from marketplace.seeding import load_seeds

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'srx.sqlite3'}"
    upgrade("head", url=url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SEARCH_SQLITE_PATH": str(folder / "search.sqlite3"),
            "SECRET_KEY": "browser-test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "MODEL_PATH": str(folder / "model.skops"),
        }
    )
    with app.app_context(), Session(app.extensions["srx.engine"], expire_on_commit=False) as session:
        load_seeds(session, SEEDS)
        reindex(session, get_backend())
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(server: tuple[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("SRX_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _login(browser: Any, base: str, email: str, password: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login failed for {email}"
    page.js_errors = errors
    return page


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

    # The company pledges 10 hours to the food bank and sees the valuation before submitting.
    page = _login(browser, base, "inkoop@vandijk.demo", "demo-company-2026")
    page.goto(f"{base}/company/contracts/{contract.id}")
    page.click(f'a[href$="/company/contracts/{contract.id}/pledge"]')
    target = page.locator("#f-target option", has_text="Chauffeurs voor de zaterdagronde").first
    page.select_option("#f-target", value=target.get_attribute("value"))
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
    officer = _login(browser, base, "officer@amsterdam.demo", "demo-officer-2026")
    officer.goto(f"{base}/officer/")
    officer.screenshot(path=str(shots / "2-officer-queue.png"), full_page=True)
    officer.goto(f"{base}/officer/matches/{match.id}")
    officer.click("form[action$='/approve'] button[type=submit]")
    officer.wait_for_load_state()
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
    ini = _login(browser, base, "info@voedselbank-amsterdam-noord.demo", "demo-initiative-2026")
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
