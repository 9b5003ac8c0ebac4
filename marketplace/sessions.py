"""Sessions that can be revoked and that expire (docs/security-accounts.md, finding 7).

The session cookie is signed, so SRX cannot delete a copy of it; instead every session names the user's
*session version* (`User.get_id()` is "id:version") and the user loader refuses a session of an older version.
Logout, a password change or reset, and deactivation raise the version: every session of that user, on every
device, ends at its next request.

Every login starts a new session (the old one is cleared, so the CSRF token is new too). A session ends after
`SESSION_LIFETIME` seconds from the login, or `SESSION_IDLE_TIMEOUT` seconds without a request; both are checked
here on the server from times inside the signed cookie, not left to the browser.
"""

import time
from collections.abc import Callable

from flask import Flask, current_app, flash, session
from flask_babel import gettext
from flask_login import login_user, logout_user

from .models import User

LOGIN_AT = "srx_login_at"
SEEN_AT = "srx_seen_at"
# Refresh the idle clock at most once a minute, so an active user's cookie is not rewritten on every request.
SEEN_RESOLUTION = 60


def start(user: User) -> None:
    """Log `user` in with a fresh session (and so a fresh CSRF token)."""
    locale = user.locale
    session.clear()
    session.permanent = True
    login_user(user)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session["locale"] = locale


def end() -> None:
    """Forget the session in this browser (the caller revokes the others through the session version)."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def parse_user_id(value: str) -> tuple[int, int] | None:
    """ "12:3" -> (12, 3); anything else (an older cookie, a forged one) -> None."""
    ident, sep, version = value.partition(":")
    if not sep or not (ident.isascii() and ident.isdigit() and version.isascii() and version.isdigit()):
        return None
    if len(ident) > 10 or len(version) > 10:
        return None
    return int(ident), int(version)


def check_expiry() -> None:
    """Before each request: end a session that is past its lifetime or idle timeout."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    cfg = current_app.config
    if (
        not isinstance(login_at, int)
        or not isinstance(seen_at, int)
        or now - login_at > cfg["SESSION_LIFETIME"]
        or now - seen_at > cfg["SESSION_IDLE_TIMEOUT"]
    ):
        end()
        flash(gettext("Your session has ended. Log in again."), "info")
    elif now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now


def init_app(app: Flask) -> None:
    from datetime import timedelta

    app.permanent_session_lifetime = timedelta(seconds=app.config["SESSION_LIFETIME"])
    app.before_request(check_expiry)


def load_user(get: Callable[[type[User], int], User | None], user_id: str) -> User | None:
    """Flask-Login's user loader: the user of this session, if the session is of their current version."""
    parsed = parse_user_id(user_id)
    if parsed is None:
        return None
    user = get(User, parsed[0])
    if user is None or not user.active or (user.session_version or 0) != parsed[1]:
        return None
    return user
