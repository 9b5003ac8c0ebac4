"""Text fit: TF-IDF cosine between the company profile and a candidate's title and text.

A short Dutch + English stop list (profile and need texts are mostly Dutch), the vectorizer the catalogue
and the per-request path share, and the cosine itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .types import Candidate

TEXT_NEUTRAL = 0.05  # text fit when there is nothing to compare (empty profile or vocabulary)

_STOP_LIST = (
    "aan al alle als bij dan dat de deze die dit door een en er had heeft het hier hij hun ik in is je "
    "kan kunnen maar met meer naar niet nog of om onder ons onze ook op over te tegen tot u uit van veel "
    "voor was wat we wel werd wij wordt worden zal zich zij zijn zo zoals a an and are as at be by for "
    "from has have in is it its of on or our that the their this to was we with you your"
)
STOP_WORDS: frozenset[str] = frozenset(_STOP_LIST.split())


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
    neutral = TEXT_NEUTRAL
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
    return np.clip(np.asarray(matrix @ dense, dtype=np.float64), 0.0, 1.0)
