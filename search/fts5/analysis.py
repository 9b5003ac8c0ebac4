"""Text analysis for FTS5: query words to phrases, phrases to matching rows with bm25 scores.

A query word matches as typed, as the prefix of longer indexed words, or through typo corrections found
in the trigram index of the vocabulary. The postings of phrases (and of whole multi-word expressions) are
cached per index version and patched in place when a few documents change.
"""

from __future__ import annotations

import math
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..text import TOKEN_RE
from ..vocab import Phrase, Term, analyse
from .facets import FacetCache
from .schema import BM25_SQL, IDS_SQL, TITLE_IDS_SQL, WEIGHTS, floats, ints

EXACT_BM25_MAX = 3000  # phrases matching more rows get an estimated bm25 (see estimate_bm25)
# Rows of phrase postings kept in memory (16 bytes a row): at least POSTINGS_BUDGET, and POSTINGS_PER_DOC
# per indexed document, so the postings of a large index's common words stay cached (~96 MB at 1M).
POSTINGS_BUDGET = 3_000_000
POSTINGS_PER_DOC = 6
DENSE_UNION_MIN = 20_000  # phrases of one word matching more rows than this are merged by rowid
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's constants


def fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_expr(p: Phrase) -> str:
    """The FTS5 query of one phrase."""
    return fts_phrase(p.word) + ("*" if p.prefix else "")


def group_expr(phrases: Sequence[Phrase]) -> str:
    """FTS5 OR-group of phrases: any of them satisfies the word."""
    exprs = [fts_expr(p) for p in phrases]
    return exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")"


def sorted_by_row(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        order = np.argsort(rows, kind="stable")
        return rows[order], values[order]
    return rows, values


def bm25_idf(n_docs: int, df: int) -> float:
    """FTS5's IDF, floored as FTS5 floors it."""
    n = max(n_docs, 1)
    return max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)


def bm25_estimate(
    idf: float, in_title: npt.ArrayLike, length: npt.ArrayLike, avg_length: float
) -> npt.NDArray[np.float64]:
    """FTS5's bm25 term share with the term counted once, in the title (weight 8) or elsewhere (1).

    Element-wise over arrays of documents; scalars give a 0-d array.
    """
    f = np.where(in_title, WEIGHTS[0], WEIGHTS[1])
    norm = BM25_K1 * (1 - BM25_B + BM25_B * np.asarray(length, dtype=np.float64) / max(avg_length, 1e-9))
    return idf * (f * (BM25_K1 + 1)) / (f + norm)


def intersect(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Common values of two sorted unique arrays and their indices in each: binary search of the smaller."""
    if len(a) > len(b):
        common, ib, ia = intersect(b, a)
        return common, ia, ib
    if not len(a):
        return a, np.zeros(0, np.int64), np.zeros(0, np.int64)
    pos = np.searchsorted(b, a)
    pos_ok = np.minimum(pos, len(b) - 1)
    hit = b[pos_ok] == a
    ia = np.flatnonzero(hit)
    return a[ia], ia, pos_ok[ia]


@dataclass
class Posting:
    """The documents one phrase matches, with that phrase's bm25 contribution per document."""

    rows: np.ndarray  # sorted rowids
    scores: np.ndarray  # positive: higher is better
    # What was matched: groups of phrases, every group needed, any phrase of a group enough.
    spec: tuple[tuple[Phrase, ...], ...] = ()
    typo: np.ndarray | None = None  # for a whole multi-word match: rows that needed a correction

    @property
    def size(self) -> int:
        return len(self.rows)


def _narrow(
    allowed: np.ndarray | None, rows: np.ndarray, scores: np.ndarray, typo: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Only the rows that pass the filters."""
    if allowed is None or not len(rows):
        return rows, scores, typo
    keep = allowed[rows]
    return rows[keep], scores[keep], typo[keep]


def _narrow_posting(allowed: np.ndarray, p: Posting) -> Posting:
    keep = allowed[p.rows]
    return Posting(p.rows[keep], p.scores[keep], p.spec)


class SqliteVocabulary:
    """The `terms` table and its trigram index `terms_tri`, as a Vocabulary."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def df(self, term: str) -> int:
        row = self.conn.execute("SELECT df FROM terms WHERE term = ?", (term,)).fetchone()
        return int(row[0]) if row else 0

    def has_longer(self, prefix: str) -> bool:
        nxt = self.conn.execute(
            "SELECT 1 FROM terms WHERE term > ? AND term < ? AND df > 0 LIMIT 1",
            (prefix, prefix + "\U0010ffff"),
        ).fetchone()
        return nxt is not None

    def neighbours(self, word: str, limit: int) -> list[str]:
        grams = {word[i : i + 3] for i in range(len(word) - 2)}
        expr = " OR ".join(fts_phrase(g) for g in sorted(grams))
        # Terms sharing the most (and rarest) trigrams first: bm25 over the trigram index.
        sql = "SELECT term FROM terms_tri WHERE terms_tri MATCH ? ORDER BY rank LIMIT ?"
        return [r[0] for r in self.conn.execute(sql, (expr, limit))]


class TextIndex:
    """Query words to rows and scores, with the caches of typo corrections and phrase postings."""

    def __init__(self, cache: FacetCache) -> None:
        self.cache = cache
        self.corrections: dict[str, list[str]] = {}
        self.postings: OrderedDict[str, Posting] = OrderedDict()
        self.postings_size = 0
        self.big: set[str] = set()  # multi-word expressions too big for exact bm25

    def forget_corrections(self) -> None:
        self.corrections = {}

    def forget_postings(self) -> None:
        self.postings.clear()
        self.postings_size = 0
        self.big.clear()

    def patch_postings(self, conn: sqlite3.Connection, rowids: list[int]) -> None:
        """Bring every cached posting up to date for the documents in `rowids` (changed or deleted).

        Membership is decided on the documents' indexed words; their scores are bm25 estimates.
        """
        if not self.postings:
            return
        words: dict[int, tuple[set[str], set[str]]] = {}  # rowid -> (title words, all words)
        for rowid in rowids:
            row = conn.execute("SELECT title, body, place FROM docs_fts WHERE rowid = ?", (rowid,)).fetchone()
            if row:
                title = set(TOKEN_RE.findall(row[0] or ""))
                words[rowid] = (title, title | set(TOKEN_RE.findall(f"{row[1] or ''} {row[2] or ''}")))
        gone = np.asarray(rowids, np.int64)
        cache = self.cache
        idf: dict[Phrase, float] = {}
        for key, post in list(self.postings.items()):
            add: list[tuple[int, float, bool]] = []
            for rowid, (title, every) in words.items():
                total, corrected = 0.0, False
                for group in post.spec:
                    hits = [p for p in group if p.in_words(every)]
                    if not hits:
                        break
                    corrected |= all(p.correction for p in hits)
                    for p in hits:
                        if p not in idf:
                            idf[p] = bm25_idf(cache.n_docs, self.phrase_df(conn, p))
                        share = bm25_estimate(
                            idf[p], p.in_words(title), cache.length[rowid], cache.avg_length
                        )
                        total += float(share)
                else:
                    add.append((rowid, total, corrected))
            # Binary search for the changed rows: most postings contain none of them and stay as they are.
            pos = np.searchsorted(post.rows, gone)
            present = (
                pos[(pos < post.size) & (post.rows[np.minimum(pos, post.size - 1)] == gone)]
                if post.size
                else pos[:0]
            )
            if not len(present) and not add:
                continue
            rows = np.delete(post.rows, present)
            scores = np.delete(post.scores, present)
            typo = np.delete(post.typo, present) if post.typo is not None else None
            if add:
                add_rows = np.asarray([a[0] for a in add], np.int64)
                at = np.searchsorted(rows, add_rows)
                rows = np.insert(rows, at, add_rows)
                scores = np.insert(scores, at, [a[1] for a in add])
                if typo is not None:
                    typo = np.insert(typo, at, [a[2] for a in add])
            self.postings_size += len(rows) - post.size
            self.postings[key] = Posting(rows, scores, post.spec, typo)

    def phrase_df(self, conn: sqlite3.Connection, p: Phrase) -> int:
        if not p.prefix:
            return self.df(conn, p.word)
        # Documents with any word of the prefix: the sum over words over-counts a little, which is fine
        # for an IDF.
        row = conn.execute(
            "SELECT sum(df) FROM terms WHERE term >= ? AND term < ?", (p.word, p.word + "\U0010ffff")
        ).fetchone()
        return int(row[0] or 0)

    def analyse(self, conn: sqlite3.Connection, text: str) -> list[Term]:
        """Look every query word up in the vocabulary: exact, prefix, or typo corrections."""
        return analyse(text, SqliteVocabulary(conn), self.cache.n_docs, self.corrections)

    @staticmethod
    def df(conn: sqlite3.Connection, term: str) -> int:
        return SqliteVocabulary(conn).df(term)

    def posting(self, conn: sqlite3.Connection, p: Phrase) -> Posting:
        """Rows matching one phrase and its bm25 contribution (exact for small sets, estimated for big)."""
        phrase = fts_expr(p)
        hit = self.postings.get(phrase)
        if hit is not None:
            self.postings.move_to_end(phrase)
            return hit
        rows = ints(conn.execute(IDS_SQL, (phrase,)).fetchone()[0])
        if len(rows) <= EXACT_BM25_MAX:
            # bm25 is additive over phrases, so one phrase's score is its share of any query's score.
            ids, scores = conn.execute(BM25_SQL, (phrase,)).fetchone()
            rows, score = sorted_by_row(ints(ids), -floats(scores))
        else:
            score = self.estimate_bm25(conn, phrase, rows)
        spec = ((Phrase(p.word, p.prefix),),)
        return self.remember(phrase, Posting(rows, score, spec))

    def remember(self, key: str, posting: Posting) -> Posting:
        """Keep a posting until the next change, within the memory budget (least recently used out)."""
        self.postings[key] = posting
        self.postings_size += posting.size
        budget = max(POSTINGS_BUDGET, POSTINGS_PER_DOC * self.cache.n_docs)
        while self.postings_size > budget and len(self.postings) > 1:
            _, old = self.postings.popitem(last=False)
            self.postings_size -= old.size
        return posting

    def estimate_bm25(self, conn: sqlite3.Connection, phrase: str, rows: np.ndarray) -> np.ndarray:
        """FTS5's bm25 formula with term frequency taken as 1 per field: title or elsewhere.

        Computing bm25() in SQLite costs ~1.5 µs per matching row; for phrases in tens of thousands of
        documents this estimate keeps the query inside its budget and ranks nearly the same.
        """
        cache = self.cache
        title_rows = ints(conn.execute(TITLE_IDS_SQL, (phrase,)).fetchone()[0])
        in_title = np.isin(rows, title_rows, assume_unique=True)
        return bm25_estimate(
            bm25_idf(cache.n_docs, len(rows)), in_title, cache.length[rows], cache.avg_length
        )

    def group(
        self, conn: sqlite3.Connection, term: Term, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows matching any phrase of one query word, summed scores, and whether only a correction matched."""
        phrases = term.phrases()
        if term.exact and term.prefix and term.df > EXACT_BM25_MAX:
            # A common whole word that is also a prefix: its own matches are a subset of the prefix
            # matches, so walking its huge doclist again would only add an exactness bonus.
            phrases = [p for p in phrases if p.prefix or p.correction]
        parts = [(self.posting(conn, p), p.correction) for p in phrases]
        if allowed is not None:
            parts = [(_narrow_posting(allowed, p), corr) for p, corr in parts]
        parts = [(p, corr) for p, corr in parts if p.size]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.bool_)
        if len(parts) == 1:
            p, corr = parts[0]
            return p.rows, p.scores, np.full(p.size, corr)
        total = sum(p.size for p, _ in parts)
        if total >= DENSE_UNION_MIN:
            # Big postings: scatter them over arrays indexed by rowid instead of sorting their union.
            # Scores are added part by part, in the same order as the bincount below adds them.
            cap = max(int(p.rows[-1]) for p, _ in parts) + 1
            acc, member, exact = np.zeros(cap), np.zeros(cap, np.bool_), np.zeros(cap, np.bool_)
            for p, corr in parts:
                acc[p.rows] += p.scores
                member[p.rows] = True
                if not corr:
                    exact[p.rows] = True
            uniq = np.flatnonzero(member)
            return uniq, acc[uniq], ~exact[uniq]
        rows = np.concatenate([p.rows for p, _ in parts])
        scores = np.concatenate([p.scores for p, _ in parts])
        exactish = np.concatenate([np.full(p.size, not corr) for p, corr in parts])
        uniq, inverse = np.unique(rows, return_inverse=True)
        summed = np.bincount(inverse, weights=scores, minlength=len(uniq))
        has_exact = np.bincount(inverse, weights=exactish, minlength=len(uniq)) > 0
        return uniq, summed, ~has_exact

    def match(
        self, conn: sqlite3.Connection, terms: list[Term], allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Term]]:
        """Rows matching every usable word, their score and tier (0 exact/prefix, 1 needed a correction).

        Words that match nothing at all are ignored. If the rest finds nothing (within the filters),
        words are dropped from the end (Meilisearch's "last" matching strategy) until something matches.
        """
        usable = [t for t in terms if t.matchable]
        while usable:
            rows, scores, typo = self.match_all(conn, usable, allowed)
            keep = allowed[rows] if len(rows) else np.zeros(0, np.bool_)
            if keep.any():
                return rows[keep], scores[keep], typo[keep].astype(np.int8), usable
            usable = usable[:-1]
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int8), []

    def match_all(
        self, conn: sqlite3.Connection, terms: list[Term], allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows matching all the words, with scores and a "needed a correction" flag.

        With `allowed` (a boolean per rowid: passes the filters) only those rows come back; each word's
        rows are narrowed before they are merged, so selective filters make big postings cheap.
        """
        expr = " AND ".join(group_expr(t.phrases()) for t in terms) if len(terms) > 1 else ""
        if expr and expr not in self.big:
            # Let FTS5 intersect first: with one selective word this touches few rows, and a small
            # result gets exact bm25 for the whole expression (the sum of its phrases' shares).
            hit = self.postings.get(expr)
            if hit is not None and hit.typo is not None:
                self.postings.move_to_end(expr)
                return _narrow(allowed, hit.rows, hit.scores, hit.typo)
            rows = ints(conn.execute(IDS_SQL, (expr,)).fetchone()[0])
            if len(rows) > EXACT_BM25_MAX:
                self.big.add(expr)  # next time straight to the word-by-word merge below
            else:
                scores = np.zeros(0)
                if len(rows):
                    # bm25() walks every phrase's whole doclist for its IDF: worth remembering.
                    ids, bm25 = conn.execute(BM25_SQL, (expr,)).fetchone()
                    rows, scores = sorted_by_row(ints(ids), -floats(bm25))
                typo = self.needed_correction(conn, terms, rows)
                spec = tuple(tuple(t.phrases()) for t in terms)
                self.remember(expr, Posting(rows, scores, spec, typo))
                return _narrow(allowed, rows, scores, typo)
        groups = [self.group(conn, t, allowed) for t in terms]
        rows, scores, typo = groups[0]
        for g_rows, g_scores, g_typo in groups[1:]:
            rows, ia, ib = intersect(rows, g_rows)
            scores = scores[ia] + g_scores[ib]
            typo = typo[ia] | g_typo[ib]
        return rows, scores, typo

    def needed_correction(self, conn: sqlite3.Connection, terms: list[Term], rows: np.ndarray) -> np.ndarray:
        if not any(t.corrections for t in terms):
            return np.zeros(len(rows), np.bool_)
        exact = [[p for p in t.phrases() if not p.correction] for t in terms]
        if not all(exact):  # some word only matches through corrections
            return np.ones(len(rows), np.bool_)
        expr = " AND ".join(group_expr(p) for p in exact)
        exact_rows = ints(conn.execute(IDS_SQL, (expr,)).fetchone()[0])
        return ~np.isin(rows, exact_rows)
