"""Ranking: features -> scores -> the top ``limit`` candidates with their reasons.

- Scorer choice: the learned model only when one is given *and* its card shows it beat the prior on held-out
  decisions with confidence (``LearnedModel.beats_prior``: the lower bound of the bootstrap interval of its
  NDCG@10 gain over the prior is above 0); otherwise the prior.
- Determinism: scores are rounded to 1e-12 for ordering and ties are broken by candidate id, so the ranking
  does not depend on the order candidates arrive in.
- Reasons are not separate rules: they are the features with the largest contributions to this candidate's
  score (the prior's or the model's, in log-odds). Features that share a code (the one-hot columns of the need
  kind, of the route) are added up into one reason. Up to three positive ones above ``MIN_POSITIVE`` (at least
  the two strongest positive ones above ``MIN_ANY``), plus the most negative one when it is below
  ``MAX_NEGATIVE``. A feature whose value is unknown (no coordinates, no earlier decisions, no priority
  themes, no sector) is never quoted.

Reason codes and their params (``Reason(code, params, contribution)``; a positive contribution raised the
score, a negative one lowered it; the marketplace writes the sentences, ``Reason.text`` is an English default):

| code                 | feature(s)            | params                                                         |
|----------------------|-----------------------|----------------------------------------------------------------|
| priority_theme       | priority_theme_fit    | theme (THEMES code), government (name), score (0-100)          |
| company_interest     | company_interest_fit  | theme, score                                                   |
| text_fit             | text_fit              | pct (cosine x 100)                                             |
| distance             | closeness             | km                                                             |
| fills_share          | size_ratio            | pct (share of the remaining obligation it fills, at most 100),  |
|                      |                       | ratio (open value / remaining, uncapped, 1 decimal), value_cents|
| overshoot            | overshoot             | pct (open value as % of the remaining, uncapped, e.g. 250),    |
|                      |                       | ratio (e.g. 2.5), value_cents                                  |
| route_preference     | route_preference      | route (ROUTES code), rank (1-based or None), government        |
| search_relevance     | search_relevance      | pct                                                            |
| approval_rate        | approval_rate         | approved, n, pct, government: this government's earlier        |
|                      |                       | decisions on pledges to this initiative                        |
| company_kind_rate    | company_kind_rate     | approved, n, pct, kind (NEED_KINDS code): this company's own   |
|                      |                       | earlier pledges of this kind                                   |
| sector_kind_rate     | sector_kind_rate      | approved, n, pct, kind, sector (SBI letter): pledges of this   |
|                      |                       | kind from companies in the company's sector                    |
| company_route_rate   | company_route_rate    | approved, n, pct, route: this company's own earlier pledges by |
|                      |                       | this route                                                     |
| sector_route_rate    | sector_route_rate     | approved, n, pct, route, sector                                |
| need_kind            | kind_* (one-hots)     | kind: officers approve pledges of this kind more (or less)     |
|                      |                       | often than others, all else equal (learned models only)        |
| route_kind           | route_* (one-hots)    | route: the same for the candidate's route                      |

The counts in approved/n are the raw decisions before the cut-off (all governments for the four *_rate
codes, this government for approval_rate); the score uses the shrunk rate. A rate reason is quoted only when
n > 0, and a sector reason only when the company has a sector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .features import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    REASON_CODES,
    ApprovalStats,
    CandidateSet,
    FeatureBatch,
    as_candidate_set,
    as_stats,
    compute_feature_batch,
)
from .history import GroupRates
from .prior import PRIOR
from .types import THEMES, Candidate, ContractContext, DecisionRecord, Reason, Recommendation

MIN_POSITIVE = 0.05  # log-odds a positive reason must add (after the top two)
MIN_ANY = 0.01  # below this a contribution is never quoted
MAX_NEGATIVE = -0.4  # log-odds a negative reason must take away to be mentioned
MAX_POSITIVE_REASONS = 3


class Scorer(Protocol):
    name: str

    def score(self, X: np.ndarray) -> np.ndarray: ...

    def contributions(self, X: np.ndarray) -> np.ndarray: ...


def choose_scorer(model: Scorer | None) -> Scorer:
    """The model when it has shown it beats the prior on held-out decisions; else the prior."""
    if model is None:
        return PRIOR
    if getattr(model, "beats_prior", False):
        return model
    return PRIOR


def top_indices(
    scores: np.ndarray, ids: np.ndarray | Callable[[np.ndarray], np.ndarray], limit: int | None
) -> np.ndarray:
    """Indices of the best ``limit`` scores, ordered by score desc then id asc (order-independent).

    ``ids`` is the id array, or a function giving the ids at some positions (only the candidates that can
    reach the top, ties at the boundary included, are looked up).
    """
    n = scores.shape[0]
    key = np.round(np.asarray(scores, dtype=np.float64), 12)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if limit is None or limit >= n:
        pool = np.arange(n)
    else:
        if limit <= 0:
            return np.zeros(0, dtype=np.int64)
        kth = np.partition(-key, limit - 1)[limit - 1]
        pool = np.flatnonzero(-key <= kth)  # keeps every tie at the boundary
    pool_ids = ids(pool) if callable(ids) else ids[pool]
    order = np.lexsort((pool_ids, -key[pool]))
    out = pool[order]
    return out if limit is None else out[:limit]


def _counts_params(rates: GroupRates | None, code: int, level: str) -> tuple[int, int] | None:
    if rates is None:
        return None
    n = int((rates.company_n if level == "company" else rates.sector_n)[code])
    if n == 0:
        return None
    approved = int((rates.company_approved if level == "company" else rates.sector_approved)[code])
    return approved, n


def _reason_params(
    code: str, i: int, ctx: ContractContext, cs: CandidateSet, batch: FeatureBatch
) -> dict[str, Any] | None:
    """The params of reason ``code`` for row ``i``; None when the value behind it is unknown (never quoted)."""
    if code == "priority_theme":
        t = batch.best_priority_theme(i)
        if t < 0:
            return None
        return {"theme": THEMES[t], "government": ctx.government_name, "score": round(cs.themes[i, t] * 100)}
    if code == "company_interest":
        t = batch.best_interest_theme(i)
        if t < 0:
            return None
        return {"theme": THEMES[t], "score": round(cs.themes[i, t] * 100)}
    if code == "text_fit":
        if not ctx.company_profile.strip():
            return None
        return {"pct": round(float(batch.X[i, FEATURE_INDEX["text_fit"]]) * 100)}
    if code == "distance":
        km = float(batch.km[i])
        if np.isnan(km):
            return None
        return {"km": round(km, 1) if km < 10 else round(km)}
    if code in ("fills_share", "overshoot"):
        if ctx.remaining_cents <= 0 or batch.share is None:
            return None
        r = float(batch.share[i])
        pct = round(100 * r)
        return {
            "pct": min(100, pct) if code == "fills_share" else pct,
            "ratio": round(r, 1) if r < 10 else round(r),
            "value_cents": int(cs.open_value[i]),
        }
    if code == "route_preference":
        route = cs.route_names[int(cs.route_code[i])]
        if not ctx.route_order:
            return None
        rank = list(ctx.route_order).index(route) + 1 if route in ctx.route_order else None
        return {"route": route, "rank": rank, "government": ctx.government_name}
    if code == "search_relevance":
        s = cs.search_score
        if s.size == 0 or float(s.max()) <= 0 or float(s.max()) == float(s.min()):
            return None
        return {"pct": round(float(batch.X[i, FEATURE_INDEX["search_relevance"]]) * 100)}
    if code == "approval_rate":
        n = int(batch.decisions[i])
        if n == 0:
            return None
        approved = int(batch.approvals[i])
        return {
            "approved": approved,
            "n": n,
            "pct": round(100 * approved / n),
            "government": ctx.government_name,
        }
    if code in ("company_kind_rate", "sector_kind_rate", "company_route_rate", "sector_route_rate"):
        by_kind = "_kind_" in code
        level = code.split("_", 1)[0]
        if level == "sector" and not ctx.company_sector:
            return None
        rates = batch.kind_rates if by_kind else batch.route_rates
        k = int((cs.kind_code if by_kind else cs.route_code)[i])
        counts = _counts_params(rates, k, level)
        if counts is None:
            return None
        approved, n = counts
        params: dict[str, Any] = {"approved": approved, "n": n, "pct": round(100 * approved / n)}
        if by_kind:
            params["kind"] = cs.kind_names[k]
        else:
            params["route"] = cs.route_names[k]
        if level == "sector":
            params["sector"] = ctx.company_sector
        return params
    if code == "need_kind":
        kind = cs.kind_names[int(cs.kind_code[i])]
        return {"kind": kind} if f"kind_{kind}" in FEATURE_INDEX else None
    if code == "route_kind":
        route = cs.route_names[int(cs.route_code[i])]
        return {"route": route} if f"route_{route}" in FEATURE_INDEX else None
    return None


def build_reasons(
    contrib: np.ndarray, i: int, ctx: ContractContext, cs: CandidateSet, batch: FeatureBatch
) -> tuple[Reason, ...]:
    """Reasons for row ``i`` from its per-feature contributions (see module docstring).

    Features that share a reason code (the one-hot columns of the kind, of the route) count as one: their
    contributions are added up.
    """
    by_code: dict[str, float] = {}
    for j, name in enumerate(FEATURE_NAMES):
        code = REASON_CODES[name]
        by_code[code] = by_code.get(code, 0.0) + float(contrib[j])
    items = []
    for code, c in by_code.items():
        if c == 0.0:
            continue
        params = _reason_params(code, i, ctx, cs, batch)
        if params is None:
            continue
        items.append((c, code, params))
    positives = sorted((t for t in items if t[0] > 0), key=lambda t: (-t[0], t[1]))
    chosen = [
        t
        for k, t in enumerate(positives[:MAX_POSITIVE_REASONS])
        if t[0] >= MIN_POSITIVE or (k < 2 and t[0] >= MIN_ANY)
    ]
    negatives = sorted((t for t in items if t[0] <= MAX_NEGATIVE), key=lambda t: (t[0], t[1]))
    if negatives:
        chosen.append(negatives[0])
    return tuple(Reason(code, params, round(c, 4)) for c, code, params in chosen)


def rank(
    ctx: ContractContext,
    candidates: CandidateSet | Sequence[Candidate],
    history: ApprovalStats | Iterable[DecisionRecord] | None = (),
    model: Scorer | None = None,
    limit: int | None = 10,
    *,
    vectorizer: TfidfVectorizer | None = None,
) -> list[Recommendation]:
    """The best ``limit`` candidates for ``ctx``, best first, each with score, features and reasons.

    ``candidates`` is a list of Candidate or a CandidateSet (``catalogue.select(ids, scores)``, the fast
    path). ``history`` is a list of DecisionRecord or a prebuilt ApprovalStats (build it once per process
    or request; it sorts the history). ``limit=None`` ranks everything.
    """
    cs = as_candidate_set(candidates)
    batch = compute_feature_batch(ctx, cs, as_stats(history), vectorizer=vectorizer)
    scorer = choose_scorer(model)
    scores = np.clip(scorer.score(batch.X), 0.0, 1.0)
    top = top_indices(scores, cs.ids_at, limit)
    contrib = scorer.contributions(batch.X[top]) if top.size else np.zeros((0, len(FEATURE_NAMES)))
    out = []
    for pos, i in enumerate(top.tolist()):
        row = batch.X[i]
        out.append(
            Recommendation(
                candidate=cs.candidate(i),
                score=float(scores[i]),
                features={name: float(row[j]) for j, name in enumerate(FEATURE_NAMES)},
                reasons=build_reasons(contrib[pos], i, ctx, cs, batch),
                rank=pos + 1,
                scorer=scorer.name,
                contributions={name: float(contrib[pos, j]) for j, name in enumerate(FEATURE_NAMES)},
            )
        )
    return out


class Recommender:
    """Holds what is worth keeping between requests: the model, the approval index, the catalogue.

    >>> rec = Recommender(model=None, history=decisions, catalogue=CandidateSet.from_candidates(c, index_text=True))
    >>> rec.rank(ctx, ids=[h.document.id for h in hits], search_scores=[h.score for h in hits])
    """

    def __init__(
        self,
        model: Scorer | None = None,
        history: ApprovalStats | Iterable[DecisionRecord] | None = (),
        catalogue: CandidateSet | Sequence[Candidate] | None = None,
    ) -> None:
        self.model = model
        self.stats = as_stats(history)
        self.catalogue = None if catalogue is None else as_candidate_set(catalogue)

    @property
    def scorer_name(self) -> str:
        return choose_scorer(self.model).name

    def rank(
        self,
        ctx: ContractContext,
        candidates: CandidateSet | Sequence[Candidate] | None = None,
        *,
        ids: Sequence[str] | None = None,
        search_scores: Sequence[float] | None = None,
        limit: int | None = 10,
        strict: bool = True,
    ) -> list[Recommendation]:
        if candidates is None:
            if self.catalogue is None:
                raise ValueError("pass candidates, or build the Recommender with a catalogue")
            candidates = (
                self.catalogue if ids is None else self.catalogue.select(ids, search_scores, strict=strict)
            )
        return rank(ctx, candidates, self.stats, self.model, limit)
