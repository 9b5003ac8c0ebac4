"""The match state machine: one guarded transition, one transaction, one audit event."""

from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from ..models import Match, User
from ..models._base import utcnow
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound

# From each status, the statuses a match may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"approved", "rejected", "changes_requested", "cancelled"}),
    "changes_requested": frozenset({"proposed", "cancelled"}),
    "approved": frozenset({"delivered"}),
    "rejected": frozenset(),
    "delivered": frozenset(),
    "cancelled": frozenset(),
}

AUDIT_FIELDS = (
    "status", "quantity", "hours_per_week", "months", "weeks", "bonus_codes", "value_cents",
    "officer_reason", "delivered_note", "note", "evidence", "version",
)


def load_match(session: Session, match_id: int) -> Match:
    match = session.get(Match, match_id)
    if match is None:
        raise NotFound(N_("This pledge does not exist."))
    return match


def transition(
    session: Session,
    match: Match,
    *,
    to: str,
    actor: User,
    action: str,
    reason: str = "",
    changes: dict[str, Any] | None = None,
) -> Match:
    """Move a match to `to`, applying `changes`, if nobody changed it since it was read.

    The UPDATE is guarded by the version and status the caller saw, so a double submit or two
    officers acting at once cannot both win: the loser gets a Conflict and nothing is written.
    The caller has done its own permission checks; this commits.
    """
    try:
        if to not in TRANSITIONS.get(match.status, frozenset()):
            raise Conflict(N_("A pledge that is %(status)s cannot be changed this way."), status=match.status)
        before = snapshot(match, AUDIT_FIELDS)
        values: dict[str, Any] = {"status": to, "version": match.version + 1, "updated_at": utcnow()}
        values.update(changes or {})
        result = session.execute(
            update(Match)
            .where(Match.id == match.id, Match.version == match.version, Match.status == match.status)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(N_("Someone else changed this pledge in the meantime. Reload the page and try again."))
        for key, value in values.items():
            setattr(match, key, value)
        record(session, actor=actor, action=action, entity_type="match", entity_id=match.id or 0,
               before=before, after=snapshot(match, AUDIT_FIELDS), reason=reason)
        session.commit()
    except BaseException:
        session.rollback()
        session.expire(match)
        raise
    return match
