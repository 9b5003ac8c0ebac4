"""Password hashing and rate-limited authentication."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LOCALES, LoginAttempt, User
from ..models._base import utcnow
from . import validation as v
from .audit import record
from .errors import N_, RateLimited, ServiceError

# A hash to compare against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(session: Session, *, email: str, password: str, remote_addr: str) -> User:
    """Return the user for these credentials; every attempt is recorded for rate limiting.

    A failed attempt must be kept even though the login is refused: the view asks the boundary to keep it.
    """
    email = normalise_email(email)
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    max_failures = current_app.config["LOGIN_MAX_FAILURES"]
    since = utcnow() - window
    failures_for_email = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email, col(LoginAttempt.success).is_(False), LoginAttempt.at >= since)
    ).one()
    failures_from_addr = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.remote_addr == remote_addr,
            col(LoginAttempt.success).is_(False),
            LoginAttempt.at >= since,
        )
    ).one()
    if failures_for_email >= max_failures or failures_from_addr >= 4 * max_failures:
        raise RateLimited(
            N_("Too many failed logins. Wait %(minutes)s minutes and try again."),
            minutes=max(1, window.seconds // 60),
        )
    user = session.exec(select(User).where(User.email == email)).first()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(email=email[:254], remote_addr=remote_addr[:64], success=ok))
    if not ok or user is None:
        raise ServiceError(N_("Unknown e-mail address or wrong password."), field="password")
    return user


def set_locale(session: Session, *, actor: User, locale: str) -> User:
    """The language the user reads SRX in (stored, so it follows them to every device)."""
    locale = v.choice(locale, "locale", LOCALES)
    if actor.locale == locale:
        return actor
    before = {"locale": actor.locale}
    actor.locale = locale
    session.add(actor)
    record(
        session,
        actor=actor,
        action="user.locale_changed",
        entity_type="user",
        entity_id=actor.id or 0,
        before=before,
        after={"locale": locale},
    )
    return actor
