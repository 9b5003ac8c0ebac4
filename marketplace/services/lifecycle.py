"""The match state machine: one guarded transition and one audit event, inside the caller's transaction."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from ..models import Match, MatchStatus, User
from ..models._base import utcnow
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound

S = MatchStatus
# From each status, the statuses a match may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.REJECTED, S.CHANGES_REQUESTED, S.CANCELLED}),
    S.CHANGES_REQUESTED: frozenset({S.PROPOSED, S.CANCELLED}),
    S.APPROVED: frozenset({S.DELIVERED}),
    S.REJECTED: frozenset(),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

AUDIT_FIELDS = (
    "status",
    "quantity",
    "hours_per_week",
    "months",
    "weeks",
    "bonus_codes",
    "value_cents",
    "officer_reason",
    "delivered_note",
    "note",
    "evidence",
    "version",
)


def load_match(session: Session, match_id: int, *, for_update: bool = False) -> Match:
    """The match; `for_update` takes its row lock first (PostgreSQL; SQLite has one writer anyway) and reads
    it fresh, so of two officers deciding at once the second waits, then sees the first one's decision."""
    match = session.get(Match, match_id, with_for_update=True, populate_existing=True) if for_update else None
    match = match or session.get(Match, match_id)
    if match is None:
        raise NotFound(N_("This pledge does not exist."))
    return match


def check_transition(match: Match, to: str) -> None:
    """Refuse a move the state machine does not allow, before anything is computed or written."""
    if to not in TRANSITIONS.get(match.status, frozenset()):
        raise Conflict(N_("A pledge that is %(status)s cannot be changed this way."), status=match.status)


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

    The UPDATE is guarded by the version and status the caller's object holds, so a double submit, two
    officers acting at once, or a stale object cannot both win: the loser gets a Conflict, and the boundary
    rolls its transaction back. The caller has done its own permission checks. A pledge that closes
    (rejected, cancelled) frees the months its placement held.
    """
    check_transition(match, to)
    guarded_change(
        session, match, actor=actor, action=action, reason=reason, changes={"status": to, **(changes or {})}
    )
    if to in (S.REJECTED, S.CANCELLED):
        from .placements import release

        release(session, match.id or 0)
    return match


def guarded_change(
    session: Session, match: Match, *, actor: User, action: str, reason: str = "", changes: dict[str, Any]
) -> Match:
    """Apply `changes` (with or without a new status) if the match is still the version the caller read."""
    before = snapshot(match, AUDIT_FIELDS)
    values: dict[str, Any] = {"version": match.version + 1, "updated_at": utcnow(), **changes}
    result = session.execute(
        update(Match)
        .where(Match.id == match.id, Match.version == match.version, Match.status == match.status)  # type: ignore[arg-type]
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("Someone else changed this pledge in the meantime. Reload the page and try again."))
    for key, value in values.items():
        # The row holds these values now: set them as loaded, so no second UPDATE follows at the next flush.
        set_committed_value(match, key, value)
    record(
        session,
        actor=actor,
        action=action,
        entity_type="match",
        entity_id=match.id or 0,
        before=before,
        after=snapshot(match, AUDIT_FIELDS),
        reason=reason,
    )
    return match
