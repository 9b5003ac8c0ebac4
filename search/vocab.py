"""Query words against an index's vocabulary: exact, prefix, or typo corrections (shared by backends).

A backend keeps a table of its indexed words with their document frequency and a trigram index over
it, and answers the three questions of `Vocabulary`; `analyse` turns the query text into `Term`s, each
with the `Phrase`s any of which satisfies the word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from .text import edit_distance, ends_with_partial_word, max_typos, query_terms

TYPO_CANDIDATES = 60  # trigram neighbours checked by edit distance per unknown word
MAX_CORRECTIONS = 4  # corrections kept per unknown word
# A known word in at most max(RARE_DF, RARE_SHARE * documents) documents is also corrected: it may be a
# typo that made it into a few documents ("voedselbnk"), and the common words near it are wanted too.
RARE_DF, RARE_SHARE = 3, 0.002


class Vocabulary(Protocol):
    def df(self, term: str) -> int:
        """Documents containing the (folded) term; 0 when it is not indexed."""
        ...

    def has_longer(self, prefix: str) -> bool:
        """Whether some indexed term in at least one document is longer and starts with `prefix`."""
        ...

    def neighbours(self, word: str, limit: int) -> list[str]:
        """Indexed terms sharing trigrams with the word, the most similar first."""
        ...


class Phrase(NamedTuple):
    """One thing a query word may match: the word, a prefix of longer words, or a correction."""

    word: str
    prefix: bool = False
    correction: bool = False

    def in_words(self, words: set[str]) -> bool:
        """Whether a document with these (folded) words matches the phrase."""
        if not self.prefix:
            return self.word in words
        return any(w.startswith(self.word) for w in words)


@dataclass
class Term:
    """One query word and the phrases that may match it."""

    word: str
    exact: bool = False  # the word itself is an indexed term
    prefix: bool = False  # some longer indexed term starts with it
    corrections: list[str] = field(default_factory=list)  # indexed terms within the typo budget
    df: int = 0  # documents containing the word itself

    @property
    def matchable(self) -> bool:
        return self.exact or self.prefix or bool(self.corrections)

    def phrases(self) -> list[Phrase]:
        """The phrases any of which satisfies this word."""
        out: list[Phrase] = []
        if self.exact:
            out.append(Phrase(self.word))
        if self.prefix:
            out.append(Phrase(self.word, prefix=True))
        out.extend(Phrase(c, correction=True) for c in self.corrections)
        return out


def analyse(text: str, vocab: Vocabulary, n_docs: int, memo: dict[str, list[str]]) -> list[Term]:
    """Look every query word up in the vocabulary: exact, prefix, or typo corrections.

    `memo` keeps corrections between queries; the caller empties it when the index changes.
    """
    words = query_terms(text)
    partial = ends_with_partial_word(text)
    rare = max(RARE_DF, int(n_docs * RARE_SHARE))
    out: list[Term] = []
    for i, w in enumerate(words):
        t = Term(w)
        df = t.df = vocab.df(w)
        t.exact = df > 0
        last = i == len(words) - 1
        # Prefix search for the word being typed, and for any word that is not a whole indexed term.
        if (last and partial and len(w) >= 2) or (not t.exact and len(w) >= 3):
            t.prefix = vocab.has_longer(w)
        if not t.exact and not t.prefix:
            t.corrections = correct(w, vocab, memo, partial=last and partial)
        elif t.exact and not t.prefix and max_typos(w) and df <= rare:
            # A rare word may itself be a typo in some document ("voedselbnk"): also look for the
            # more common words it is close to. Exact matches still rank first.
            found = correct(w, vocab, memo, partial=last and partial)
            t.corrections = [c for c in found if vocab.df(c) > df]
        out.append(t)
    return out


def correct(word: str, vocab: Vocabulary, memo: dict[str, list[str]], *, partial: bool = False) -> list[str]:
    """Indexed terms within the word's typo budget, closest and most frequent first.

    For a word still being typed (`partial`), a term also counts when one of its prefixes is within
    the budget: "kringlop" finds "kringloopwinkel".
    """
    budget = max_typos(word)
    if budget == 0:
        return []
    key = word + ("*" if partial else "")
    if key in memo:
        return memo[key]
    scored: list[tuple[int, int, str]] = []
    for c in vocab.neighbours(word, TYPO_CANDIDATES):
        if c == word:
            continue
        d = edit_distance(word, c, budget) if abs(len(c) - len(word)) <= budget else budget + 1
        if partial and d > budget and len(c) > len(word):
            lengths = range(max(1, len(word) - budget), min(len(c), len(word) + budget) + 1)
            d = min(edit_distance(word, c[:n], budget) for n in lengths)
        if d <= budget:
            df = vocab.df(c)
            if df:  # a registered term may no longer be in any document
                scored.append((d, -df, c))
    result = [c for _, _, c in sorted(scored)[:MAX_CORRECTIONS]]
    memo[key] = result
    return result
