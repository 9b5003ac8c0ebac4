"""Fit and evaluate the learned scorer from officer decisions.

Training data. Each DecisionRecord is one labelled (contract, candidate) pair: approved or not. Its feature row
comes from ``record.features`` when the marketplace stored the features shown at decision time; otherwise a
``resolve(record) -> (ContractContext, Candidate) | None`` callback supplies the pair, and the features are
computed here, per contract, over all of that contract's decided candidates (so text fit and search
normalisation see a candidate set, as they did live). Records that cannot be resolved are skipped and
counted.

No leakage. ``approval_rate`` is always recomputed from the history strictly before the record's own
``decided_at`` (``ApprovalStats``), so a row never sees its own label or any later decision, whatever was
stored.

Evaluation (``evaluate``). The question is "does the model rank what officers approve above what they
reject, for a company it has never seen?", so:
- folds: GroupKFold grouped by company (KvK number); a company's decisions are all held out together;
- queries: the decisions of one contract form one ranked list; lists with fewer than two decisions or without
  any approval are skipped (every ranking scores the same on them);
- metrics per list, averaged over lists: NDCG@10 (binary gain), precision@5 (over min(5, list size)) and
  average precision (MAP); ties are broken by a fixed random order, never by input order;
- baselines on the same held-out rows: the prior and a random ranking (mean of 10 draws).
``train`` runs this evaluation, then fits the final model on all rows and writes the result into the card;
the scorer only uses the model if the card's NDCG@10 beats the prior's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from . import prior
from .features import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    N_FEATURES,
    ApprovalStats,
    compute_feature_batch,
    vector_from_mapping,
)
from .model import LearnedModel, fit_model, make_pipeline, model_kind
from .types import Candidate, ContractContext, DecisionRecord

Resolver = Callable[[DecisionRecord], "tuple[ContractContext, Candidate] | None"]

K = 10
N_RANDOM_DRAWS = 10


@dataclass
class TrainingSet:
    X: np.ndarray  # (n, N_FEATURES)
    y: np.ndarray  # 1 = approved
    groups: np.ndarray  # company key per row (GroupKFold groups)
    queries: np.ndarray  # int id per (government, contract_reference)
    decided_at: list[datetime]
    n_skipped: int = 0

    def __len__(self) -> int:
        return len(self.y)


def build_training_set(
    records: Iterable[DecisionRecord],
    resolve: Resolver | None = None,
    *,
    stats: ApprovalStats | None = None,
) -> TrainingSet:
    """Feature rows and labels from decisions (see the module docstring)."""
    records = list(records)
    stats = stats if stats is not None else ApprovalStats(records)
    n = len(records)
    X = np.empty((n, N_FEATURES), dtype=np.float64)
    keep = np.zeros(n, dtype=bool)
    # one feature batch per contract state (remaining obligation), over the candidates decided on it
    pending: dict[tuple[str, str, int], tuple[ContractContext, list[tuple[int, Candidate]]]] = {}
    for idx, rec in enumerate(records):
        if rec.features is not None:
            X[idx] = vector_from_mapping(rec.features)
            keep[idx] = True
        elif resolve is not None:
            pair = resolve(rec)
            if pair is None:
                continue
            ctx, cand = pair
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
    a = FEATURE_INDEX["approval_rate"]
    for idx in np.flatnonzero(keep).tolist():
        rec = records[idx]
        X[idx, a] = stats.rate(rec.government, rec.initiative_slug, rec.decided_at)

    kept = [records[i] for i in np.flatnonzero(keep).tolist()]
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
    )


# ---------------------------------------------------------------------------------------------------------
# Ranking metrics


def ranking_metrics(
    y: np.ndarray, scores: np.ndarray, queries: np.ndarray, *, k: int = K, seed: int = 0
) -> dict[str, float]:
    """Mean NDCG@k, precision@5 and MAP over queries (lists) with >= 2 items and >= 1 positive."""
    y = np.asarray(y, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    queries = np.asarray(queries)
    n = y.shape[0]
    if n == 0:
        return {f"ndcg@{k}": float("nan"), "precision@5": float("nan"), "map": float("nan"), "n_queries": 0}
    tiebreak = np.random.default_rng(seed).permutation(n)
    order = np.lexsort((tiebreak, -np.round(scores, 12), queries))
    q = queries[order]
    rel = y[order]
    _, qidx, sizes = np.unique(q, return_inverse=True, return_counts=True)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    pos = np.arange(n) - starts[qidx]
    n_pos = np.bincount(qidx, weights=rel)
    discount = 1.0 / np.log2(np.arange(2, n + 2))
    dcg = np.bincount(qidx, weights=np.where(pos < k, rel * discount[pos], 0.0), minlength=len(sizes))
    ideal_cum = np.concatenate(([0.0], np.cumsum(discount[:k])))
    idcg = ideal_cum[np.minimum(n_pos, k).astype(int)]
    top5 = np.bincount(qidx, weights=np.where(pos < 5, rel, 0.0), minlength=len(sizes))
    p5 = top5 / np.minimum(5, sizes)
    cum_rel = np.cumsum(rel) - np.concatenate(([0.0], np.cumsum(rel)))[starts[qidx]]
    ap = np.bincount(qidx, weights=np.where(rel > 0, cum_rel / (pos + 1), 0.0), minlength=len(sizes))
    valid = (sizes >= 2) & (n_pos > 0)
    if not valid.any():
        return {f"ndcg@{k}": float("nan"), "precision@5": float("nan"), "map": float("nan"), "n_queries": 0}
    return {
        f"ndcg@{k}": float(np.mean(dcg[valid] / idcg[valid])),
        "precision@5": float(np.mean(p5[valid])),
        "map": float(np.mean(ap[valid] / n_pos[valid])),
        "n_queries": int(valid.sum()),
    }


def _random_metrics(y: np.ndarray, queries: np.ndarray, *, k: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed + 1)
    draws = [ranking_metrics(y, rng.random(len(y)), queries, k=k, seed=seed) for _ in range(N_RANDOM_DRAWS)]
    out = {key: float(np.mean([d[key] for d in draws])) for key in draws[0] if key != "n_queries"}
    out["n_queries"] = draws[0]["n_queries"]
    return out


# ---------------------------------------------------------------------------------------------------------
# Evaluation and training


def _as_training_set(data: TrainingSet | Iterable[DecisionRecord], resolve: Resolver | None) -> TrainingSet:
    return data if isinstance(data, TrainingSet) else build_training_set(data, resolve)


def evaluate(
    data: TrainingSet | Iterable[DecisionRecord],
    resolve: Resolver | None = None,
    *,
    kind: str = "auto",
    calibrate: bool = False,
    n_splits: int = 5,
    k: int = K,
    seed: int = 0,
) -> dict[str, Any]:
    """Held-out ranking quality of the learned model, the prior and a random ranking (module docstring)."""
    ts = _as_training_set(data, resolve)
    n = len(ts)
    n_companies = len(set(ts.groups.tolist()))
    pipeline = make_pipeline(kind, n, calibrate=calibrate, random_state=seed)
    result: dict[str, Any] = {
        "n_decisions": n,
        "n_companies": n_companies,
        "n_contracts": len(set(ts.queries.tolist())),
        "n_skipped": ts.n_skipped,
        "label_counts": {"approved": int(ts.y.sum()), "rejected": int(n - ts.y.sum())},
        "model_type": model_kind(pipeline),
        "k": k,
        "cv": "GroupKFold by company; queries = decisions per contract",
    }
    if n_companies < 2 or len(np.unique(ts.y)) < 2:
        result.update({"folds": 0, "learned": None, "prior": None, "random": None, "beats_prior": False})
        result["note"] = "needs decisions from at least two companies and both outcomes"
        return result
    splits = min(n_splits, n_companies)
    learned = np.empty(n, dtype=np.float64)
    folds_on_prior = 0
    for train_idx, test_idx in GroupKFold(n_splits=splits).split(ts.X, ts.y, ts.groups):
        if len(np.unique(ts.y[train_idx])) < 2:
            learned[test_idx] = prior.score(ts.X[test_idx])
            folds_on_prior += 1
            continue
        model = fit_model(ts.X[train_idx], ts.y[train_idx], pipeline=pipeline)
        learned[test_idx] = model.score(ts.X[test_idx])
    metrics_learned = ranking_metrics(ts.y, learned, ts.queries, k=k, seed=seed)
    metrics_prior = ranking_metrics(ts.y, prior.score(ts.X), ts.queries, k=k, seed=seed)
    metrics_random = _random_metrics(ts.y, ts.queries, k=k, seed=seed)
    key = f"ndcg@{k}"
    result.update(
        {
            "folds": splits,
            "folds_on_prior": folds_on_prior,
            "n_queries": metrics_learned["n_queries"],
            "learned": metrics_learned,
            "prior": metrics_prior,
            "random": metrics_random,
            "beats_prior": bool(metrics_learned[key] > metrics_prior[key]),
        }
    )
    return result


def train(
    records: TrainingSet | Iterable[DecisionRecord],
    resolve: Resolver | None = None,
    *,
    kind: str = "auto",
    calibrate: bool = False,
    n_splits: int = 5,
    seed: int = 0,
    run_evaluation: bool = True,
) -> tuple[LearnedModel, dict[str, Any]]:
    """Evaluate (GroupKFold), then fit on every decision. Returns the model and its card.

    Without evaluation the card has no metrics and the scorer will keep using the prior.
    """
    t0 = time.perf_counter()
    if isinstance(records, TrainingSet):
        ts, cutoff = records, (max(records.decided_at) if records.decided_at else None)
    else:
        records = list(records)
        ts = build_training_set(records, resolve)
        cutoff = max((r.decided_at for r in records), default=None)
    evaluation = (
        evaluate(ts, kind=kind, calibrate=calibrate, n_splits=n_splits, seed=seed) if run_evaluation else None
    )
    model = fit_model(ts.X, ts.y, kind=kind, calibrate=calibrate, random_state=seed)
    card: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_cutoff": cutoff.isoformat() if cutoff else None,
        "feature_names": list(FEATURE_NAMES),
        "model_type": model.kind,
        "n_decisions": len(ts),
        "n_skipped": ts.n_skipped,
        "n_companies": len(set(ts.groups.tolist())),
        "label_counts": {"approved": int(ts.y.sum()), "rejected": int(len(ts) - ts.y.sum())},
        "reference": [float(v) for v in model.reference],
        "prior_weights": dict(prior.WEIGHTS),
    }
    if evaluation is not None:
        card["metrics"] = {name: evaluation[name] for name in ("learned", "prior", "random")}
        card["evaluation"] = {
            key: evaluation[key]
            for key in ("cv", "folds", "n_queries", "n_contracts", "k", "beats_prior", "note")
            if key in evaluation
        }
        card["beats_prior"] = evaluation["beats_prior"]
    card["training_seconds"] = round(time.perf_counter() - t0, 3)
    model.card = card
    return model, card


def decisions_as_training_rows(ts: TrainingSet) -> list[dict[str, float]]:
    """The feature rows as mappings (handy for inspection and exports)."""
    return [{name: float(v) for name, v in zip(FEATURE_NAMES, row, strict=True)} for row in ts.X]


__all__: Sequence[str] = (
    "Resolver",
    "TrainingSet",
    "build_training_set",
    "evaluate",
    "ranking_metrics",
    "train",
)
