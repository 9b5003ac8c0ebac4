"""Finding 4: a hung search server must not stall the app.

At the HTTP level, against a local socket server that accepts connections and never answers (the way a hung
Meilisearch behaves): short timeouts, the breaker opens after the configured failures, the catalogue then
answers at once from the database, a write does not wait for the index (its outbox row stays pending), pages
that do not search never wait, and after the cool-down one trial call goes through (half-open).
"""

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import col, select

from marketplace.models import Outbox
from marketplace.search_sync import get_backend
from tests.conftest import World

TIMEOUT = 0.3


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


CONNECTIONS: list[socket.socket] = []


@pytest.fixture
def hung_server() -> Iterator[str]:
    """A TCP server that accepts every connection and never sends a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = CONNECTIONS
    held.clear()
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(1)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def app_config(app_config: dict[str, Any], hung_server: str) -> dict[str, Any]:
    return {
        **app_config,
        "SEARCH_BACKEND": "meili",
        "MEILI_URL": hung_server,
        "SEARCH_CONNECT_TIMEOUT": TIMEOUT,
        "SEARCH_READ_TIMEOUT": TIMEOUT,
        "SEARCH_BREAKER_FAILURES": 2,
        "SEARCH_BREAKER_COOLDOWN": 60.0,
    }


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_the_catalogue_stops_waiting_once_the_breaker_opens(app: Any, client: Any, world: World) -> None:
    waits = []
    for _ in range(6):
        response, took = _timed(lambda: client.get("/catalogue?q=voedselbank"))
        assert response.status_code == 200 and "Search is temporarily limited" in response.get_data(
            as_text=True
        )
        waits.append(took)
    backend = get_backend(app)
    assert backend.breaker.state == "open"
    # The first calls wait out the short read timeout (setup and search); once open, no call waits.
    assert max(waits) < 10 * TIMEOUT, waits
    assert max(waits[-3:]) < TIMEOUT, waits


def test_pages_that_do_not_search_never_wait(client: Any, world: World) -> None:
    before = len(CONNECTIONS)  # seeding the world may have tried to sync
    for path in ("/", "/login", "/initiatives/" + world.ini_a.slug):
        response = client.get(path)
        assert response.status_code == 200, path
    time.sleep(0.15)  # the server thread accepts within 0.1 s
    assert len(CONNECTIONS) == before, "a page that does not search called the search server"


def test_a_write_does_not_sync_inline_while_the_breaker_is_not_closed(
    app: Any, client: Any, login_as: Any, world: World
) -> None:
    for _ in range(3):  # open the breaker, then let the cool-down pass: the next call would be the trial
        client.get("/catalogue?q=x")
    breaker = get_backend(app).breaker
    assert breaker.state == "open"
    breaker.cooldown_s = 0.05
    time.sleep(0.1)
    assert breaker.state == "half-open"
    login_as(world.users["initiative_a"])
    need = world.need_hours
    response, took = _timed(
        lambda: client.post(f"/initiative/needs/{need.id}/status", data={"status": "closed"})
    )
    assert response.status_code == 302 and took < TIMEOUT, took  # the write did not make the trial call
    assert breaker.state == "half-open"
    world.session.expire_all()
    pending = world.session.exec(
        select(Outbox).where(
            Outbox.entity_type == "need", Outbox.entity_id == need.id, col(Outbox.processed_at).is_(None)
        )
    ).all()
    assert pending, "the outbox keeps the change for `srx search sync`"


def test_after_the_cool_down_one_trial_call_goes_through(app: Any, client: Any, world: World) -> None:
    for _ in range(3):
        client.get("/catalogue?q=x")
    breaker = get_backend(app).breaker
    assert breaker.state == "open"
    breaker.cooldown_s = 0.2
    time.sleep(0.25)
    assert breaker.state == "half-open"
    response, took = _timed(lambda: client.get("/catalogue?q=x"))  # the trial: waits once, fails, reopens
    assert response.status_code == 200 and TIMEOUT * 0.8 < took < 5 * TIMEOUT, took
    assert breaker.state == "open"
    response, took = _timed(lambda: client.get("/catalogue?q=x"))
    assert took < TIMEOUT


def test_the_settings_reach_the_backend(app: Any) -> None:
    backend = get_backend(app)
    assert (backend.connect_timeout_s, backend.read_timeout_s) == (TIMEOUT, TIMEOUT)
    assert backend.breaker.failures == 2 and backend.breaker.cooldown_s == 60.0
