"""Finding 7: a session cookie copied before logout still worked for 31 days, and the CSRF token survived the
login. Now every session names the user's session version: logout, a password change and deactivation end
every session of that user; the login starts a new session with a new CSRF token; a session ends after
SESSION_LIFETIME and after SESSION_IDLE_TIMEOUT without a request.
"""

import re
import time
from typing import Any

from sqlmodel import select

from marketplace import create_app, sessions
from marketplace.models import AuditEvent, User
from marketplace.services.admin import set_user_active
from tests.conftest import PASSWORD, World, login

DASHBOARD = "/company/"


def copy_of(app: Any, client: Any) -> Any:
    """A second browser holding a copy of the first one's session cookie (what a thief would have)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_logout_ends_a_copied_session(app: Any, client: Any, world: World) -> None:
    login(client, world.users["company_a"])
    thief = copy_of(app, client)
    assert thief.get(DASHBOARD).status_code == 200
    client.post("/logout")
    assert thief.get(DASHBOARD).status_code == 302  # to the login page
    events = world.session.exec(select(AuditEvent).where(AuditEvent.action == "user.logged_out")).all()
    assert len(events) == 1


def test_logout_ends_the_sessions_on_other_devices(app: Any, world: World) -> None:
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, world.users["company_a"])
    login(phone, world.users["company_a"])
    laptop.post("/logout")
    assert phone.get(DASHBOARD).status_code == 302


def test_a_password_change_ends_every_other_session(app: Any, client: Any, world: World) -> None:
    login(client, world.users["company_a"])
    other = app.test_client()
    login(other, world.users["company_a"])
    response = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "paarse-olifant-fietst-door",
            "confirm": "paarse-olifant-fietst-door",
        },
    )
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200  # this browser stays logged in
    assert other.get(DASHBOARD).status_code == 302


def test_deactivation_ends_every_session(app: Any, client: Any, world: World) -> None:
    login(client, world.users["company_a"])
    world.act(set_user_active, actor=world.users["admin"], user_id=world.users["company_a"].id, active=False)
    assert client.get(DASHBOARD).status_code == 302
    # Activated again, the old cookie still does not come back to life.
    world.act(set_user_active, actor=world.users["admin"], user_id=world.users["company_a"].id, active=True)
    assert client.get(DASHBOARD).status_code == 302


def test_the_login_starts_a_new_session_and_csrf_token(app_config: dict[str, Any], world: World) -> None:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    token_before = re.search(
        r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)
    )
    assert token_before is not None
    before = token_before.group(1)
    response = client.post(
        "/login", data={"email": world.users["company_a"].email, "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    # The token from before the login is refused afterwards; the new page has another one.
    refused = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": before})
    assert refused.status_code == 400
    page = client.get(DASHBOARD).get_data(as_text=True)
    after = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert after is not None and after.group(1) != before
    assert (
        client.post("/language", data={"locale": "en", "next": "/", "csrf_token": after.group(1)}).status_code
        == 302
    )
    app.extensions["srx.engine"].dispose()


def _age(client: Any, *, login_by: int = 0, seen_by: int = 0) -> None:
    with client.session_transaction() as s:
        s[sessions.LOGIN_AT] -= login_by
        s[sessions.SEEN_AT] -= seen_by


def test_an_idle_session_ends(app: Any, client: Any, world: World) -> None:
    login(client, world.users["company_a"])
    _age(client, seen_by=app.config["SESSION_IDLE_TIMEOUT"] - 5)
    assert client.get(DASHBOARD).status_code == 200  # still within the idle timeout; the clock restarts
    _age(client, seen_by=app.config["SESSION_IDLE_TIMEOUT"] + 1)
    response = client.get(DASHBOARD, follow_redirects=True)
    assert "Your session has ended" in response.get_data(as_text=True)


def test_a_session_ends_after_its_lifetime_even_when_active(app: Any, client: Any, world: World) -> None:
    login(client, world.users["company_a"])
    _age(client, login_by=app.config["SESSION_LIFETIME"] + 1)
    assert client.get(DASHBOARD).status_code == 302


def test_lifetimes_are_settings_with_short_defaults(app: Any) -> None:
    assert app.config["SESSION_LIFETIME"] == 12 * 3600
    assert app.config["SESSION_IDLE_TIMEOUT"] == 30 * 60
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_the_cookie_expires_with_the_lifetime(client: Any, world: World) -> None:
    response = login(client, world.users["company_a"])
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie, cookie


def test_an_old_style_cookie_is_not_accepted(app: Any, world: World) -> None:
    """A session issued before this change held only the id: it no longer logs anyone in."""
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = str(world.users["company_a"].id)
        s[sessions.LOGIN_AT] = s[sessions.SEEN_AT] = int(time.time())
    assert client.get(DASHBOARD).status_code == 302
    assert world.session.exec(select(User)).first() is not None
