"""Officer decisions as the library's records, and approval statistics cached per government.

The statistics of a government are rebuilt only when its decisions change: the cache key is the newest
decision's id and the number of decisions, read with one small query per page. Every worker keeps its own
copy; none of them can serve a stale one, because the key comes from the database.
"""

import threading

from sqlalchemy import func
from sqlmodel import Session, col, select

from matching import ApprovalStats, DecisionRecord

from ..models import Decision, Need

FINAL_OUTCOMES = ("approved", "rejected")  # change requests are not final

_lock = threading.Lock()
_stats: dict[str, tuple[tuple[int, int], ApprovalStats]] = {}


def decision_records(session: Session, *, government: str | None = None) -> list[DecisionRecord]:
    """Approved and rejected decisions, oldest first, as the library's records."""
    stmt = select(Decision).where(col(Decision.outcome).in_(FINAL_OUTCOMES))
    if government:
        stmt = stmt.where(Decision.government == government)
    rows = session.exec(stmt.order_by(col(Decision.decided_at), col(Decision.id))).all()
    refs = {d.need for d in rows if d.need}
    need_ids: dict[str, int] = {}
    if refs:
        need_ids = {
            ref: nid
            for ref, nid in session.exec(
                select(Need.reference, Need.id).where(col(Need.reference).in_(refs))
            ).all()
            if nid is not None
        }
    return [
        DecisionRecord(
            decided_at=d.decided_at,
            government=d.government,
            contract_reference=d.contract_reference,
            company_key=d.company_kvk,
            initiative_slug=d.initiative,
            need_id=need_ids.get(d.need),
            route=d.route,
            approved=d.outcome == "approved",
            features=d.features,
        )
        for d in rows
    ]


def _key(session: Session, government: str) -> tuple[int, int]:
    newest, n = session.exec(
        select(func.max(Decision.id), func.count()).where(
            Decision.government == government, col(Decision.outcome).in_(FINAL_OUTCOMES)
        )
    ).one()
    return int(newest or 0), int(n or 0)


def approval_stats(session: Session, government: str) -> ApprovalStats:
    """The government's decision history, indexed for approval rates; rebuilt when a decision is added."""
    key = _key(session, government)
    with _lock:
        cached = _stats.get(government)
    if cached is not None and cached[0] == key:
        return cached[1]
    stats = ApprovalStats(decision_records(session, government=government))
    with _lock:
        _stats[government] = (key, stats)
    return stats
