"""Finding 2: the login limit was a lockout weapon (five wrong passwords locked the account for everyone).

Now failures count per (account, client address) pair with growing waits, one client that fails too often is
refused alone, and behind a trusted reverse proxy the client address is the forwarded one.
"""

from datetime import timedelta
from typing import Any

from sqlmodel import func, select

from marketplace import create_app
from marketplace.models import LoginAttempt
from marketplace.models._base import utcnow
from marketplace.services.auth import pair_wait_seconds
from tests.conftest import PASSWORD, World

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
USER_PC = {"REMOTE_ADDR": "198.51.100.7"}


def post_login(client: Any, email: str, password: str, environ: dict[str, str] | None = None) -> Any:
    return client.post("/login", data={"email": email, "password": password}, environ_base=environ or {})


def test_an_attacker_cannot_lock_out_the_owner_from_another_client(client: Any, world: World) -> None:
    email = world.users["company_a"].email
    codes = [post_login(client, email, "wrong", ATTACKER).status_code for _ in range(8)]
    # The attacker's own pair is slowed down: five tries, then a wait.
    assert codes[:5] == [401] * 5 and codes[5] == 429
    # The owner, from their own computer, logs in at once with the right password.
    assert post_login(client, email, PASSWORD, USER_PC).status_code == 302


def test_the_wait_grows_with_each_failure_and_is_said(app: Any, client: Any, world: World) -> None:
    email = world.users["company_a"].email
    for _ in range(5):
        assert post_login(client, email, "wrong", ATTACKER).status_code == 401
    refused = post_login(client, email, PASSWORD, ATTACKER)  # even the right password waits on this pair
    assert refused.status_code == 429 and refused.headers["Retry-After"] in {"1", "2"}
    assert "Wait 2 seconds" in refused.get_data(as_text=True) or "Wait 1 seconds" in refused.get_data(
        as_text=True
    )
    # The waits double: 2, 4, 8 ... seconds, never beyond the longest wait.
    waits = [pair_wait_seconds(n, free=5, base=2, cap=900) for n in range(4, 20)]
    assert waits[:5] == [0, 2, 4, 8, 16] and max(waits) == 900


def test_after_the_wait_the_pair_may_try_again(client: Any, world: World) -> None:
    email = world.users["company_a"].email
    for _ in range(5):
        post_login(client, email, "wrong", ATTACKER)
    assert post_login(client, email, PASSWORD, ATTACKER).status_code == 429
    # Age the failures by 3 seconds (past the first 2-second wait).
    rows = world.session.exec(select(LoginAttempt)).all()
    for row in rows:
        row.at = utcnow() - timedelta(seconds=3)
        world.session.add(row)
    world.session.commit()
    assert post_login(client, email, PASSWORD, ATTACKER).status_code == 302


def test_a_client_that_fails_too_often_is_refused_alone(app_config: dict[str, Any], world: World) -> None:
    app = create_app({**app_config, "LOGIN_CLIENT_MAX_FAILURES": 6})
    client = app.test_client()
    # Guessing across many accounts from one address: each pair stays under its limit...
    for i in range(6):
        assert post_login(client, f"guess{i}@test.nl", "wrong", ATTACKER).status_code == 401
    # ...but the client as a whole is now refused, for every account.
    assert post_login(client, world.users["officer_a"].email, PASSWORD, ATTACKER).status_code == 429
    # Another client is not: the same account logs in from elsewhere.
    assert post_login(client, world.users["officer_a"].email, PASSWORD, USER_PC).status_code == 302
    app.extensions["srx.engine"].dispose()


def test_behind_the_proxy_the_forwarded_address_is_the_client(
    app_config: dict[str, Any], world: World
) -> None:
    """Without TRUSTED_PROXIES every user behind the proxy shares its address; with it each has their own."""
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    email = world.users["company_a"].email
    for proxies, owner_gets in ((0, 429), (1, 302)):
        app = create_app({**app_config, "TRUSTED_PROXIES": proxies, "LOGIN_CLIENT_MAX_FAILURES": 5})
        client = app.test_client()
        for i in range(5):
            client.post(
                "/login",
                data={"email": f"x{proxies}{i}@test.nl", "password": "wrong"},
                environ_base=proxy,
                headers={"X-Forwarded-For": "203.0.113.66"},
            )
        owner = client.post(
            "/login",
            data={"email": email, "password": PASSWORD},
            environ_base=proxy,
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert owner.status_code == owner_gets, proxies
        app.extensions["srx.engine"].dispose()


def test_the_proxy_header_is_ignored_by_default(client: Any, world: World) -> None:
    """A client cannot dodge its limit by inventing X-Forwarded-For when no proxy is trusted."""
    email = world.users["company_a"].email
    for i in range(6):
        response = client.post(
            "/login",
            data={"email": email, "password": "wrong"},
            environ_base=ATTACKER,
            headers={"X-Forwarded-For": f"192.0.2.{i}"},
        )
    assert response.status_code == 429


def test_counters_live_in_the_database_and_old_rows_are_removed(client: Any, world: World) -> None:
    email = world.users["company_a"].email
    world.session.add(LoginAttempt(email=email, remote_addr="192.0.2.1", at=utcnow() - timedelta(days=2)))
    world.session.commit()
    post_login(client, email, "wrong", ATTACKER)
    world.session.expire_all()
    rows = world.session.exec(select(LoginAttempt)).all()
    # The failure is a row (shared by every worker); the two-day-old row is gone.
    assert [(r.remote_addr, r.success) for r in rows] == [(ATTACKER["REMOTE_ADDR"], False)]


def test_a_success_starts_the_pair_afresh(client: Any, world: World) -> None:
    email = world.users["company_a"].email
    for _ in range(4):
        post_login(client, email, "wrong", ATTACKER)
    assert post_login(client, email, PASSWORD, ATTACKER).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert post_login(client, email, "wrong", ATTACKER).status_code == 401
    count = world.session.exec(select(func.count()).select_from(LoginAttempt)).one()
    assert count == 9
