"""The officer approves in the browser; the company's bell shows it, and the Dutch e-mail arrives.

A real server on the demo seeds, a real Huey consumer (worker threads and the scheduler, on SQLite storage in
a temporary folder) and a real SMTP server in the test process: the request only commits and queues, the
consumer sends.
"""

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from huey.storage import SqliteStorage
from sqlmodel import Session, select
from werkzeug.serving import make_server

from marketplace import create_app, jobs
from marketplace.db import unit_of_work
from marketplace.migrate import upgrade
from marketplace.models import Contract, Match, Need, SmartPlan, User
from marketplace.search_sync import get_backend, reindex
from marketplace.seeding import load_seeds
from marketplace.services.pledges import PledgeRequest, create_pledge
from tests.browser.conftest import CHROMIUM, SEEDS, login
from tests.jobs.conftest import Inbox, _free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Inbox]]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    folder = tmp_path_factory.mktemp("notify-browser")
    inbox, port = Inbox(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    url = f"sqlite:///{folder / 'srx.sqlite3'}"
    upgrade("head", url=url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SEARCH_SQLITE_PATH": str(folder / "search.sqlite3"),
            "SECRET_KEY": "browser-test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "MODEL_PATH": str(folder / "model.skops"),
            "EVIDENCE_PATH": str(folder / "evidence"),
            "MAIL_URL": f"smtp://127.0.0.1:{port}",
            "BASE_URL": "https://srx.example.nl",
            "JOBS_IMMEDIATE": False,
        }
    )
    with app.app_context(), Session(app.extensions["srx.engine"], expire_on_commit=False) as session:
        load_seeds(session, SEEDS)
        session.commit()
        reindex(session, get_backend())
    # The real queue: SQLite storage, a consumer with two worker threads and its scheduler.
    was_immediate, was_storage = jobs.huey.immediate, jobs.huey.storage
    jobs.huey.immediate = False
    jobs.huey.storage = SqliteStorage("srx-test", filename=str(folder / "jobs.sqlite3"))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = jobs.huey.create_consumer(
        workers=2, periodic=False, worker_type="thread", initial_delay=0.05, max_delay=0.2
    )
    consumer.start()
    for s, h in handlers.items():  # the consumer took the signals; pytest keeps its own
        signal.signal(s, h)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app, inbox
    httpd.shutdown()
    consumer.stop(graceful=True)
    jobs.huey.immediate, jobs.huey.storage = was_immediate, was_storage
    smtp.stop()


def _wait_for(predicate: Any, seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_officer_approves_the_bell_counts_it_and_the_dutch_mail_arrives(
    live: tuple[str, Any, Inbox], browser: Any, shots: Path
) -> None:
    base, app, inbox = live
    with app.app_context(), Session(app.extensions["srx.engine"], expire_on_commit=False) as session:
        contract = session.exec(select(Contract).where(Contract.reference == "AMS-2025-0417")).one()
        need = session.exec(select(Need).where(Need.title == "Chauffeurs voor de zaterdagronde")).one()
        company = session.exec(select(User).where(User.email == "inkoop@vandijk.demo")).one()
        # Amsterdam counts this route with an approved SMART plan for the initiative (the seeds have one).
        plan = session.exec(
            select(SmartPlan).where(
                SmartPlan.contract_id == contract.id,
                SmartPlan.initiative_id == need.initiative_id,
                SmartPlan.status == "approved",
            )
        ).first()
        with unit_of_work(session):
            match = create_pledge(
                session,
                actor=company,
                req=PledgeRequest(
                    contract_id=contract.id or 0,
                    block_code="employee_hour",
                    quantity=10,
                    need_id=need.id,
                    smart_plan_id=plan.id if plan else None,
                ),
            )
    # The officers hear of the new pledge by mail (through the queue).
    assert _wait_for(lambda: inbox.to("officer@amsterdam.demo")), "the officer's mail did not arrive"

    page = login(browser, base, "inkoop@vandijk.demo", "demo-company-2026")
    before = int(page.get_attribute("#bell .bell-count", "data-unread") or 0)

    officer = login(browser, base, "officer@amsterdam.demo", "demo-officer-2026")
    officer.goto(f"{base}/officer/matches/{match.id}")
    officer.click("form[action$='/approve'] button[type=submit]")
    officer.wait_for_load_state()
    # A confirmation page names the value and the contract; the officer confirms.
    officer.click("#confirm form button[type=submit]")
    officer.wait_for_load_state()
    with Session(app.extensions["srx.engine"]) as session:
        assert session.get(Match, match.id).status == "approved"  # type: ignore[union-attr]

    page.reload()
    bell = page.locator("#bell .bell-count")
    assert int(bell.get_attribute("data-unread") or 0) == before + 1
    assert "ongelezen" in bell.inner_text()
    page.screenshot(path=str(shots / "5-company-bell.png"), full_page=False)
    page.click("#bell")
    page.wait_for_load_state()
    first = page.locator(".notification").first
    assert "Bijdrage goedgekeurd op AMS-2025-0417" in first.inner_text()
    page.screenshot(path=str(shots / "6-company-notifications.png"), full_page=True)

    assert _wait_for(lambda: inbox.to("inkoop@vandijk.demo")), "the company's mail did not arrive"
    (mail,) = inbox.to("inkoop@vandijk.demo")
    assert mail["Subject"] == "SRX: Bijdrage goedgekeurd op AMS-2025-0417"
    body = mail.get_content()
    assert body.startswith("Beste Jeroen van Dijk,")
    assert "is goedgekeurd en telt mee voor de verplichting" in body
    assert f"https://srx.example.nl/company/matches/{match.id}" in body
    assert "pas ze dan hier aan: https://srx.example.nl/settings/notifications" in body
    assert not page.js_errors and not officer.js_errors
