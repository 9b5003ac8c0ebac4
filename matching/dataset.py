"""Training rows from officer decisions: one labelled (contract, candidate) pair per decision.

Each DecisionRecord is one pair, approved or not. Its feature row comes from ``record.features`` when the
marketplace stored the features shown at decision time; otherwise a
``resolve(record) -> (ContractContext, Candidate) | None`` callback supplies the pair, and the features are
computed here, per contract, over all of that contract's decided candidates (so text fit and search
normalisation see a candidate set, as they did live). Records that cannot be resolved are skipped and
counted.

No leakage. The history features (``approval_rate``, ``company_kind_rate``, ``sector_kind_rate``,
``company_route_rate``, ``sector_route_rate``) are always recomputed from the decisions strictly before the
record's own ``decided_at`` (``ApprovalStats``), so a row never sees its own label or any later decision,
whatever was stored. The kind and route one-hots are recomputed from the record too. A record without
``need_kind`` takes it from its resolved candidate, or from a stored kind one-hot; a record without
``company_sector`` takes the resolved context's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from .features import (
    FEATURE_INDEX,
    KIND_FEATURES,
    N_FEATURES,
    ROUTE_FEATURES,
    ApprovalStats,
    category_values,
    compute_feature_batch,
    history_values,
    vector_from_mapping,
)
from .types import NEED_KINDS, Candidate, ContractContext, DecisionRecord

Resolver = Callable[[DecisionRecord], "tuple[ContractContext, Candidate] | None"]


@dataclass
class TrainingSet:
    X: np.ndarray  # (n, N_FEATURES)
    y: np.ndarray  # 1 = approved
    groups: np.ndarray  # company key per row (GroupKFold groups)
    queries: np.ndarray  # int id per (government, contract_reference)
    decided_at: list[datetime]
    n_skipped: int = 0
    gains: np.ndarray = field(default_factory=lambda: np.zeros(0))  # graded gain per row (record.relevance)
    records: list[DecisionRecord] = field(default_factory=list)  # the kept records, kind and sector filled in
    history: list[DecisionRecord] = field(default_factory=list)  # every record (kept or not): the past

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, rows: np.ndarray) -> TrainingSet:
        """The rows at ``rows`` (e.g. the first n decisions in time); history and skips are kept as they are."""
        rows = np.asarray(rows, dtype=np.int64)
        return TrainingSet(
            X=self.X[rows],
            y=self.y[rows],
            groups=self.groups[rows],
            queries=self.queries[rows],
            decided_at=[self.decided_at[i] for i in rows.tolist()],
            n_skipped=self.n_skipped,
            gains=self.gains[rows] if self.gains.shape[0] == len(self.y) else self.y[rows].astype(np.float64),
            records=[self.records[i] for i in rows.tolist()] if self.records else [],
            history=self.history,
        )

    def first(self, n: int) -> TrainingSet:
        """The ``n`` earliest decisions (ties in input order)."""
        order = np.array(
            sorted(range(len(self.decided_at)), key=lambda i: self.decided_at[i]), dtype=np.int64
        )
        return self.subset(order[:n])


def _stored_kind(features: dict[str, float] | None) -> str:
    if not features:
        return ""
    hot = [k for k, name in zip(NEED_KINDS, KIND_FEATURES, strict=True) if features.get(name) == 1.0]
    return hot[0] if len(hot) == 1 else ""


def build_training_set(
    records: Iterable[DecisionRecord],
    resolve: Resolver | None = None,
    *,
    stats: ApprovalStats | None = None,
) -> TrainingSet:
    """Feature rows and labels from decisions (see the module docstring)."""
    records = list(records)
    n = len(records)
    X = np.empty((n, N_FEATURES), dtype=np.float64)
    keep = np.zeros(n, dtype=bool)
    effective = list(records)
    # one feature batch per contract state (remaining obligation), over the candidates decided on it
    pending: dict[tuple[str, str, int], tuple[ContractContext, list[tuple[int, Candidate]]]] = {}
    for idx, rec in enumerate(records):
        if rec.features is not None:
            X[idx] = vector_from_mapping(rec.features)
            keep[idx] = True
            if not rec.need_kind:
                kind = _stored_kind(dict(rec.features))
                if kind:
                    effective[idx] = replace(rec, need_kind=kind)
        elif resolve is not None:
            pair = resolve(rec)
            if pair is None:
                continue
            ctx, cand = pair
            if not rec.need_kind or not rec.company_sector:
                effective[idx] = replace(
                    rec,
                    need_kind=rec.need_kind or cand.kind,
                    company_sector=rec.company_sector or ctx.company_sector,
                )
            key = (rec.government, rec.contract_reference, int(ctx.remaining_cents))
            pending.setdefault(key, (ctx, []))[1].append((idx, cand))
    for ctx, items in pending.values():
        unique: dict[str, Candidate] = {}
        for _, cand in items:
            unique.setdefault(cand.id, cand)
        cands = list(unique.values())
        row_of = {c.id: r for r, c in enumerate(cands)}
        batch = compute_feature_batch(ctx, cands, None)
        for idx, cand in items:
            X[idx] = batch.X[row_of[cand.id]]
            keep[idx] = True

    stats = stats if stats is not None else ApprovalStats(effective)
    kind_cols = [FEATURE_INDEX[name] for name in KIND_FEATURES]
    route_cols = [FEATURE_INDEX[name] for name in ROUTE_FEATURES]
    kept_idx = np.flatnonzero(keep).tolist()
    for idx in kept_idx:
        rec = effective[idx]
        values = history_values(
            stats,
            government=rec.government,
            initiative_slug=rec.initiative_slug,
            company_key=rec.company_key,
            company_sector=rec.company_sector,
            need_kind=rec.need_kind,
            route=rec.route,
            before=rec.decided_at,
        )
        for name, value in values.items():
            X[idx, FEATURE_INDEX[name]] = value
        cats = category_values(rec.need_kind, rec.route)
        if rec.need_kind:
            X[idx, kind_cols] = [cats[name] for name in KIND_FEATURES]
        if rec.route:
            X[idx, route_cols] = [cats[name] for name in ROUTE_FEATURES]

    kept = [effective[i] for i in kept_idx]
    query_of: dict[tuple[str, str], int] = {}
    queries = np.array(
        [query_of.setdefault((r.government, r.contract_reference), len(query_of)) for r in kept],
        dtype=np.int64,
    )
    return TrainingSet(
        X=X[keep],
        y=np.array([1 if r.approved else 0 for r in kept], dtype=np.int64),
        groups=np.array([r.company_key for r in kept], dtype=object),
        queries=queries,
        decided_at=[r.decided_at for r in kept],
        n_skipped=int(n - keep.sum()),
        gains=np.array([r.relevance for r in kept], dtype=np.float64),
        records=kept,
        history=effective,
    )


__all__ = ["Resolver", "TrainingSet", "build_training_set"]
