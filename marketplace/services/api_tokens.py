"""API tokens: made and revoked by their owners, looked up by the sha256 of what the caller sends.

- A **personal** token acts as the user who made it, and stops when that user is deactivated.
- An **organisation** token belongs to the user's company, government or initiative: every user of the
  organisation sees it and may revoke it. It acts as the user who made it while they are active and still
  of the organisation, otherwise as the organisation's first active user of the same role.
- **Scopes** limit what a token may do: `read` (every GET), `pledge` (pledges, plans, revisions,
  certificates), `decide` (an officer's decisions, settlement), `report` (realisation reports, delivery).
  A role can only give a token the scopes its own work needs.

The token is shown once; only its sha256 is stored. Making and revoking one writes an audit event.
"""

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from ..models import API_SCOPES, ApiToken, User
from ..models._base import utcnow
from . import validation as v
from .audit import record
from .errors import N_, Conflict, NotFound, ServiceError

PREFIX = "srx_"
MAX_ACTIVE = 20
SCOPES_OF_ROLE: dict[str, tuple[str, ...]] = {
    "company": ("read", "pledge", "report"),
    "officer": ("read", "decide"),
    "adviser": ("read", "decide"),
    "initiative": ("read", "report"),
    "admin": ("read",),
}
# The organisation column of each role's organisation tokens.
ORG_COLUMN = {"company": "company_id", "officer": "government_id", "initiative": "initiative_id"}
FIELDS = ("name", "kind", "scopes", "prefix")


@dataclass(frozen=True)
class TokenInput:
    name: str
    scopes: tuple[str, ...]
    organisation: bool = False


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def allowed_scopes(actor: User) -> tuple[str, ...]:
    return SCOPES_OF_ROLE.get(actor.role, ())


def can_share(actor: User) -> bool:
    """Whether the user has an organisation to make an organisation token for."""
    column = ORG_COLUMN.get(actor.role)
    return column is not None and getattr(actor, column) is not None


def _org_filter(actor: User) -> tuple[str, int] | None:
    column = ORG_COLUMN.get(actor.role)
    value = getattr(actor, column) if column else None
    return (column, value) if column and value is not None else None


def tokens_of(session: Session, actor: User) -> list[ApiToken]:
    """The user's personal tokens and their organisation's tokens, newest first (one statement)."""
    mine = (col(ApiToken.user_id) == actor.id) & (col(ApiToken.kind) == "personal")
    org = _org_filter(actor)
    if org is not None:
        shared = (col(ApiToken.kind) == "organisation") & (getattr(ApiToken, org[0]) == org[1])
        mine = mine | shared
    return list(session.exec(select(ApiToken).where(mine).order_by(col(ApiToken.id).desc())).all())


def create_token(session: Session, *, actor: User, data: TokenInput) -> tuple[ApiToken, str]:
    """Make a token; returns it with the secret, which is never stored and cannot be shown again."""
    name = v.text(data.name, "name", max_len=100, required=True)
    scopes = v.choices(data.scopes, "scopes", allowed_scopes(actor))
    if not scopes:
        raise ServiceError(N_("Choose at least one scope."), field="scopes")
    if data.organisation and not can_share(actor):
        raise ServiceError(N_("Only a user of an organisation can make an organisation token."), field="kind")
    active = session.exec(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == actor.id, col(ApiToken.revoked_at).is_(None))
    ).one()
    if int(active) >= MAX_ACTIVE:
        raise Conflict(N_("You have %(max)s active tokens; revoke one first."), max=MAX_ACTIVE)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id or 0,
        kind="organisation" if data.organisation else "personal",
        name=name,
        scopes=[s for s in API_SCOPES if s in scopes],
        token_hash=hash_token(secret),
        prefix=secret[:12],
    )
    if data.organisation:
        column = ORG_COLUMN[actor.role]
        setattr(token, column, getattr(actor, column))
    session.add(token)
    session.flush()
    record(
        session,
        actor=actor,
        action="api_token.created",
        entity_type="api_token",
        entity_id=token.id or 0,
        after={f: getattr(token, f) for f in FIELDS},
    )
    return token, secret


def revoke_token(session: Session, *, actor: User, token_id: int) -> ApiToken:
    """Revoke a token the user may manage; at once, for every later call. A second revoke is refused."""
    token = session.get(ApiToken, token_id)
    if token is None or token.id not in {t.id for t in tokens_of(session, actor)}:
        raise NotFound(N_("This token does not exist."))
    now = utcnow()
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.id) == token.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("This token was revoked already."))
    session.refresh(token)
    record(
        session,
        actor=actor,
        action="api_token.revoked",
        entity_type="api_token",
        entity_id=token.id or 0,
        before={f: getattr(token, f) for f in FIELDS},
    )
    return token


def authenticate(session: Session, secret: str) -> tuple[ApiToken, User] | None:
    """The live token with this secret and the user it acts as; None for an unknown or revoked token."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if token.kind == "personal":
        return (token, user) if user is not None and user.active else None
    column = ORG_COLUMN.get(user.role if user else "", "")
    org = getattr(token, column, None) if column else None
    if user is not None and user.active and org is not None and getattr(user, column) == org:
        return token, user
    if user is None or org is None:
        return None
    stand_in = session.exec(
        select(User)
        .where(getattr(User, column) == org, User.role == user.role, col(User.active).is_(True))
        .order_by(col(User.id))
    ).first()
    return (token, stand_in) if stand_in is not None else None
