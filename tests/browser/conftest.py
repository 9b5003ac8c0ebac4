"""Browser tests: a real server on the demo seeds (CSRF on) and Debian's chromium through Playwright."""

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.migrate import upgrade
from marketplace.search_sync import get_backend, reindex
from marketplace.seeding import load_seeds

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
            "EVIDENCE_PATH": str(folder / "evidence"),
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


def login(browser: Any, base: str, email: str, password: str) -> Any:
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
