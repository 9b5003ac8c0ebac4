"""Learning curve: held-out NDCG@10 of the model, the prior and random after 50, 100, 200, 300, 500 and 1,000
decisions, with the bootstrap interval of the model's gain over the prior at each point.

"After n decisions" is what a company would have been served at that moment: the model is fitted on the n
earliest decisions (without the scored companies) and ranks the contracts that start after the n-th decision,
with every history feature counted from those n decisions only. The metrics, gains and interval are those of
``matching.evaluation``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from . import prior
from .candidates import as_candidate_set
from .dataset import Resolver, TrainingSet
from .evaluation import (
    LEVEL,
    N_BOOT,
    CandidateSource,
    K,
    _as_training_set,
    _gains,
    _lookup,
    _summary,
)
from .features import FEATURE_INDEX, ApprovalStats, compute_feature_batch, history_values
from .model import fit_model, make_pipeline, model_kind
from .types import DecisionRecord

CURVE_SIZES: tuple[int, ...] = (50, 100, 200, 300, 500, 1000)


def _refresh_history(X: np.ndarray, records: Sequence[DecisionRecord], stats: ApprovalStats) -> np.ndarray:
    """X with its history columns recomputed from ``stats`` (decisions strictly before each record)."""
    X = np.array(X, dtype=np.float64)
    for i, rec in enumerate(records):
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
            X[i, FEATURE_INDEX[name]] = value
    return X


def _curve_point(
    ts: TrainingSet,
    n: int,
    shown: CandidateSource | None,
    *,
    kind: str,
    n_splits: int,
    k: int,
    seed: int,
    n_boot: int,
    level: float,
) -> dict[str, Any] | None:
    """Train on the first ``n`` decisions, score the contracts that start after them (see learning_curve)."""
    order = np.array(sorted(range(len(ts)), key=lambda i: ts.decided_at[i]), dtype=np.int64)
    first = order[:n]
    cut = ts.decided_at[int(order[n - 1])]
    start_of: dict[int, Any] = {}
    for q, t in zip(ts.queries.tolist(), ts.decided_at, strict=True):
        start_of[q] = min(start_of.get(q, t), t)
    later = np.array([i for i in range(len(ts)) if start_of[int(ts.queries[i])] > cut], dtype=np.int64)
    if later.size == 0:
        return None
    stats = ApprovalStats([r for r in ts.history if r.decided_at <= cut])
    splits = min(n_splits, len(set(ts.groups[later].tolist())))
    if splits < 2:
        return None
    first_set = set(first.tolist())
    pipeline = make_pipeline(kind, n, random_state=seed)
    gains_parts: list[np.ndarray] = []
    learned_parts: list[np.ndarray] = []
    prior_parts: list[np.ndarray] = []
    query_parts: list[np.ndarray] = []
    company_of_query: dict[int, Any] = {}
    trained_on: list[int] = []
    for _, test_pos in GroupKFold(n_splits=splits).split(later, groups=ts.groups[later]):
        test = later[test_pos]
        held_out = set(ts.groups[test].tolist())
        train_idx = np.array([i for i in first_set if ts.groups[i] not in held_out], dtype=np.int64)
        if train_idx.size == 0 or len(np.unique(ts.y[train_idx])) < 2:
            continue
        trained_on.append(int(train_idx.size))
        model = fit_model(ts.X[train_idx], ts.y[train_idx], pipeline=pipeline)
        if shown is None:
            X = _refresh_history(ts.X[test], [ts.records[i] for i in test.tolist()], stats)
            gains_parts.append(ts.gains[test])
            query_parts.append(ts.queries[test])
            learned_parts.append(model.score(X))
            prior_parts.append(prior.score(X))
            company_of_query.update({int(ts.queries[i]): ts.groups[i] for i in test.tolist()})
            continue
        for q in sorted({int(ts.queries[i]) for i in test.tolist()}):
            i0 = next(i for i in test.tolist() if int(ts.queries[i]) == q)
            rec = ts.records[i0]
            found = _lookup(shown, rec.contract_reference)
            if found is None:
                continue
            cs = as_candidate_set(found.candidates)
            ctx = replace(found.context, as_of=start_of[q])
            X = compute_feature_batch(ctx, cs, stats).X
            recs = [ts.records[i] for i in test.tolist() if int(ts.queries[i]) == q]
            gains_parts.append(_gains(found, cs, recs)[0])
            query_parts.append(np.full(len(cs), q, dtype=np.int64))
            learned_parts.append(model.score(X))
            prior_parts.append(prior.score(X))
            company_of_query[q] = rec.company_key
    if not gains_parts:
        return None
    summary = _summary(
        np.concatenate(gains_parts),
        np.concatenate(learned_parts),
        np.concatenate(prior_parts),
        np.concatenate(query_parts),
        company_of_query,
        k=k,
        seed=seed,
        n_boot=n_boot,
        level=level,
    )
    summary["model_type"] = model_kind(pipeline)
    summary["n_trained_on"] = int(np.mean(trained_on))
    summary["n_later_decisions"] = int(later.size)
    return summary


def learning_curve(
    data: TrainingSet | Iterable[DecisionRecord],
    shown: CandidateSource | None = None,
    resolve: Resolver | None = None,
    *,
    sizes: Sequence[int] = CURVE_SIZES,
    kind: str = "auto",
    n_splits: int = 5,
    k: int = K,
    seed: int = 0,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> list[dict[str, Any]]:
    """NDCG@k of model, prior and random after the first n decisions, for each n in ``sizes``.

    "After n decisions" is what a company would have been served at that moment: the model is fitted on the
    n earliest decisions and scores the contracts that start after the n-th decision, with every history
    feature counted from those n decisions only (nothing later is known yet). The scored contracts' companies
    are held out of the fit (GroupKFold over them), so the model has never seen them. With ``shown`` every
    candidate of a scored contract is ranked (as ``evaluate_rankings``), otherwise its pledges (as
    ``evaluate``). A size with no later contract to score (the last decisions) or without both outcomes is
    left out of the result.
    """
    key = f"ndcg@{k}"
    ts = _as_training_set(data, resolve)
    rows: list[dict[str, Any]] = []
    for n in sizes:
        if n >= len(ts) or n < 2:
            continue
        point = _curve_point(
            ts, n, shown, kind=kind, n_splits=n_splits, k=k, seed=seed, n_boot=n_boot, level=level
        )
        if point is None:
            continue
        gain = point["gain"]
        rows.append(
            {
                "n_decisions": n,
                "n_trained_on": point["n_trained_on"],
                "n_scored_decisions": point["n_later_decisions"],
                "n_queries": point["n_queries"],
                "n_companies": point["n_companies_scored"],
                "model_type": point["model_type"],
                "learned": point["learned"][key],
                "prior": point["prior"][key],
                "random": point["random"][key],
                "learned_interval": [point["learned"][f"{key}_low"], point["learned"][f"{key}_high"]],
                "prior_interval": [point["prior"][f"{key}_low"], point["prior"][f"{key}_high"]],
                "gain": gain[key],
                "low": gain["low"],
                "high": gain["high"],
                "beats_prior": point["beats_prior"],
            }
        )
    return rows


__all__ = ["CURVE_SIZES", "learning_curve"]
