"""Candidates as numpy columns: a catalogue built once, selections taken per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .text import TEXT_NEUTRAL, candidate_document, make_vectorizer, text_fit
from .types import NEED_KINDS, ROUTES, THEMES, Candidate

TAGGED_THEME_SCORE = 50  # a theme the need is tagged with counts at least this much
THEME_COL = {t: i for i, t in enumerate(THEMES)}


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
    kind_code: np.ndarray  # index into kind_names (need kinds)
    kind_names: list[str]
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
        kind_of: dict[str, int] = {k: i for i, k in enumerate(NEED_KINDS)}
        kind_code = np.zeros(n, dtype=np.int64)
        slug_of: dict[str, int] = {}
        init_code = np.zeros(n, dtype=np.int64)
        theme_col = THEME_COL
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
            kc = kind_of.get(c.kind)
            if kc is None:
                kc = kind_of[c.kind] = len(kind_of)
            kind_code[i] = kc
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
            kind_code=kind_code,
            kind_names=list(kind_of),
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
        ids: np.ndarray = self.source.ids[self.rows]
        return ids

    def ids_at(self, positions: np.ndarray) -> np.ndarray:
        ids: np.ndarray = self.source.ids[self.rows[positions]]
        return ids

    @property
    def has_text_index(self) -> bool:
        return self.source.text_matrix is not None

    def text_fit(self, profile: str) -> np.ndarray:
        """TF-IDF cosine of each member with ``profile`` (see ``text_fit``)."""
        src = self.source
        if src.text_matrix is None or src.vectorizer is None:
            return text_fit(profile, [candidate_document(c) for c in self.candidates])
        if not profile or not profile.strip():
            return np.full(len(self), TEXT_NEUTRAL)
        q = src.vectorizer.transform([profile])
        if q.nnz == 0:
            return np.zeros(len(self))
        dense = np.asarray(q.todense(), dtype=src.text_matrix.dtype).ravel()
        if len(self) * 4 >= src.text_matrix.shape[0]:
            # one sparse matrix-vector product over the catalogue and a gather beat slicing the matrix
            full = src.text_matrix @ dense
            return np.clip(np.asarray(full[self.rows], dtype=np.float64), 0.0, 1.0)
        return np.clip(np.asarray(src.text_matrix[self.rows] @ dense, dtype=np.float64), 0.0, 1.0)

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
            kind_code=self.kind_code[pos],
            kind_names=self.kind_names,
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
