"""A person manages their own account: change the password, or reset a forgotten one by e-mail.

A reset link carries a token signed with SECRET_KEY (itsdangerous) that holds the user's id and a digest of
their current password hash: it expires after `PASSWORD_RESET_MAX_AGE` seconds, and it works once, because the
reset changes the hash. Both a change and a reset end every other session of the user (the session version).
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from ..models import LoginAttempt, User
from ..models._base import utcnow
from ..passwords import weakness
from .audit import record
from .auth import forget_old_attempts, hash_password, normalise_email
from .errors import N_, RateLimited, ServiceError

RESET_SALT = "srx.password-reset"


@dataclass(frozen=True)
class PasswordChange:
    current: str
    new: str
    confirm: str


@dataclass(frozen=True)
class PasswordReset:
    token: str
    new: str
    confirm: str


def _check_new(user: User, new: str, confirm: str) -> None:
    problem = weakness(new, email=user.email)
    if problem:
        raise ServiceError(problem, field="new")
    if new != confirm:
        raise ServiceError(N_("The two new passwords are not the same."), field="confirm")


def _set_password(session: Session, user: User, new: str, action: str) -> None:
    user.password_hash = hash_password(new)
    before = {"session_version": user.session_version}
    user.session_version = (user.session_version or 0) + 1  # every session ends, on every device
    session.add(user)
    record(
        session,
        actor=user,
        action=action,
        entity_type="user",
        entity_id=user.id or 0,
        before=before,
        after={"session_version": user.session_version},
    )


def change_password(session: Session, *, actor: User, data: PasswordChange) -> User:
    """Set a new password after checking the current one."""
    if not check_password_hash(actor.password_hash, data.current):
        raise ServiceError(N_("This is not your current password."), field="current")
    _check_new(actor, data.new, data.confirm)
    if data.new == data.current:
        raise ServiceError(N_("Choose a password that differs from the current one."), field="new")
    _set_password(session, actor, data.new, "user.password_changed")
    return actor


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _fingerprint(user: User) -> str:
    # A digest of the salted hash: the token is signed, not encrypted, so it must not carry the hash itself.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "h": _fingerprint(user)})


def user_for_token(session: Session, token: str) -> User | None:
    """The user a valid, unexpired and unused reset token is for; None otherwise."""
    if not token or len(token) > 500:
        return None
    try:
        payload = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    if not 0 < payload["u"] < 2**31:
        return None
    user = session.get(User, payload["u"])
    if user is None or not user.active or payload.get("h") != _fingerprint(user):
        return None
    return user


def request_reset(session: Session, *, email: str, remote_addr: str) -> User | None:
    """Record a reset request; return the user to mail a link to, or None (unknown address, or asked too often).

    The caller answers the same either way. A client that asks too often is refused (RateLimited); an address
    asked for too often gets no more mail for a while, silently, so nobody can flood someone's inbox.
    """
    email = normalise_email(email)[:254]
    remote_addr = remote_addr[:64]
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["PASSWORD_RESET_WINDOW_SECONDS"])
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.kind == "reset")
    recent = recent.where(LoginAttempt.at >= since)
    from_client = session.exec(recent.where(LoginAttempt.remote_addr == remote_addr)).one()
    if from_client >= cfg["PASSWORD_RESET_CLIENT_MAX"]:
        raise RateLimited(
            N_("Too many reset requests from your network address. Wait %(minutes)s minutes and try again."),
            minutes=max(1, cfg["PASSWORD_RESET_WINDOW_SECONDS"] // 60),
        )
    for_email = session.exec(recent.where(LoginAttempt.email == email)).one()
    session.add(LoginAttempt(kind="reset", email=email, remote_addr=remote_addr, success=False))
    forget_old_attempts(session)
    if for_email >= cfg["PASSWORD_RESET_EMAIL_MAX"]:
        return None
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.active:
        return None
    return user


def reset_password(session: Session, *, data: PasswordReset) -> User:
    """Set a new password with a reset token; the token is then used up."""
    user = user_for_token(session, data.token)
    if user is None:
        raise ServiceError(
            N_("This reset link is not valid: it expired or was used already. Ask for a new one."),
            field="token",
        )
    _check_new(user, data.new, data.confirm)
    _set_password(session, user, data.new, "user.password_reset")
    return user
