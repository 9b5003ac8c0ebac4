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

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .types import ROUTES, THEMES, Candidate, ContractContext, DecisionRecord

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
    "text_fit": 0.05,
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
TAGGED_THEME_SCORE = 50  # a theme the need is tagged with counts at least this much
BEST_WEIGHT = 0.7  # theme fit = BEST_WEIGHT * best + (1 - BEST_WEIGHT) * mean over the target themes
APPROVAL_PRIOR_A = 2.0
APPROVAL_PRIOR_B = 2.0
EARTH_RADIUS_KM = 6371.0088

_THEME_COL = {t: i for i, t in enumerate(THEMES)}

# A short Dutch + English stop list: profile and need texts are mostly Dutch.
STOP_WORDS: frozenset[str] = frozenset(
    [
        "aan",
        "al",
        "alle",
        "als",
        "bij",
        "dan",
        "dat",
        "de",
        "deze",
        "die",
        "dit",
        "door",
        "een",
        "en",
        "er",
        "had",
        "heeft",
        "het",
        "hier",
        "hij",
        "hun",
        "ik",
        "in",
        "is",
        "je",
        "kan",
        "kunnen",
        "maar",
        "met",
        "meer",
        "naar",
        "niet",
        "nog",
        "of",
        "om",
        "onder",
        "ons",
        "onze",
        "ook",
        "op",
        "over",
        "te",
        "tegen",
        "tot",
        "u",
        "uit",
        "van",
        "veel",
        "voor",
        "was",
        "wat",
        "we",
        "wel",
        "werd",
        "wij",
        "wordt",
        "worden",
        "zal",
        "zich",
        "zij",
        "zijn",
        "zo",
        "zoals",
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "with",
        "you",
        "your",
    ]
)


# ---------------------------------------------------------------------------------------------------------
# Scalar building blocks (pure; the vectorised code below implements the same formulas)


def theme_scores(candidate: Candidate) -> np.ndarray:
    """The candidate's score per theme in [0, 1], in THEMES order.

    The initiative's handprint score counts; a theme the need is explicitly tagged with counts at least
    ``TAGGED_THEME_SCORE``. Raising a handprint score never lowers a theme score.
    """
    row = np.zeros(len(THEMES), dtype=np.float64)
    for theme, score in candidate.handprint.items():
        col = _THEME_COL.get(theme)
        if col is not None:
            row[col] = max(row[col], min(100.0, max(0.0, float(score))))
    for theme in candidate.themes:
        col = _THEME_COL.get(theme)
        if col is not None:
            row[col] = max(row[col], TAGGED_THEME_SCORE)
    return row / 100.0


def theme_fit(scores: np.ndarray, targets: Iterable[str], neutral: float = 0.25) -> np.ndarray | float:
    """0.7 x best + 0.3 x mean of the theme scores over the target themes; ``neutral`` when there are none.

    ``scores`` is one row (6,) or a matrix (n, 6). Non-decreasing in every theme score.
    """
    cols = sorted({_THEME_COL[t] for t in targets if t in _THEME_COL})
    scores = np.asarray(scores, dtype=np.float64)
    if not cols:
        return np.full(scores.shape[:-1], neutral) if scores.ndim > 1 else neutral
    sub = scores[..., cols]
    return BEST_WEIGHT * sub.max(axis=-1) + (1.0 - BEST_WEIGHT) * sub.mean(axis=-1)


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km; vectorised, NaN where a coordinate is missing."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


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


def smoothed_rate(approved: Any, n: Any, a: float = APPROVAL_PRIOR_A, b: float = APPROVAL_PRIOR_B) -> Any:
    """Posterior mean of a Beta(a, b) prior after ``approved`` approvals in ``n`` decisions."""
    return (np.asarray(approved, dtype=np.float64) + a) / (np.asarray(n, dtype=np.float64) + a + b)


# ---------------------------------------------------------------------------------------------------------
# Approval history


class ApprovalStats:
    """Officer decisions indexed per (government, initiative) for O(log n) "rate before time t" look-ups.

    ``counts(gov, slug, before)`` counts only decisions with ``decided_at < before`` (strictly), so a
    training row never sees its own decision or any later one, and a live request at ``ctx.as_of`` sees only
    the past. Keep ``decided_at`` values consistently naive or consistently aware.
    """

    def __init__(
        self,
        history: Iterable[DecisionRecord] = (),
        *,
        a: float = APPROVAL_PRIOR_A,
        b: float = APPROVAL_PRIOR_B,
    ) -> None:
        self.a = float(a)
        self.b = float(b)
        grouped: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        n = 0
        for rec in history:
            grouped[(rec.government, rec.initiative_slug)].append((rec.decided_at, 1 if rec.approved else 0))
            n += 1
        self.n_records = n
        self._times: dict[tuple[str, str], list[datetime]] = {}
        self._cum: dict[tuple[str, str], list[int]] = {}
        self._by_gov: dict[str, list[str]] = defaultdict(list)
        for key, rows in grouped.items():
            rows.sort(key=lambda r: r[0])
            self._times[key] = [r[0] for r in rows]
            cum = [0]
            for _, ok in rows:
                cum.append(cum[-1] + ok)
            self._cum[key] = cum
            self._by_gov[key[0]].append(key[1])

    def __len__(self) -> int:
        return self.n_records

    def counts(self, government: str, initiative_slug: str, before: datetime) -> tuple[int, int]:
        """(approved, decided) for decisions strictly before ``before``."""
        key = (government, initiative_slug)
        times = self._times.get(key)
        if not times:
            return 0, 0
        k = bisect.bisect_left(times, before)
        return self._cum[key][k], k

    def rate(self, government: str, initiative_slug: str, before: datetime) -> float:
        approved, n = self.counts(government, initiative_slug, before)
        return float(smoothed_rate(approved, n, self.a, self.b))

    def counts_by_code(
        self, government: str, slug_code: Mapping[str, int], n_codes: int, before: datetime
    ) -> tuple[np.ndarray, np.ndarray]:
        """(approved, decided) arrays indexed by initiative code, counting decisions before ``before``.

        Loops over the initiatives this government has decided on (not over the candidates), so its cost
        does not grow with the candidate set.
        """
        approved = np.zeros(n_codes, dtype=np.float64)
        n = np.zeros(n_codes, dtype=np.float64)
        for slug in self._by_gov.get(government, ()):
            code = slug_code.get(slug)
            if code is not None and code < n_codes:
                approved[code], n[code] = self.counts(government, slug, before)
        return approved, n

    def rates(
        self, government: str, slugs: Sequence[str], before: datetime
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rate, approved, n) arrays aligned with ``slugs`` (typically the unique slugs of a candidate set)."""
        approved = np.zeros(len(slugs), dtype=np.float64)
        n = np.zeros(len(slugs), dtype=np.float64)
        if self._by_gov.get(government):
            for i, slug in enumerate(slugs):
                approved[i], n[i] = self.counts(government, slug, before)
        return smoothed_rate(approved, n, self.a, self.b), approved, n


def as_stats(history: ApprovalStats | Iterable[DecisionRecord] | None) -> ApprovalStats:
    if isinstance(history, ApprovalStats):
        return history
    return ApprovalStats(history or ())


# ---------------------------------------------------------------------------------------------------------
# Text


def candidate_document(candidate: Candidate) -> str:
    return f"{candidate.title}\n{candidate.text}"


def make_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=True,
        strip_accents="unicode",
        sublinear_tf=True,
        stop_words=sorted(STOP_WORDS),
        token_pattern=r"(?u)\b\w\w+\b",
        dtype=np.float32,
    )


def text_fit(profile: str, documents: Sequence[str], vectorizer: TfidfVectorizer | None = None) -> np.ndarray:
    """TF-IDF cosine similarity between the profile and each document.

    Without a fitted ``vectorizer``, one is fitted on the documents plus the profile. Returns the neutral
    value for every document when the profile (or the vocabulary) is empty.
    """
    n = len(documents)
    neutral = FEATURE_NEUTRAL["text_fit"]
    if not profile or not profile.strip() or n == 0:
        return np.full(n, neutral)
    if vectorizer is None:
        vectorizer = make_vectorizer()
        try:
            vectorizer.fit([*documents, profile])
        except ValueError:  # empty vocabulary
            return np.full(n, neutral)
    matrix = vectorizer.transform(documents)
    return _cosine(matrix, vectorizer.transform([profile]))


def _cosine(matrix: sparse.csr_matrix, query: sparse.csr_matrix) -> np.ndarray:
    # rows are L2-normalised by TfidfVectorizer, so a dot product is the cosine
    if query.nnz == 0:
        return np.zeros(matrix.shape[0])
    dense = np.asarray(query.todense(), dtype=matrix.dtype).ravel()
    return np.clip((matrix @ dense).astype(np.float64), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------------------
# Columnar candidate set


class _Source:
    """What a catalogue and every selection from it share: the objects, ids, index and TF-IDF rows."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        self.ids = np.array([c.id for c in candidates], dtype=str) if candidates else np.array([], dtype=str)
        self._row_of: dict[str, int] | None = None
        self.vectorizer: TfidfVectorizer | None = None
        self.text_matrix: sparse.csr_matrix | None = None

    @property
    def row_of(self) -> dict[str, int]:
        if self._row_of is None:
            self._row_of = {c.id: i for i, c in enumerate(self.candidates)}
        return self._row_of


@dataclass
class CandidateSet:
    """Candidates as numpy columns. Build a catalogue once, then ``select``/``take`` per request.

    A selection gathers only the numeric columns; Candidate objects, ids and TF-IDF rows stay in the shared
    source and are looked up for the rows that need them (the top results), so a 100k-row request builds
    no Python objects per candidate. With a TF-IDF index (``index_text=True`` or a fitted ``vectorizer``)
    text fit is one sparse product against the catalogue; without one it is fitted per request on the set
    plus the profile.
    """

    source: _Source
    rows: np.ndarray  # row numbers in source, one per member
    themes: np.ndarray  # (n, len(THEMES)) theme scores in [0, 1]
    lat: np.ndarray  # NaN when missing
    lon: np.ndarray
    open_value: np.ndarray  # cents
    route_code: np.ndarray  # index into route_names
    route_names: list[str]
    initiative_code: np.ndarray  # index into initiative_slugs
    initiative_slugs: list[str]
    slug_code: dict[str, int]
    search_score: np.ndarray
    is_catalogue: bool = False  # rows == every source row, in order

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    # --- building

    @classmethod
    def from_candidates(
        cls,
        candidates: Sequence[Candidate],
        *,
        index_text: bool = False,
        vectorizer: TfidfVectorizer | None = None,
    ) -> CandidateSet:
        """Columns for ``candidates``.

        ``index_text=True`` fits a TF-IDF vectorizer on the candidates' texts and keeps their rows (use this
        for a catalogue that is reused across requests); a fitted ``vectorizer`` is used as is.
        """
        cands = list(candidates)
        n = len(cands)
        themes = np.zeros((n, len(THEMES)), dtype=np.float64)
        lat = np.full(n, np.nan)
        lon = np.full(n, np.nan)
        open_value = np.zeros(n, dtype=np.float64)
        search = np.zeros(n, dtype=np.float64)
        route_of: dict[str, int] = {r: i for i, r in enumerate(ROUTES)}
        route_code = np.zeros(n, dtype=np.int64)
        slug_of: dict[str, int] = {}
        init_code = np.zeros(n, dtype=np.int64)
        theme_col = _THEME_COL
        for i, c in enumerate(cands):
            row = themes[i]
            for t, sc in c.handprint.items():
                col = theme_col.get(t)
                if col is not None:
                    row[col] = sc
            for t in c.themes:
                col = theme_col.get(t)
                if col is not None and row[col] < TAGGED_THEME_SCORE:
                    row[col] = TAGGED_THEME_SCORE
            if c.lat is not None and c.lon is not None:
                lat[i] = c.lat
                lon[i] = c.lon
            open_value[i] = c.open_value_cents
            search[i] = c.search_score
            rc = route_of.get(c.route)
            if rc is None:
                rc = route_of[c.route] = len(route_of)
            route_code[i] = rc
            ic = slug_of.get(c.initiative_slug)
            if ic is None:
                ic = slug_of[c.initiative_slug] = len(slug_of)
            init_code[i] = ic
        np.clip(themes, 0.0, 100.0, out=themes)
        themes /= 100.0
        out = cls(
            source=_Source(cands),
            rows=np.arange(n, dtype=np.int64),
            themes=themes,
            lat=lat,
            lon=lon,
            open_value=open_value,
            route_code=route_code,
            route_names=list(route_of),
            initiative_code=init_code,
            initiative_slugs=list(slug_of),
            slug_code=slug_of,
            search_score=search,
            is_catalogue=True,
        )
        if vectorizer is not None or index_text:
            out.index_text(vectorizer)
        return out

    def index_text(self, vectorizer: TfidfVectorizer | None = None) -> None:
        """Fit (or use) a TF-IDF vectorizer on the source's texts and keep the rows."""
        src = self.source
        docs = [candidate_document(c) for c in src.candidates]
        if vectorizer is None:
            vectorizer = make_vectorizer()
            try:
                vectorizer.fit(docs)
            except ValueError:  # empty vocabulary
                src.vectorizer, src.text_matrix = None, None
                return
        src.vectorizer = vectorizer
        src.text_matrix = sparse.csr_matrix(vectorizer.transform(docs))

    # --- members

    @property
    def candidates(self) -> list[Candidate]:
        cands = self.source.candidates
        return [cands[r] for r in self.rows.tolist()]

    def candidate(self, i: int) -> Candidate:
        return self.source.candidates[int(self.rows[i])]

    @property
    def ids(self) -> np.ndarray:
        return self.source.ids[self.rows]

    def ids_at(self, positions: np.ndarray) -> np.ndarray:
        return self.source.ids[self.rows[positions]]

    @property
    def has_text_index(self) -> bool:
        return self.source.text_matrix is not None

    def text_fit(self, profile: str) -> np.ndarray:
        """TF-IDF cosine of each member with ``profile`` (see ``text_fit``)."""
        src = self.source
        if src.text_matrix is None or src.vectorizer is None:
            return text_fit(profile, [candidate_document(c) for c in self.candidates])
        if not profile or not profile.strip():
            return np.full(len(self), FEATURE_NEUTRAL["text_fit"])
        q = src.vectorizer.transform([profile])
        if q.nnz == 0:
            return np.zeros(len(self))
        dense = np.asarray(q.todense(), dtype=src.text_matrix.dtype).ravel()
        if len(self) * 4 >= src.text_matrix.shape[0]:
            # one sparse matrix-vector product over the catalogue and a gather beat slicing the matrix
            full = src.text_matrix @ dense
            return np.clip(full[self.rows].astype(np.float64), 0.0, 1.0)
        return np.clip((src.text_matrix[self.rows] @ dense).astype(np.float64), 0.0, 1.0)

    # --- selecting

    def take(self, positions: Any, search_scores: Any = None) -> CandidateSet:
        """Members at ``positions`` (in that order), optionally with new search scores.

        The fastest per-request path when the caller keeps row numbers (e.g. database row -> position).
        """
        pos = np.asarray(positions, dtype=np.int64)
        search = (
            self.search_score[pos] if search_scores is None else np.asarray(search_scores, dtype=np.float64)
        )
        if search.shape != pos.shape:
            raise ValueError("search_scores must align with the selected rows")
        return CandidateSet(
            source=self.source,
            rows=self.rows[pos],
            themes=self.themes[pos],
            lat=self.lat[pos],
            lon=self.lon[pos],
            open_value=self.open_value[pos],
            route_code=self.route_code[pos],
            route_names=self.route_names,
            initiative_code=self.initiative_code[pos],
            initiative_slugs=self.initiative_slugs,
            slug_code=self.slug_code,
            search_score=search,
        )

    def positions_of(self, ids: Sequence[str], *, strict: bool = True) -> np.ndarray:
        """Positions of ``ids`` in this set (a catalogue: positions == rows). Unknown ids raise or are skipped."""
        row_of = self.source.row_of if self.is_catalogue else {c.id: i for i, c in enumerate(self.candidates)}
        if strict:
            try:
                return np.fromiter((row_of[i] for i in ids), dtype=np.int64, count=len(ids))
            except KeyError as exc:
                raise KeyError(f"candidate {exc.args[0]!r} is not in this CandidateSet; rebuild it") from None
        return np.fromiter((row_of[i] for i in ids if i in row_of), dtype=np.int64)

    def select(self, ids: Sequence[str], search_scores: Any = None, *, strict: bool = True) -> CandidateSet:
        """The candidates a search returned, by id, with that search's scores.

        No Candidate objects are built, only numpy indexing. With ``strict=False`` ids missing from the
        catalogue are skipped (with their scores).
        """
        if strict:
            return self.take(self.positions_of(ids), search_scores)
        known = self.source.row_of if self.is_catalogue else {c.id for c in self.candidates}
        keep = [k for k, i in enumerate(ids) if i in known]
        positions = self.positions_of([ids[k] for k in keep])
        scores = None if search_scores is None else np.asarray(search_scores, dtype=np.float64)[keep]
        return self.take(positions, scores)


def as_candidate_set(candidates: CandidateSet | Sequence[Candidate]) -> CandidateSet:
    if isinstance(candidates, CandidateSet):
        return candidates
    return CandidateSet.from_candidates(candidates)


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
    return tuple(sorted({_THEME_COL[t] for t in targets if t in _THEME_COL}))


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
