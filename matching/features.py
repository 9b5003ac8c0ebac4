"""Pair features: one row of numbers per (contract, candidate) pair.

``FEATURE_NAMES`` fixes the column order; a trained model stores it in its card and refuses to load against a
different order. Not every feature is "higher is better": ``MONOTONIC`` records the direction where it is
known (+1 up, -1 down) and 0 where the model must find it; the monotone boosting model is constrained exactly
so, and the prior's weights have the same signs.

| feature                | dir | meaning                                                                   |
|------------------------|-----|---------------------------------------------------------------------------|
| priority_theme_fit     |  +  | handprint on the government's priority themes: 0.7 x best + 0.3 x mean     |
| company_interest_fit   |  +  | the same against the company's interests                                  |
| text_fit               |     | TF-IDF cosine between the company profile and the candidate's title + text |
| closeness              |     | exp(-km / 20) from the company site (haversine); 0.5 when a site is unknown|
| size_ratio             |     | log2(1 + r), r = open value / remaining obligation; uncapped (1 at r = 1)  |
| overshoot              |  -  | log2(max(1, r)): 0 while the need fits what is owed, 1 at twice it, ...    |
| route_preference       |     | 1 - rank / len(route_order) of the candidate's route; 0 when not listed    |
| search_relevance       |     | search score / best search score in the candidate set                     |
| approval_rate          |     | (approved + a) / (n + a + b) of this government's earlier decisions on the  |
|                        |     | initiative                                                                |
| company_kind_rate      |     | this company's earlier decisions on needs of this kind, shrunk to ...     |
| sector_kind_rate       |     | ... its sector's on this kind, shrunk to everyone's (matching.history)     |
| company_route_rate     |     | the same two by the candidate's route                                     |
| sector_route_rate      |     |                                                                           |
| kind_<k>               |     | one-hot of the need kind (NEED_KINDS); all 0 for an unknown kind           |
| route_<r>              |     | one-hot of the candidate's route (ROUTES)                                 |

All history features (approval_rate and the four *_rate features) count only decisions strictly before the
cut-off: ``ctx.as_of`` live, the decision's own ``decided_at`` in training (``matching.training``). Every
feature is finite; all but size_ratio and overshoot lie in [0, 1], and those two are >= 0.

The sector-by-kind rates are how the model sees what kind of contribution suits a company: officers approve
some kinds far more often from companies of some sectors, and no other feature carries that. The one-hots give
the model each kind's and route's own effect, so the rates need to carry only the interaction.

``FEATURE_NEUTRAL`` holds the value that carries no information for each feature. It is used when an input is
missing (no coordinates, empty profile, no search query, ...) and it is the reference point of the prior's
contributions, so a feature at its neutral value neither raises nor lowers a score.

Speed: building the per-candidate columns (theme scores, coordinates, TF-IDF rows) is the only Python loop.
``CandidateSet.from_candidates`` does it once for a catalogue; ``CandidateSet.select`` then takes the rows a
search returned (ids + scores) with numpy indexing, so a 100k-candidate request costs a few milliseconds of
vector work. The history rates are looked up once per distinct kind and route (a dozen look-ups), not per
candidate. ``compute_features(ctx, list_of_candidates, history)`` still works on a plain list and builds the
columns on the fly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .candidates import TAGGED_THEME_SCORE, THEME_COL, CandidateSet, as_candidate_set
from .history import APPROVAL_PRIOR_A, APPROVAL_PRIOR_B, ApprovalStats, GroupRates, as_stats, smoothed_rate
from .text import STOP_WORDS, TEXT_NEUTRAL, candidate_document, make_vectorizer, text_fit
from .types import NEED_KINDS, ROUTES, THEMES, Candidate, ContractContext, DecisionRecord

KIND_FEATURES: tuple[str, ...] = tuple(f"kind_{k}" for k in NEED_KINDS)
ROUTE_FEATURES: tuple[str, ...] = tuple(f"route_{r}" for r in ROUTES)
RATE_FEATURES: tuple[str, ...] = (
    "company_kind_rate",
    "sector_kind_rate",
    "company_route_rate",
    "sector_route_rate",
)
HISTORY_FEATURES: tuple[str, ...] = ("approval_rate", *RATE_FEATURES)

FEATURE_NAMES: tuple[str, ...] = (
    "priority_theme_fit",
    "company_interest_fit",
    "text_fit",
    "closeness",
    "size_ratio",
    "overshoot",
    "route_preference",
    "search_relevance",
    "approval_rate",
    *RATE_FEATURES,
    *KIND_FEATURES,
    *ROUTE_FEATURES,
)
N_FEATURES = len(FEATURE_NAMES)
FEATURE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}
# Recorded in the model card; a model trained on another feature set is refused (ModelMismatch).
FEATURE_SET = "srx-features/2"

FEATURE_NEUTRAL: Mapping[str, float] = {
    "priority_theme_fit": 0.25,
    "company_interest_fit": 0.25,
    "text_fit": TEXT_NEUTRAL,
    "closeness": 0.5,  # exp(-km/20) = 0.5 at about 14 km
    "size_ratio": math.log2(1.1),  # a need worth a tenth of what is owed
    "overshoot": 0.0,  # fits within what is owed
    "route_preference": 0.5,
    "search_relevance": 0.5,
    "approval_rate": 0.5,  # the Beta(a, b) prior mean with a == b
    **{name: 0.5 for name in RATE_FEATURES},  # the base rate before any decision
    **{name: 0.0 for name in (*KIND_FEATURES, *ROUTE_FEATURES)},
}
NEUTRAL_VECTOR = np.array([FEATURE_NEUTRAL[n] for n in FEATURE_NAMES], dtype=np.float64)

# The direction of a feature's effect where it is known: +1 higher is better, -1 lower is better, 0 let the
# data say. The constraint handed to the monotone boosting model, and the sign of the prior's weights.
MONOTONIC: Mapping[str, int] = {
    name: (1 if name in ("priority_theme_fit", "company_interest_fit") else -1 if name == "overshoot" else 0)
    for name in FEATURE_NAMES
}

# Reason code per feature (the marketplace translates codes). One-hot columns of one group share a code: their
# contributions are added up into one reason about the candidate's kind (or route).
REASON_CODES: Mapping[str, str] = {
    "priority_theme_fit": "priority_theme",
    "company_interest_fit": "company_interest",
    "text_fit": "text_fit",
    "closeness": "distance",
    "size_ratio": "fills_share",
    "overshoot": "overshoot",
    "route_preference": "route_preference",
    "search_relevance": "search_relevance",
    "approval_rate": "approval_rate",
    **{name: name for name in RATE_FEATURES},
    **{name: "need_kind" for name in KIND_FEATURES},
    **{name: "route_kind" for name in ROUTE_FEATURES},
}

DISTANCE_SCALE_KM = 20.0
BEST_WEIGHT = 0.7  # theme fit = BEST_WEIGHT * best + (1 - BEST_WEIGHT) * mean over the target themes
EARTH_RADIUS_KM = 6371.0088
NEUTRAL_SHARE = 0.1  # r when nothing remains to be owed (the size features carry no information then)


# ---------------------------------------------------------------------------------------------------------
# Scalar building blocks (pure; the vectorised code below implements the same formulas)


def theme_scores(candidate: Candidate) -> np.ndarray:
    """The candidate's score per theme in [0, 1], in THEMES order.

    The initiative's handprint score counts; a theme the need is explicitly tagged with counts at least
    ``TAGGED_THEME_SCORE``. Raising a handprint score never lowers a theme score.
    """
    row = np.zeros(len(THEMES), dtype=np.float64)
    for theme, score in candidate.handprint.items():
        col = THEME_COL.get(theme)
        if col is not None:
            row[col] = max(row[col], min(100.0, max(0.0, float(score))))
    for theme in candidate.themes:
        col = THEME_COL.get(theme)
        if col is not None:
            row[col] = max(row[col], TAGGED_THEME_SCORE)
    return row / 100.0


def theme_fit(scores: np.ndarray, targets: Iterable[str], neutral: float = 0.25) -> np.ndarray | float:
    """0.7 x best + 0.3 x mean of the theme scores over the target themes; ``neutral`` when there are none.

    ``scores`` is one row (6,) or a matrix (n, 6). Non-decreasing in every theme score.
    """
    cols = sorted({THEME_COL[t] for t in targets if t in THEME_COL})
    scores = np.asarray(scores, dtype=np.float64)
    if not cols:
        return np.full(scores.shape[:-1], neutral) if scores.ndim > 1 else neutral
    sub = scores[..., cols]
    fit: np.ndarray = BEST_WEIGHT * sub.max(axis=-1) + (1.0 - BEST_WEIGHT) * sub.mean(axis=-1)
    return fit


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km; vectorised, NaN where a coordinate is missing."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


def closeness(km: Any) -> np.ndarray:
    """exp(-km / 20): 1 at the site, 0.47 at 15 km, 0.08 at 50 km; neutral 0.5 when the distance is unknown."""
    km = np.asarray(km, dtype=np.float64)
    out = np.exp(-np.maximum(km, 0.0) / DISTANCE_SCALE_KM)
    return np.where(np.isnan(km), FEATURE_NEUTRAL["closeness"], out)


def fills_share(open_value_cents: Any, remaining_cents: int) -> np.ndarray:
    """r: the candidate's open value / the remaining obligation, uncapped; ``NEUTRAL_SHARE`` when nothing remains."""
    open_value = np.maximum(np.asarray(open_value_cents, dtype=np.float64), 0.0)
    if remaining_cents <= 0:
        return np.full(open_value.shape, NEUTRAL_SHARE)
    share: np.ndarray = open_value / float(remaining_cents)
    return share


def size_ratio(share: Any) -> np.ndarray:
    """log2(1 + r): 0 for a tiny need, 1 for one worth exactly what is owed, 2 at three times it; uncapped."""
    out: np.ndarray = np.log2(1.0 + np.maximum(np.asarray(share, dtype=np.float64), 0.0))
    return out


def overshoot(share: Any) -> np.ndarray:
    """log2(max(1, r)): 0 while the need fits what is owed, then +1 per doubling beyond it."""
    out: np.ndarray = np.log2(np.maximum(np.asarray(share, dtype=np.float64), 1.0))
    return out


def route_preference(route: str, route_order: Sequence[str]) -> float:
    """1 - rank / len(route_order): 1 for the first route; 0 for a route the government does not list."""
    if not route_order:
        return FEATURE_NEUTRAL["route_preference"]
    try:
        rank = list(route_order).index(route)
    except ValueError:
        return 0.0
    return 1.0 - rank / len(route_order)


def normalise_search(scores: Any) -> np.ndarray:
    """Search scores divided by the best one in the set; neutral when they carry no ranking (all equal)."""
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    s = np.maximum(s, 0.0)
    if s.size == 0:
        return s
    hi, lo = float(s.max()), float(s.min())
    if hi <= 0.0 or hi == lo:
        return np.full(s.shape, FEATURE_NEUTRAL["search_relevance"])
    return s / hi


# ---------------------------------------------------------------------------------------------------------
# The feature matrix


@dataclass
class FeatureBatch:
    """The feature matrix plus the raw values the reasons quote (km, best theme, shares, decision counts)."""

    X: np.ndarray  # (n, N_FEATURES), column-major so each feature is contiguous
    km: np.ndarray  # NaN when unknown
    approvals: np.ndarray  # approved decisions counted in approval_rate
    decisions: np.ndarray  # decisions counted in approval_rate
    themes: np.ndarray  # the candidates' theme scores (n, len(THEMES))
    priority_cols: tuple[int, ...]
    interest_cols: tuple[int, ...]
    share: np.ndarray | None = None  # r = open value / remaining obligation (uncapped)
    kind_rates: GroupRates | None = None  # aligned with kind_names (gather with kind_code)
    route_rates: GroupRates | None = None  # aligned with route_names (gather with route_code)

    def row(self, i: int) -> dict[str, float]:
        return {name: float(self.X[i, j]) for j, name in enumerate(FEATURE_NAMES)}

    def _best(self, i: int, cols: tuple[int, ...]) -> int:
        if not cols:
            return -1
        return cols[int(np.argmax(self.themes[i, list(cols)]))]

    def best_priority_theme(self, i: int) -> int:
        """Index into THEMES of row i's best priority theme; -1 when the government has none."""
        return self._best(i, self.priority_cols)

    def best_interest_theme(self, i: int) -> int:
        return self._best(i, self.interest_cols)


def _theme_cols(targets: Iterable[str]) -> tuple[int, ...]:
    return tuple(sorted({THEME_COL[t] for t in targets if t in THEME_COL}))


_COL = FEATURE_INDEX


def one_hot_columns(X: np.ndarray, names: Sequence[str], codes: np.ndarray, features: Sequence[str]) -> None:
    """Set the one-hot columns ``features`` ("kind_<name>" or "route_<name>") of X from ``codes`` into ``names``.

    A name without a column (an unknown kind) leaves its row all 0.
    """
    first = _COL[features[0]]
    prefix = features[0].split("_", 1)[0] + "_"
    slot_of = {name: j for j, name in enumerate(features)}
    X[:, first : first + len(features)] = 0.0
    for code, name in enumerate(names):
        slot = slot_of.get(prefix + name)
        if slot is not None and X.shape[0]:
            X[:, first + slot] = codes == code  # one comparison per column: contiguous writes


def compute_feature_batch(
    ctx: ContractContext,
    candidates: CandidateSet | Sequence[Candidate],
    history: ApprovalStats | Iterable[DecisionRecord] | None = (),
    *,
    vectorizer: TfidfVectorizer | None = None,
) -> FeatureBatch:
    """Features for every candidate against ``ctx``; history features use decisions before ``ctx.as_of``."""
    cs = as_candidate_set(candidates)
    stats = as_stats(history)
    n = len(cs)
    X = np.empty((N_FEATURES, n), dtype=np.float64).T  # column-major: contiguous columns

    X[:, _COL["priority_theme_fit"]] = theme_fit(
        cs.themes, ctx.priority_themes, FEATURE_NEUTRAL["priority_theme_fit"]
    )
    X[:, _COL["company_interest_fit"]] = theme_fit(
        cs.themes, ctx.company_interests, FEATURE_NEUTRAL["company_interest_fit"]
    )

    if vectorizer is None:
        X[:, _COL["text_fit"]] = cs.text_fit(ctx.company_profile)
    else:
        docs = [candidate_document(c) for c in cs.candidates]
        X[:, _COL["text_fit"]] = text_fit(ctx.company_profile, docs, vectorizer)

    if ctx.lat is None or ctx.lon is None:
        km = np.full(n, np.nan)
    else:
        km = haversine_km(ctx.lat, ctx.lon, cs.lat, cs.lon)
    X[:, _COL["closeness"]] = closeness(km)

    share = fills_share(cs.open_value, ctx.remaining_cents)
    X[:, _COL["size_ratio"]] = size_ratio(share)
    X[:, _COL["overshoot"]] = overshoot(share)

    route_pref = np.array([route_preference(r, ctx.route_order) for r in cs.route_names], dtype=np.float64)
    X[:, _COL["route_preference"]] = route_pref[cs.route_code] if n else 0.0

    X[:, _COL["search_relevance"]] = normalise_search(cs.search_score)

    appr_c, n_c = stats.counts_by_code(ctx.government, cs.slug_code, len(cs.initiative_slugs), ctx.as_of)
    approvals, decisions = appr_c[cs.initiative_code], n_c[cs.initiative_code]
    X[:, _COL["approval_rate"]] = smoothed_rate(approvals, decisions, stats.a, stats.b)

    sector = ctx.company_sector
    kind_rates = stats.group_rates(ctx.company_key, sector, "kind", cs.kind_names, ctx.as_of)
    route_rates = stats.group_rates(ctx.company_key, sector, "route", cs.route_names, ctx.as_of)
    X[:, _COL["company_kind_rate"]] = kind_rates.company[cs.kind_code]
    X[:, _COL["sector_kind_rate"]] = kind_rates.sector[cs.kind_code]
    X[:, _COL["company_route_rate"]] = route_rates.company[cs.route_code]
    X[:, _COL["sector_route_rate"]] = route_rates.sector[cs.route_code]

    one_hot_columns(X, cs.kind_names, cs.kind_code, KIND_FEATURES)
    one_hot_columns(X, cs.route_names, cs.route_code, ROUTE_FEATURES)

    return FeatureBatch(
        X=X,
        km=km,
        approvals=approvals,
        decisions=decisions,
        themes=cs.themes,
        priority_cols=_theme_cols(ctx.priority_themes),
        interest_cols=_theme_cols(ctx.company_interests),
        share=share,
        kind_rates=kind_rates,
        route_rates=route_rates,
    )


def compute_features(
    ctx: ContractContext,
    candidates: CandidateSet | Sequence[Candidate],
    history: ApprovalStats | Iterable[DecisionRecord] | None = (),
    *,
    vectorizer: TfidfVectorizer | None = None,
) -> np.ndarray:
    """The (n_candidates, len(FEATURE_NAMES)) feature matrix. See the module docstring for each column."""
    return compute_feature_batch(ctx, candidates, history, vectorizer=vectorizer).X


def history_values(
    stats: ApprovalStats,
    *,
    government: str,
    initiative_slug: str,
    company_key: str,
    company_sector: str,
    need_kind: str,
    route: str,
    before: datetime,
) -> dict[str, float]:
    """The five history features of one decided pair, from decisions strictly before ``before``.

    The same formulas as ``compute_feature_batch``; training recomputes these for every row rather than
    trusting stored values, so no row sees its own or a later decision.
    """
    kinds = stats.group_rates(company_key, company_sector, "kind", [need_kind], before)
    routes = stats.group_rates(company_key, company_sector, "route", [route], before)
    return {
        "approval_rate": stats.rate(government, initiative_slug, before),
        "company_kind_rate": float(kinds.company[0]),
        "sector_kind_rate": float(kinds.sector[0]),
        "company_route_rate": float(routes.company[0]),
        "sector_route_rate": float(routes.sector[0]),
    }


def category_values(need_kind: str, route: str) -> dict[str, float]:
    """The kind and route one-hots of one pair (all 0 for an unknown kind or route)."""
    out = {name: 0.0 for name in (*KIND_FEATURES, *ROUTE_FEATURES)}
    for name in (f"kind_{need_kind}", f"route_{route}"):
        if name in out:
            out[name] = 1.0
    return out


def features_dict(row: np.ndarray) -> dict[str, float]:
    return {name: float(row[j]) for j, name in enumerate(FEATURE_NAMES)}


def vector_from_mapping(values: Mapping[str, float]) -> np.ndarray:
    """A stored feature mapping back to a row in FEATURE_NAMES order; missing names get their neutral value.

    Decisions stored before the size features existed carry ``fills_share`` (r capped at 1) instead: it gives
    size_ratio = log2(1 + r) and, below 1, overshoot = 0 (at 1 the true overshoot is unknown: neutral 0 too).
    """
    row = np.array(
        [float(values.get(name, FEATURE_NEUTRAL[name])) for name in FEATURE_NAMES], dtype=np.float64
    )
    old = values.get("fills_share")
    if old is not None and "size_ratio" not in values:
        row[_COL["size_ratio"]] = float(size_ratio(float(old)))
    return row


__all__ = [
    # re-exported from the modules the features are built from
    "APPROVAL_PRIOR_A",
    "APPROVAL_PRIOR_B",
    "STOP_WORDS",
    "TAGGED_THEME_SCORE",
    "ApprovalStats",
    "GroupRates",
    "CandidateSet",
    "as_candidate_set",
    "as_stats",
    "candidate_document",
    "make_vectorizer",
    "smoothed_rate",
    "text_fit",
    # defined here
    "FEATURE_INDEX",
    "FEATURE_NAMES",
    "FEATURE_NEUTRAL",
    "MONOTONIC",
    "N_FEATURES",
    "NEUTRAL_VECTOR",
    "REASON_CODES",
    "FeatureBatch",
    "FEATURE_SET",
    "HISTORY_FEATURES",
    "KIND_FEATURES",
    "RATE_FEATURES",
    "ROUTE_FEATURES",
    "category_values",
    "closeness",
    "compute_feature_batch",
    "compute_features",
    "features_dict",
    "fills_share",
    "haversine_km",
    "history_values",
    "one_hot_columns",
    "overshoot",
    "size_ratio",
    "normalise_search",
    "route_preference",
    "theme_fit",
    "theme_scores",
    "vector_from_mapping",
]
