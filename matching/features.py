"""Pair features: one row of numbers per (contract, candidate) pair.

Every feature lies in [0, 1] and higher always means "better for this contract", so every model may treat
them as monotone. ``FEATURE_NAMES`` fixes the column order; a trained model stores it in its card and refuses
to load against a different order.

| feature                | meaning                                                                     |
|------------------------|-----------------------------------------------------------------------------|
| priority_theme_fit     | handprint on the government's priority themes: 0.7 x best + 0.3 x mean       |
| company_interest_fit   | the same against the company's interests                                    |
| text_fit               | TF-IDF cosine between the company profile and the candidate's title + text   |
| closeness              | exp(-km / 20) from the company site (haversine); 0.5 when a site is unknown  |
| fills_share            | open value / remaining obligation, capped at 1                              |
| route_preference       | 1 - rank / len(route_order) of the candidate's route; 0 when not listed      |
| search_relevance       | search score / best search score in the candidate set                       |
| approval_rate          | (approved + a) / (n + a + b) of this government's earlier decisions on the    |
|                        | initiative, counting only decisions strictly before the cut-off time         |

``FEATURE_NEUTRAL`` holds the value that carries no information for each feature. It is used when an input is
missing (no coordinates, empty profile, no search query, ...) and it is the reference point of the prior's
contributions, so a feature at its neutral value neither raises nor lowers a score.

Speed: building the per-candidate columns (theme scores, coordinates, TF-IDF rows) is the only Python loop.
``CandidateSet.from_candidates`` does it once for a catalogue; ``CandidateSet.select`` then takes the rows a
search returned (ids + scores) with numpy indexing, so a 100k-candidate request costs a few milliseconds of
vector work. ``compute_features(ctx, list_of_candidates, history)`` still works on a plain list and builds the
columns on the fly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .candidates import TAGGED_THEME_SCORE, THEME_COL, CandidateSet, as_candidate_set
from .history import APPROVAL_PRIOR_A, APPROVAL_PRIOR_B, ApprovalStats, as_stats, smoothed_rate
from .text import STOP_WORDS, TEXT_NEUTRAL, candidate_document, make_vectorizer, text_fit
from .types import THEMES, Candidate, ContractContext, DecisionRecord

FEATURE_NAMES: tuple[str, ...] = (
    "priority_theme_fit",
    "company_interest_fit",
    "text_fit",
    "closeness",
    "fills_share",
    "route_preference",
    "search_relevance",
    "approval_rate",
)
N_FEATURES = len(FEATURE_NAMES)
FEATURE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}

FEATURE_NEUTRAL: Mapping[str, float] = {
    "priority_theme_fit": 0.25,
    "company_interest_fit": 0.25,
    "text_fit": TEXT_NEUTRAL,
    "closeness": 0.5,  # exp(-km/20) = 0.5 at about 14 km
    "fills_share": 0.1,
    "route_preference": 0.5,
    "search_relevance": 0.5,
    "approval_rate": 0.5,  # the Beta(a, b) prior mean with a == b
}
NEUTRAL_VECTOR = np.array([FEATURE_NEUTRAL[n] for n in FEATURE_NAMES], dtype=np.float64)

# Every feature is "higher is better": the constraint handed to monotone models.
MONOTONIC = {name: 1 for name in FEATURE_NAMES}

# Reason code per feature (the marketplace translates codes).
REASON_CODES: Mapping[str, str] = {
    "priority_theme_fit": "priority_theme",
    "company_interest_fit": "company_interest",
    "text_fit": "text_fit",
    "closeness": "distance",
    "fills_share": "fills_share",
    "route_preference": "route_preference",
    "search_relevance": "search_relevance",
    "approval_rate": "approval_rate",
}

DISTANCE_SCALE_KM = 20.0
BEST_WEIGHT = 0.7  # theme fit = BEST_WEIGHT * best + (1 - BEST_WEIGHT) * mean over the target themes
EARTH_RADIUS_KM = 6371.0088


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
    """Share of the remaining obligation that the candidate's open capacity would fill, capped at 1."""
    open_value = np.maximum(np.asarray(open_value_cents, dtype=np.float64), 0.0)
    if remaining_cents <= 0:
        return np.full(open_value.shape, FEATURE_NEUTRAL["fills_share"])
    return np.minimum(open_value / float(remaining_cents), 1.0)


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
    """The feature matrix plus the raw values the reasons quote (km, best theme, approval counts)."""

    X: np.ndarray  # (n, N_FEATURES), column-major so each feature is contiguous
    km: np.ndarray  # NaN when unknown
    approvals: np.ndarray  # approved decisions counted in approval_rate
    decisions: np.ndarray  # decisions counted in approval_rate
    themes: np.ndarray  # the candidates' theme scores (n, len(THEMES))
    priority_cols: tuple[int, ...]
    interest_cols: tuple[int, ...]

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


def compute_feature_batch(
    ctx: ContractContext,
    candidates: CandidateSet | Sequence[Candidate],
    history: ApprovalStats | Iterable[DecisionRecord] | None = (),
    *,
    vectorizer: TfidfVectorizer | None = None,
) -> FeatureBatch:
    """Features for every candidate against ``ctx``; approval rates use decisions before ``ctx.as_of``."""
    cs = as_candidate_set(candidates)
    stats = as_stats(history)
    n = len(cs)
    X = np.empty((N_FEATURES, n), dtype=np.float64).T  # column-major: contiguous columns

    X[:, 0] = theme_fit(cs.themes, ctx.priority_themes, FEATURE_NEUTRAL["priority_theme_fit"])
    X[:, 1] = theme_fit(cs.themes, ctx.company_interests, FEATURE_NEUTRAL["company_interest_fit"])

    if vectorizer is None:
        X[:, 2] = cs.text_fit(ctx.company_profile)
    else:
        X[:, 2] = text_fit(ctx.company_profile, [candidate_document(c) for c in cs.candidates], vectorizer)

    if ctx.lat is None or ctx.lon is None:
        km = np.full(n, np.nan)
    else:
        km = haversine_km(ctx.lat, ctx.lon, cs.lat, cs.lon)
    X[:, 3] = closeness(km)

    X[:, 4] = fills_share(cs.open_value, ctx.remaining_cents)

    route_pref = np.array([route_preference(r, ctx.route_order) for r in cs.route_names], dtype=np.float64)
    X[:, 5] = route_pref[cs.route_code] if n else 0.0

    X[:, 6] = normalise_search(cs.search_score)

    appr_c, n_c = stats.counts_by_code(ctx.government, cs.slug_code, len(cs.initiative_slugs), ctx.as_of)
    approvals, decisions = appr_c[cs.initiative_code], n_c[cs.initiative_code]
    X[:, 7] = smoothed_rate(approvals, decisions, stats.a, stats.b)

    return FeatureBatch(
        X=X,
        km=km,
        approvals=approvals,
        decisions=decisions,
        themes=cs.themes,
        priority_cols=_theme_cols(ctx.priority_themes),
        interest_cols=_theme_cols(ctx.company_interests),
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


def features_dict(row: np.ndarray) -> dict[str, float]:
    return {name: float(row[j]) for j, name in enumerate(FEATURE_NAMES)}


def vector_from_mapping(values: Mapping[str, float]) -> np.ndarray:
    """A stored feature mapping back to a row in FEATURE_NAMES order; missing names get their neutral value."""
    return np.array(
        [float(values.get(name, FEATURE_NEUTRAL[name])) for name in FEATURE_NAMES], dtype=np.float64
    )


__all__ = [
    # re-exported from the modules the features are built from
    "APPROVAL_PRIOR_A",
    "APPROVAL_PRIOR_B",
    "STOP_WORDS",
    "TAGGED_THEME_SCORE",
    "ApprovalStats",
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
    "closeness",
    "compute_feature_batch",
    "compute_features",
    "features_dict",
    "fills_share",
    "haversine_km",
    "normalise_search",
    "route_preference",
    "theme_fit",
    "theme_scores",
    "vector_from_mapping",
]
