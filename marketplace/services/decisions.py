"""Officer decisions that arrive from elsewhere (a CSV import), stored with one audit event."""

from collections.abc import Sequence

from sqlmodel import Session

from ..models import Decision, User
from .audit import record


def store_imported(
    session: Session, *, actor: User | None, decisions: Sequence[Decision], source: str
) -> int:
    """Add validated imported decisions to the transaction; one audit event names the file and the counts."""
    session.add_all(decisions)
    session.flush()
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    first = decisions[0].id if decisions else 0
    record(
        session,
        actor=actor,
        action="decisions.imported",
        entity_type="decision",
        entity_id=first or 0,
        after={
            "source": source[:200],
            "count": len(decisions),
            "counts": counts,
            "ids": [d.id for d in decisions][:1000],
        },
    )
    return len(decisions)
