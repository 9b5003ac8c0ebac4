"""Password hashing and throttled authentication.

The throttle never lets an attacker lock out someone else (docs/security-accounts.md, finding 2):

- failures count per (account, client address) pair: after `LOGIN_MAX_FAILURES` of them the pair waits
  `LOGIN_DELAY_SECONDS`, and each further failure doubles the wait up to `LOGIN_MAX_DELAY_SECONDS`; a success
  starts the pair afresh. The same account from another client is not slowed down at all;
- one client address that fails `LOGIN_CLIENT_MAX_FAILURES` times in the window (whatever the accounts) is
  refused until its failures age out; other clients are not affected. Behind a reverse proxy the client
  address is the one the proxy forwards (`TRUSTED_PROXIES`, marketplace/__init__.py applies ProxyFix).

The counters are rows of `LoginAttempt` in the database, so they hold across workers and servers; rows older
than the window are deleted as new attempts arrive.
"""

import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import delete, func
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LOCALES, LoginAttempt, User
from ..models._base import utcnow
from . import validation as v
from .audit import record
from .errors import N_, RateLimited, ServiceError


@lru_cache(maxsize=8)
def dummy_hash(method: str) -> str:
    """A hash of the configured method and cost, checked when the e-mail is unknown: the same work either way,
    so the time of the answer does not reveal whether an account exists."""
    import secrets

    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _aware(value: datetime | None) -> datetime | None:
    """A time read back from the database (naive UTC on SQLite) as aware UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def pair_wait_seconds(failures: int, *, free: int, base: int, cap: int) -> int:
    """How long a pair waits after `failures` failures: nothing for the first `free`, then base, 2 x base, ..."""
    if failures < free:
        return 0
    return int(min(cap, base * 2 ** min(failures - free, 30)))


def check_throttle(session: Session, *, email: str, remote_addr: str) -> None:
    """Refuse (RateLimited) when this pair must still wait, or this client failed too often."""
    cfg = current_app.config
    now = utcnow()
    since = now - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    client_failures = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.kind == "login",
            LoginAttempt.remote_addr == remote_addr,
            col(LoginAttempt.success).is_(False),
            LoginAttempt.at >= since,
        )
    ).one()
    if client_failures >= cfg["LOGIN_CLIENT_MAX_FAILURES"]:
        raise RateLimited(
            N_("Too many failed logins from your network address. Wait %(minutes)s minutes and try again."),
            minutes=max(1, cfg["LOGIN_WINDOW_SECONDS"] // 60),
        )
    pair = (
        LoginAttempt.kind == "login",
        LoginAttempt.email == email,
        LoginAttempt.remote_addr == remote_addr,
        LoginAttempt.at >= since,
    )
    last_success = _aware(
        session.exec(
            select(func.max(LoginAttempt.at)).where(*pair, col(LoginAttempt.success).is_(True))
        ).one()
    )
    start = max(since, last_success) if last_success else since
    failures, last_failure = session.exec(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *pair, col(LoginAttempt.success).is_(False), LoginAttempt.at > start
        )
    ).one()
    wait = pair_wait_seconds(
        int(failures),
        free=cfg["LOGIN_MAX_FAILURES"],
        base=cfg["LOGIN_DELAY_SECONDS"],
        cap=cfg["LOGIN_MAX_DELAY_SECONDS"],
    )
    last = _aware(last_failure)
    if wait and last is not None:
        left = (last + timedelta(seconds=wait) - now).total_seconds()
        if left > 0:
            raise RateLimited(
                N_("Too many failed logins. Wait %(seconds)s seconds and try again."),
                seconds=math.ceil(left),
            )


def forget_old_attempts(session: Session) -> None:
    """The counters only look back one window (a day for reset requests): older rows are of no use, and they
    are personal data."""
    window = max(current_app.config["LOGIN_WINDOW_SECONDS"], 86_400)
    cutoff = utcnow() - timedelta(seconds=window)
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < cutoff))


def authenticate(session: Session, *, email: str, password: str, remote_addr: str) -> User:
    """Return the user for these credentials; every checked attempt is recorded for the throttle.

    A failed attempt must be kept even though the login is refused: the view asks the boundary to keep it.
    An attempt the throttle refuses is not checked and not recorded.
    """
    email = normalise_email(email)[:254]
    remote_addr = remote_addr[:64]
    check_throttle(session, email=email, remote_addr=remote_addr)
    user = session.exec(select(User).where(User.email == email)).first()
    method = current_app.config["PASSWORD_HASH_METHOD"]
    ok = check_password_hash(user.password_hash if user else dummy_hash(method), password)
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(email=email, remote_addr=remote_addr, success=ok))
    # The counters only look back one window: older rows are of no use (and are personal data).
    forget_old_attempts(session)
    if not ok or user is None:
        raise ServiceError(N_("Unknown e-mail address or wrong password."), field="password")
    return user


def revoke_sessions(session: Session, *, user: User, action: str, actor: User | None = None) -> User:
    """End every session of `user` (raise its session version); one audit event says why."""
    before = {"session_version": user.session_version}
    user.session_version = (user.session_version or 0) + 1
    session.add(user)
    record(
        session,
        actor=actor if actor is not None else user,
        action=action,
        entity_type="user",
        entity_id=user.id or 0,
        before=before,
        after={"session_version": user.session_version},
    )
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
