"""Held-out evaluation of the learned scorer against the prior, with an interval that says how sure it is.

The question is "does the model rank what officers approve above what they reject, for a company it has never
seen?". Two ways to ask it, with the same folds, metrics and interval:

``evaluate(training_set)``: the pledge lists. The decisions of one contract form one ranked list. This is
what the marketplace can always compute, but it scores binary labels on the dozen pledges a company happened
to make, which understates a model's gain.

``evaluate_rankings(records, shown)``: the truth as a company saw it. For each contract, every candidate the
company could have been shown (``shown``: a mapping or a callable from contract reference to a
``ShownCandidates``) is ranked, with features as of the contract's first decision. Gains are graded where the
data has them: ``ShownCandidates.gains`` (e.g. a known approval chance), else the decisions' ``relevance``
(``DecisionRecord.gain``, or 1 approved / 0 rejected); a candidate nobody pledged has gain 0.

Both:
- folds: GroupKFold grouped by company (KvK number); a company's decisions are all held out together, and
  the model scoring them was fitted on other companies only;
- lists with fewer than two items or without any gain are skipped (every ranking scores the same on them);
- metrics per list, averaged over lists: NDCG@10 with linear graded gain (binary when the gains are 0/1),
  precision@5 (mean gain of the top min(5, list size)) and average precision (relevant = gain >= 0.5); ties
  are broken by a fixed random order, never by input order;
- baselines on the same held-out lists: the prior and a random ranking (mean of 10 draws);
- interval: a cluster bootstrap over companies (``N_BOOT`` resamples of the held-out companies with
  replacement; each resample's mean is over the lists of the companies drawn), percentile interval at
  ``LEVEL`` (95%), for each scorer and for the paired gain model - prior;
- the gate: ``beats_prior`` is true only when the gain's lower bound is above 0. ``train`` copies it into the
  model card, and the scorer uses a model only then (``LearnedModel.beats_prior``).

``matching.curve.learning_curve``: the same metrics and interval after 50, 100, 200, 300, 500 and 1,000
decisions: how many decisions the model needs before it beats the prior.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from . import prior
from .candidates import CandidateSet, as_candidate_set
from .dataset import Resolver, TrainingSet, build_training_set
from .features import ApprovalStats, compute_feature_batch
from .model import fit_model, make_pipeline, model_kind
from .types import Candidate, ContractContext, DecisionRecord

K = 10
N_RANDOM_DRAWS = 10
N_BOOT = 1000
LEVEL = 0.95
RELEVANT = 0.5  # a gain at or above this counts as relevant for average precision


@dataclass(frozen=True)
class ShownCandidates:
    """What a company could have been shown for one contract, when it chose what to pledge."""

    context: ContractContext  # the contract as it stood; as_of is moved back to its first decision if later
    candidates: Sequence[Candidate] | CandidateSet  # every eligible open candidate at that moment
    gains: Mapping[str, float] | None = None  # candidate id -> graded gain, where the data has one


CandidateSource = Mapping[str, ShownCandidates] | Callable[[str], "ShownCandidates | None"]


# ---------------------------------------------------------------------------------------------------------
# Ranking metrics


@dataclass
class QueryMetrics:
    """Metrics per list (query), in the order of ``query`` (sorted ids); ``valid`` marks the lists that count."""

    query: np.ndarray
    ndcg: np.ndarray
    precision5: np.ndarray
    ap: np.ndarray
    valid: np.ndarray


def per_query_metrics(
    gains: np.ndarray, scores: np.ndarray, queries: np.ndarray, *, k: int = K, seed: int = 0
) -> QueryMetrics:
    """NDCG@k, precision@5 and average precision of every list (see the module docstring)."""
    g = np.asarray(gains, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    queries = np.asarray(queries)
    n = g.shape[0]
    if n == 0:
        empty = np.zeros(0)
        return QueryMetrics(np.zeros(0, dtype=np.int64), empty, empty, empty, np.zeros(0, dtype=bool))
    tiebreak = np.random.default_rng(seed).permutation(n)
    order = np.lexsort((tiebreak, -np.round(scores, 12), queries))
    q = queries[order]
    rel = g[order]
    uq, qidx, sizes = np.unique(q, return_inverse=True, return_counts=True)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    pos = np.arange(n) - starts[qidx]
    discount = 1.0 / np.log2(np.arange(2, n + 2))
    nq = len(sizes)
    dcg = np.bincount(qidx, weights=np.where(pos < k, rel * discount[pos], 0.0), minlength=nq)
    # the ideal order: gains sorted descending within each list (queries are already grouped)
    ideal = np.lexsort((-g, queries))
    ideal_rel = g[ideal]
    idcg = np.bincount(qidx, weights=np.where(pos < k, ideal_rel * discount[pos], 0.0), minlength=nq)
    top5 = np.bincount(qidx, weights=np.where(pos < 5, rel, 0.0), minlength=nq)
    p5 = top5 / np.minimum(5, sizes)
    hit = (rel >= RELEVANT).astype(np.float64)
    cum_hit = np.cumsum(hit) - np.concatenate(([0.0], np.cumsum(hit)))[starts[qidx]]
    n_hit = np.bincount(qidx, weights=hit, minlength=nq)
    ap_sum = np.bincount(qidx, weights=np.where(hit > 0, cum_hit / (pos + 1), 0.0), minlength=nq)
    best = np.zeros(nq)
    np.maximum.at(best, qidx, rel)
    valid = (sizes >= 2) & (best > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndcg = np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 0.0)
        ap = np.where(n_hit > 0, ap_sum / np.where(n_hit > 0, n_hit, 1.0), 0.0)
    return QueryMetrics(uq, ndcg, p5, ap, valid)


def _means(m: QueryMetrics, k: int) -> dict[str, float]:
    if not m.valid.any():
        return {f"ndcg@{k}": float("nan"), "precision@5": float("nan"), "map": float("nan"), "n_queries": 0}
    return {
        f"ndcg@{k}": float(np.mean(m.ndcg[m.valid])),
        "precision@5": float(np.mean(m.precision5[m.valid])),
        "map": float(np.mean(m.ap[m.valid])),
        "n_queries": int(m.valid.sum()),
    }


def ranking_metrics(
    y: np.ndarray, scores: np.ndarray, queries: np.ndarray, *, k: int = K, seed: int = 0
) -> dict[str, float]:
    """Mean NDCG@k, precision@5 and MAP over lists with >= 2 items and a gain > 0 (``y``: 0/1 or graded)."""
    return _means(per_query_metrics(y, scores, queries, k=k, seed=seed), k)


def bootstrap_interval(
    values: np.ndarray,
    clusters: np.ndarray,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of the mean of ``values`` (one per list) when whole clusters are resampled."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan")
    _, cidx = np.unique(np.asarray(clusters), return_inverse=True)
    sums = np.bincount(cidx, weights=values)
    counts = np.bincount(cidx).astype(np.float64)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, sums.shape[0], size=(n_boot, sums.shape[0]))
    means = sums[draw].sum(axis=1) / counts[draw].sum(axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _summary(
    gains: np.ndarray,
    learned: np.ndarray,
    prior_scores: np.ndarray,
    queries: np.ndarray,
    company_of_query: Mapping[int, Any],
    *,
    k: int,
    seed: int,
    n_boot: int,
    level: float,
) -> dict[str, Any]:
    """Metrics, intervals and the gate for scores on held-out lists."""
    m_learned = per_query_metrics(gains, learned, queries, k=k, seed=seed)
    m_prior = per_query_metrics(gains, prior_scores, queries, k=k, seed=seed)
    rng = np.random.default_rng(seed + 1)
    draws = [
        per_query_metrics(gains, rng.random(len(gains)), queries, k=k, seed=seed)
        for _ in range(N_RANDOM_DRAWS)
    ]
    m_random = QueryMetrics(
        m_learned.query,
        np.mean([d.ndcg for d in draws], axis=0),
        np.mean([d.precision5 for d in draws], axis=0),
        np.mean([d.ap for d in draws], axis=0),
        m_learned.valid,
    )
    valid = m_learned.valid
    clusters = np.array([company_of_query[int(q)] for q in m_learned.query[valid]], dtype=object)
    key = f"ndcg@{k}"
    out: dict[str, Any] = {}
    for name, m in (("learned", m_learned), ("prior", m_prior), ("random", m_random)):
        row = _means(m, k)
        low, high = bootstrap_interval(m.ndcg[valid], clusters, n_boot=n_boot, level=level, seed=seed)
        row.update({f"{key}_low": low, f"{key}_high": high})
        out[name] = row
    diff = m_learned.ndcg[valid] - m_prior.ndcg[valid]
    low, high = bootstrap_interval(diff, clusters, n_boot=n_boot, level=level, seed=seed)
    gain = float(np.mean(diff)) if diff.size else float("nan")
    out["gain"] = {key: gain, "low": low, "high": high, "level": level, "n_boot": n_boot}
    out["beats_prior"] = bool(np.isfinite(low) and low > 0.0)
    out["n_queries"] = int(valid.sum())
    out["n_companies_scored"] = len(set(clusters.tolist()))
    return out


# ---------------------------------------------------------------------------------------------------------
# Evaluation on the pledge lists


def _as_training_set(data: TrainingSet | Iterable[DecisionRecord], resolve: Resolver | None) -> TrainingSet:
    return data if isinstance(data, TrainingSet) else build_training_set(data, resolve)


def _header(ts: TrainingSet, kind: str, calibrate: bool, seed: int, k: int, cv: str) -> dict[str, Any]:
    n = len(ts)
    pipeline = make_pipeline(kind, n, calibrate=calibrate, random_state=seed)
    return {
        "n_decisions": n,
        "n_companies": len(set(ts.groups.tolist())),
        "n_contracts": len(set(ts.queries.tolist())),
        "n_skipped": ts.n_skipped,
        "label_counts": {"approved": int(ts.y.sum()), "rejected": int(n - ts.y.sum())},
        "model_type": model_kind(pipeline),
        "k": k,
        "cv": cv,
    }


def _not_enough(result: dict[str, Any]) -> dict[str, Any]:
    result.update(
        {"folds": 0, "learned": None, "prior": None, "random": None, "gain": None, "beats_prior": False}
    )
    result["note"] = "needs decisions from at least two companies and both outcomes"
    return result


def _folds(ts: TrainingSet, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splits = min(n_splits, len(set(ts.groups.tolist())))
    return list(GroupKFold(n_splits=splits).split(ts.X, ts.y, ts.groups))


def evaluate(
    data: TrainingSet | Iterable[DecisionRecord],
    resolve: Resolver | None = None,
    *,
    kind: str = "auto",
    calibrate: bool = False,
    n_splits: int = 5,
    k: int = K,
    seed: int = 0,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> dict[str, Any]:
    """Held-out quality on the pledge lists: model vs prior vs random, with intervals (module docstring)."""
    ts = _as_training_set(data, resolve)
    result = _header(ts, kind, calibrate, seed, k, "GroupKFold by company; queries = decisions per contract")
    result["mode"] = "pledges"
    if result["n_companies"] < 2 or len(np.unique(ts.y)) < 2:
        return _not_enough(result)
    pipeline = make_pipeline(kind, len(ts), calibrate=calibrate, random_state=seed)
    learned = np.empty(len(ts), dtype=np.float64)
    folds = _folds(ts, n_splits)
    folds_on_prior = 0
    for train_idx, test_idx in folds:
        if len(np.unique(ts.y[train_idx])) < 2:
            learned[test_idx] = prior.score(ts.X[test_idx])
            folds_on_prior += 1
            continue
        model = fit_model(ts.X[train_idx], ts.y[train_idx], pipeline=pipeline)
        learned[test_idx] = model.score(ts.X[test_idx])
    gains = ts.gains if ts.gains.shape[0] == len(ts) else ts.y.astype(np.float64)
    company_of_query = {int(q): g for q, g in zip(ts.queries.tolist(), ts.groups.tolist(), strict=True)}
    summary = _summary(
        gains,
        learned,
        prior.score(ts.X),
        ts.queries,
        company_of_query,
        k=k,
        seed=seed,
        n_boot=n_boot,
        level=level,
    )
    result.update({"folds": len(folds), "folds_on_prior": folds_on_prior, **summary})
    return result


# ---------------------------------------------------------------------------------------------------------
# Evaluation on every candidate the company could have been shown


def _lookup(shown: CandidateSource, reference: str) -> ShownCandidates | None:
    if callable(shown):
        return shown(reference)
    return shown.get(reference)


def _matches(rec: DecisionRecord, cand: Candidate) -> bool:
    if rec.need_id is not None:
        return cand.need_id == rec.need_id
    return cand.need_id is None and cand.initiative_slug == rec.initiative_slug


def _gains(
    found: ShownCandidates, cs: CandidateSet, recs: Sequence[DecisionRecord]
) -> tuple[np.ndarray, int]:
    """Gain per shown candidate, and how many of the decisions' pledges are not among them."""
    if found.gains is not None:
        gains = found.gains
        return np.array([float(gains.get(i, 0.0)) for i in cs.ids.tolist()], dtype=np.float64), 0
    out = np.zeros(len(cs), dtype=np.float64)
    members = cs.candidates
    missed = 0
    for rec in recs:
        hits = [j for j, c in enumerate(members) if _matches(rec, c)]
        if not hits:
            missed += 1
        for j in hits:
            out[j] = max(out[j], rec.relevance)
    return out, missed


@dataclass
class _Contract:
    query: int
    company: str
    X: np.ndarray
    gains: np.ndarray


def evaluate_rankings(
    records: Iterable[DecisionRecord],
    shown: CandidateSource,
    resolve: Resolver | None = None,
    *,
    kind: str = "auto",
    calibrate: bool = False,
    n_splits: int = 5,
    k: int = K,
    seed: int = 0,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> dict[str, Any]:
    """Held-out quality when every candidate a company could have been shown is ranked (module docstring).

    The model is fitted on the decisions (feature rows as ``build_training_set`` makes them) of the other
    folds' companies; each held-out contract's shown candidates are then scored with features computed as of
    the contract's first decision, from the decisions before it.
    """
    ts = build_training_set(records, resolve)
    result = _header(ts, kind, calibrate, seed, k, "GroupKFold by company; queries = all candidates shown")
    result["mode"] = "all candidates shown"
    if result["n_companies"] < 2 or len(np.unique(ts.y)) < 2:
        return _not_enough(result)
    stats = ApprovalStats(ts.history)
    by_query: dict[int, list[DecisionRecord]] = {}
    for q, rec in zip(ts.queries.tolist(), ts.records, strict=True):
        by_query.setdefault(int(q), []).append(rec)
    contracts: list[_Contract] = []
    n_missing = n_not_shown = n_candidates = 0
    for q, recs in by_query.items():
        found = _lookup(shown, recs[0].contract_reference)
        if found is None:
            n_missing += 1
            continue
        first = min(r.decided_at for r in recs)
        ctx = found.context
        if ctx.as_of > first:
            ctx = replace(ctx, as_of=first)
        cs = as_candidate_set(found.candidates)
        batch = compute_feature_batch(ctx, cs, stats)
        gains, missed = _gains(found, cs, recs)
        n_not_shown += missed
        n_candidates += len(cs)
        contracts.append(_Contract(q, recs[0].company_key, batch.X, gains))
    result.update(
        {
            "n_contracts_without_candidates": n_missing,
            "n_pledges_not_shown": n_not_shown,
            "n_candidates_ranked": n_candidates,
        }
    )
    if not contracts:
        return _not_enough(result) | {"note": "no contract's candidates could be enumerated"}
    pipeline = make_pipeline(kind, len(ts), calibrate=calibrate, random_state=seed)
    folds = _folds(ts, n_splits)
    learned_by_query: dict[int, np.ndarray] = {}
    folds_on_prior = 0
    for train_idx, test_idx in folds:
        held_out = set(ts.groups[test_idx].tolist())
        todo = [c for c in contracts if c.company in held_out]
        if not todo:
            continue
        if len(np.unique(ts.y[train_idx])) < 2:
            folds_on_prior += 1
            for c in todo:
                learned_by_query[c.query] = prior.score(c.X)
            continue
        model = fit_model(ts.X[train_idx], ts.y[train_idx], pipeline=pipeline)
        for c in todo:
            learned_by_query[c.query] = model.score(c.X)
    queries = np.concatenate([np.full(len(c.gains), c.query, dtype=np.int64) for c in contracts])
    summary = _summary(
        np.concatenate([c.gains for c in contracts]),
        np.concatenate([learned_by_query[c.query] for c in contracts]),
        np.concatenate([prior.score(c.X) for c in contracts]),
        queries,
        {c.query: c.company for c in contracts},
        k=k,
        seed=seed,
        n_boot=n_boot,
        level=level,
    )
    result.update({"folds": len(folds), "folds_on_prior": folds_on_prior, **summary})
    return result


__all__ = [
    "CandidateSource",
    "QueryMetrics",
    "ShownCandidates",
    "bootstrap_interval",
    "evaluate",
    "evaluate_rankings",
    "per_query_metrics",
    "ranking_metrics",
]
