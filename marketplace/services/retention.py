"""Retention: evidence files and placement details are deleted a set period after a contract closes.

A contract closes when it is met or settled (`Contract.closed_on`). RETENTION_DAYS later (two years by
default) `purge` deletes its evidence files from the store and marks their records deleted, and empties its
placements' pseudonymous person keys. The counts, values, periods and decisions stay: the officer's figures
remain reproducible, the people behind them do not remain traceable. The once-per-month register
(PersonMonth) keeps its keyed hashes, which cannot be turned back into a reference without the company's
reference and the instance's secret; see docs/privacy.md.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from ..models import Contract, Evidence, Placement, RealisationReport
from ..models._base import utcnow
from ..storage import Storage
from .audit import record


@dataclass(frozen=True)
class Purged:
    contracts: int
    files: int
    placements: int
    keys: tuple[str, ...] = ()  # the stored files to delete once the transaction committed


def purge(session: Session, *, today: date, retention_days: int) -> Purged:
    """Mark what the retention period allows as deleted; idempotent. The caller deletes `keys` from the
    store after its commit (`delete_files`), so a failure leaves a file nobody can reach, never a record
    pointing at a missing file that still counts as kept."""
    cutoff = today - timedelta(days=retention_days)
    contracts = session.exec(
        select(Contract).where(col(Contract.closed_on).is_not(None), col(Contract.closed_on) <= cutoff)
    ).all()
    files = placements = 0
    keys: list[str] = []
    now = utcnow()
    for contract in contracts:
        evidence = session.exec(
            select(Evidence)
            .join(RealisationReport, col(RealisationReport.id) == Evidence.report_id)
            .where(RealisationReport.contract_id == contract.id, col(Evidence.deleted_at).is_(None))
        ).all()
        people = session.exec(
            select(Placement).where(
                Placement.contract_id == contract.id, col(Placement.details_deleted_at).is_(None)
            )
        ).all()
        if not evidence and not people:
            continue
        for e in evidence:
            keys.append(e.storage_key)
            e.deleted_at = now
            session.add(e)
        for p in people:
            p.person_key, p.details_deleted_at = "", now
            session.add(p)
        files += len(evidence)
        placements += len(people)
        record(
            session,
            actor=None,
            action="contract.retention_purged",
            entity_type="contract",
            entity_id=contract.id or 0,
            after={"files": len(evidence), "placements": len(people)},
        )
    session.flush()
    return Purged(len(contracts), files, placements, tuple(keys))


def delete_files(store: Storage, keys: tuple[str, ...]) -> None:
    for key in keys:
        store.delete(key)
