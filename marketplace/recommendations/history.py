"""Officer decisions as the library's records, and the approval statistics, cached per process.

One `ApprovalStats` serves every government. The initiative's `approval_rate` is still per government (the
library keys it by government and initiative), but the rates of what a company, and companies of its sector,
deliver well pool every government's officers, as `matching.history` intends: a company with contracts at two
municipalities has one track record, and a sector's rate needs every decision it can get.

The cache key is the newest final decision overall (its id and the number of final decisions, one small query
per page) and the database it came from. A per-government key would serve stale company and sector rates: a
decision at one government changes them for every other government's contracts. Every worker keeps its own
copy; none of them can serve a stale one, because the key comes from the database. A new decision anywhere
rebuilds the whole index once per worker; the rebuild reads only the columns the rates need (no stored
features), so it stays cheap.
"""

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from matching import ApprovalStats, DecisionRecord, normalise_sector

from ..models import SELLER_KINDS, Company, Decision, Initiative, Need, NeedKind
from ..models.audit import not_withdrawn

FINAL_OUTCOMES = ("approved", "rejected")  # change requests are not final
# The columns of a decision the records need (and "features" when they are wanted).
COLUMNS = (
    "decided_at",
    "government",
    "contract_reference",
    "company_kvk",
    "initiative",
    "need",
    "route",
    "outcome",
)
BATCH = 500  # values per IN (...) list: well below every database's limit on bound parameters

_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "stats": None, "built": 0.0}


def _batches(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def decision_records(
    session: Session, *, government: str | None = None, with_features: bool = True
) -> list[DecisionRecord]:
    """Approved and rejected decisions, oldest first, as the library's records.

    Each record carries what the history features need: the pledged need's kind (`need_kind`; "purchase" for a
    pledge to a social firm without a need) and the company's SBI section (`company_sector`, from the company
    with that KvK number; "" when it is not a known section). Both come from today's rows, loaded in batches
    (a fixed number of statements per 500 distinct needs, companies and initiatives), never per decision.
    `with_features=False` leaves the stored feature rows out (the approval statistics do not read them).
    """
    # Plain rows, not ORM objects: the index of every government's decisions is rebuilt after each decision.
    table = Decision.metadata.tables["decision"]
    columns = [table.c[name] for name in (*COLUMNS, *(("features",) if with_features else ()))]
    stmt = sa_select(*columns).where(table.c.outcome.in_(FINAL_OUTCOMES), not_withdrawn(table))
    if government:
        stmt = stmt.where(table.c.government == government)
    rows = session.execute(stmt.order_by(table.c.decided_at, table.c.id)).all()

    needs: dict[str, tuple[int, str]] = {}
    for refs in _batches(r.need for r in rows if r.need):
        for ref, nid, kind in session.exec(
            select(Need.reference, Need.id, Need.kind).where(col(Need.reference).in_(refs))
        ).all():
            if nid is not None:
                needs[ref] = (nid, kind)
    sectors: dict[str, str] = {}
    for kvks in _batches(r.company_kvk for r in rows if r.company_kvk):
        for kvk, sector in session.exec(
            select(Company.kvk, Company.sector).where(col(Company.kvk).in_(kvks))
        ).all():
            sectors[kvk] = normalise_sector(sector)
    sellers: set[str] = set()
    for slugs in _batches(r.initiative for r in rows if r.initiative and not r.need):
        sellers.update(
            session.exec(
                select(Initiative.slug).where(
                    col(Initiative.slug).in_(slugs), col(Initiative.kind).in_(SELLER_KINDS)
                )
            ).all()
        )

    def kind_of(need_ref: str, initiative: str) -> str:
        if need_ref:
            return needs[need_ref][1] if need_ref in needs else ""
        return NeedKind.PURCHASE.value if initiative in sellers else ""

    return [
        DecisionRecord(
            decided_at=r.decided_at,
            government=r.government,
            contract_reference=r.contract_reference,
            company_key=r.company_kvk,
            initiative_slug=r.initiative,
            need_id=needs[r.need][0] if r.need in needs else None,
            route=r.route,
            approved=r.outcome == "approved",
            features=r.features if with_features else None,
            need_kind=kind_of(r.need, r.initiative),
            company_sector=sectors.get(r.company_kvk, ""),
        )
        for r in rows
    ]


def _key(session: Session) -> tuple[str, int, int]:
    newest, n = session.exec(
        # Withdrawals count too: an undone approval changes the history.
        select(func.max(Decision.id), func.count()).where(
            col(Decision.outcome).in_((*FINAL_OUTCOMES, "withdrawn"))
        )
    ).one()
    return str(session.get_bind().engine.url), int(newest or 0), int(n or 0)


def approval_stats(session: Session) -> ApprovalStats:
    """Every government's decision history, indexed for approval rates; rebuilt when a decision is added.

    Rebuilding reads every decision, so while officers decide in a stream it happens at most once per
    `RECOMMENDER_HISTORY_REFRESH_S` seconds (default 5; 0 rebuilds after every decision): a rate may lag the
    last few seconds' decisions, which moves it by a fraction of a percent, and approvals stay cheap.
    """
    key = _key(session)
    refresh = _refresh_seconds()
    now = time.monotonic()
    with _lock:
        same_db = _cache["key"] is not None and _cache["key"][0] == key[0]
        if _cache["key"] == key or (same_db and now - _cache["built"] < refresh):
            cached: ApprovalStats = _cache["stats"]
            return cached
    stats = ApprovalStats(decision_records(session, with_features=False))
    with _lock:
        _cache.update(key=key, stats=stats, built=now)
    return stats


def _refresh_seconds() -> float:
    from flask import current_app, has_app_context

    return float(current_app.config.get("RECOMMENDER_HISTORY_REFRESH_S", 0)) if has_app_context() else 0.0
