"""Embedded search on SQLite FTS5: bm25 ranking, prefix and typo tolerance, facet counts, geo sort.

Layout of the search database (its own file; never the application's database):

- ``docs``        one row per document: facet columns and sort keys, kept narrow so full scans are cheap.
- ``docs_json``   the document itself as JSON, read only for the page of hits.
- ``docs_fts``    FTS5 over folded title, body and place; bm25 weights title above place above body.
- ``docs_title``  a small FTS5 index of titles alone (no positions): which of many matches are title
  matches, without walking the big index twice.
- ``docs_vocab``  fts5vocab view of the index's terms; read once per full reindex (it counts documents
  by walking doclists, far too slow per query for common words).
- ``terms``       every indexed term with its document frequency, kept current on every write: the cheap
  lookup for "is this word indexed", "does any word start with it" and "how common is it".
- ``terms_tri``   a trigram FTS5 index over ``terms``, to find the corrections of a misspelt query word.
- ``changes``     an append-only log of touched rowids, so every process can update its in-memory
  facet bitsets incrementally instead of reloading them.
- ``meta``        schema version and the index *epoch* (changes on every full reindex).

Facet counting and filtering run in memory on per-value bitsets (numpy), so their cost does not grow
with the number of matching rows the way a GROUP BY over a side table would.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any, NamedTuple

import numpy as np

from .base import FACETS, Document, Hit, Query, Result, SearchError, SearchUnavailable
from .text import (
    TOKEN_RE,
    TermMatcher,
    edit_distance,
    ends_with_partial_word,
    fold,
    highlight,
    max_typos,
    query_terms,
    snippet,
)

SCHEMA_VERSION = "5"
MULTI = ("themes", "need_kinds", "target_groups", "eligible_for")
SINGLE = ("type", "kind", "municipality")
# bm25 column weights: title, body, place.
WEIGHTS = (8.0, 1.0, 3.0)
TYPO_CANDIDATES = 60  # trigram neighbours checked by edit distance per unknown word
MAX_CORRECTIONS = 4  # corrections kept per unknown word
# A known word in at most max(RARE_DF, RARE_SHARE * documents) documents is also corrected: it may be a
# typo that made it into a few documents ("voedselbnk"), and the common words near it are wanted too.
RARE_DF, RARE_SHARE = 3, 0.002
EARTH_RADIUS_KM = 6371.0088
CHANGES_KEEP = 50_000  # change-log rows kept; caches further behind reload fully
CHANGES_SLACK = 1000  # prune only once the log is this much longer than CHANGES_KEEP
EXACT_BM25_MAX = 3000  # phrases matching more rows get an estimated bm25 (see _estimate_bm25)
POSTINGS_BUDGET = 3_000_000  # rows of phrase postings kept in memory
PATCH_MAX = 200  # more documents changed at once than this: drop cached postings instead of patching
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's constants

_DOC_COLS = (
    "type, kind, municipality, themes, need_kinds, target_groups, eligible_for, deadline, lat, lon, ntok"
)
# What the in-memory cache reads per document; deadlines as SQLite julian days (-1: none).
_CACHE_COLS = (
    "type, kind, municipality, themes, need_kinds, target_groups, eligible_for,"
    " ifnull(julianday(deadline), -1), lat, lon, ntok"
)
_MARKS12 = ",".join("?" * 12)
_WEIGHTS_SQL = ", ".join(str(w) for w in WEIGHTS)
_IDS_SQL = "SELECT group_concat(rowid) FROM docs_fts WHERE docs_fts MATCH ?"
_TITLE_IDS_SQL = "SELECT group_concat(rowid) FROM docs_title WHERE docs_title MATCH ?"
# bm25() is not allowed inside an aggregate; a materialized CTE keeps the planner from inlining it.
_BM25_SQL = (
    f"WITH m AS MATERIALIZED (SELECT rowid AS r, bm25(docs_fts, {_WEIGHTS_SQL}) AS s"
    " FROM docs_fts WHERE docs_fts MATCH ?) SELECT group_concat(r), group_concat(s) FROM m"
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, kind TEXT NOT NULL, municipality TEXT NOT NULL,
    themes TEXT NOT NULL, need_kinds TEXT NOT NULL, target_groups TEXT NOT NULL, eligible_for TEXT NOT NULL,
    deadline TEXT, lat REAL, lon REAL, ntok INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS docs_json(rowid INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    title, body, place, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_title USING fts5(
    title, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', detail = 'none'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_vocab USING fts5vocab(docs_fts, 'row');
CREATE TABLE IF NOT EXISTS terms(term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL DEFAULT 0);
CREATE VIRTUAL TABLE IF NOT EXISTS terms_tri USING fts5(term, tokenize = 'trigram', detail = 'none');
CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_rowid INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '{SCHEMA_VERSION}');
INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', lower(hex(randomblob(8))));
INSERT OR IGNORE INTO meta(key, value) VALUES ('pruned_upto', '0');
"""
_DROP = """
DROP TABLE IF EXISTS docs_vocab; DROP TABLE IF EXISTS docs_fts; DROP TABLE IF EXISTS docs;
DROP TABLE IF EXISTS docs_json; DROP TABLE IF EXISTS docs_title;
DROP TABLE IF EXISTS terms_tri; DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS changes;
"""


def haversine_km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance from one point to many, in km."""
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - math.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# One encoder for all writes: json.dumps() with options builds a new encoder on every call.
# default=str: a payload value JSON cannot hold (a date, a Decimal) comes back as its text.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _json_list(values: Sequence[str]) -> str:
    """A JSON array of strings, built directly: this runs four times per document on reindex."""
    return "[" + ",".join(map(encode_basestring, values)) + "]"


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _ints(csv: str | None) -> np.ndarray:
    """Parse group_concat(rowid) output: one string is far cheaper than one Python row per match."""
    if not csv:
        return np.zeros(0, np.int64)
    return np.fromstring(csv, dtype=np.int64, sep=",")


def _floats(csv: str | None) -> np.ndarray:
    if not csv:
        return np.zeros(0, np.float64)
    return np.fromstring(csv, dtype=np.float64, sep=",")


class _Phrase(NamedTuple):
    """One FTS5 phrase a query word may match: the word, a prefix of longer words, or a correction."""

    word: str
    prefix: bool = False
    correction: bool = False

    @property
    def expr(self) -> str:
        return _fts_phrase(self.word) + ("*" if self.prefix else "")

    def in_words(self, words: set[str]) -> bool:
        """Whether a document with these (folded) words matches the phrase."""
        if not self.prefix:
            return self.word in words
        return any(w.startswith(self.word) for w in words)


def _group_expr(phrases: Sequence[_Phrase]) -> str:
    """FTS5 OR-group of phrases: any of them satisfies the word."""
    exprs = [p.expr for p in phrases]
    return exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")"


def _sorted_by_row(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        order = np.argsort(rows, kind="stable")
        return rows[order], values[order]
    return rows, values


def _idf(n_docs: int, df: int) -> float:
    """FTS5's IDF, floored as FTS5 floors it."""
    n = max(n_docs, 1)
    return max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)


def _bm25_estimate(idf: float, in_title: Any, length: Any, avg_length: float) -> Any:
    """FTS5's bm25 term share with the term counted once, in the title (weight 8) or elsewhere (1)."""
    f = np.where(in_title, WEIGHTS[0], WEIGHTS[1])
    norm = BM25_K1 * (1 - BM25_B + BM25_B * np.asarray(length, dtype=np.float64) / max(avg_length, 1e-9))
    return idf * (f * (BM25_K1 + 1)) / (f + norm)


def _intersect(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Common values of two sorted unique arrays and their indices in each: binary search of the smaller."""
    if len(a) > len(b):
        common, ib, ia = _intersect(b, a)
        return common, ia, ib
    if not len(a):
        return a, np.zeros(0, np.int64), np.zeros(0, np.int64)
    pos = np.searchsorted(b, a)
    pos_ok = np.minimum(pos, len(b) - 1)
    hit = b[pos_ok] == a
    ia = np.flatnonzero(hit)
    return a[ia], ia, pos_ok[ia]


@dataclass
class _Term:
    """One query word and the FTS5 phrases that may match it."""

    word: str
    exact: bool = False  # the word itself is an indexed term
    prefix: bool = False  # some longer indexed term starts with it
    corrections: list[str] = field(default_factory=list)  # indexed terms within the typo budget
    df: int = 0  # documents containing the word itself

    @property
    def matchable(self) -> bool:
        return self.exact or self.prefix or bool(self.corrections)

    def phrases(self) -> list[_Phrase]:
        """The phrases any of which satisfies this word."""
        out: list[_Phrase] = []
        if self.exact:
            out.append(_Phrase(self.word))
        if self.prefix:
            out.append(_Phrase(self.word, prefix=True))
        out.extend(_Phrase(c, correction=True) for c in self.corrections)
        return out


@dataclass
class _Posting:
    """The documents one phrase matches, with that phrase's bm25 contribution per document."""

    rows: np.ndarray  # sorted rowids
    scores: np.ndarray  # positive: higher is better
    # What was matched: groups of phrases, every group needed, any phrase of a group enough.
    spec: tuple[tuple[_Phrase, ...], ...] = ()
    typo: np.ndarray | None = None  # for a whole multi-word match: rows that needed a correction

    @property
    def size(self) -> int:
        return len(self.rows)


class _FacetCache:
    """Per-value bitsets and sort keys, indexed by docs.rowid; kept in step through the change log."""

    def __init__(self) -> None:
        self.epoch: str | None = None
        self.seq = 0
        self.cap = 0
        self.alive = np.zeros(0, np.uint8)
        self.bits: dict[str, dict[str, np.ndarray]] = {f: {} for f in FACETS}
        self.deadline = np.zeros(0, np.float64)
        self.lat = np.zeros(0, np.float64)
        self.lon = np.zeros(0, np.float64)
        self.length = np.zeros(0, np.float64)  # tokens per document, for the bm25 estimate
        self.n_docs = 0
        self.total_length = 0.0

    @property
    def avg_length(self) -> float:
        return self.total_length / self.n_docs if self.n_docs else 1.0

    # -- sizing -------------------------------------------------------------------------------------
    def _ensure(self, max_rowid: int) -> None:
        if max_rowid < self.cap:
            return
        cap = max(1024, self.cap)
        while cap <= max_rowid:
            cap *= 2
        grow = (cap - self.cap) // 8

        def pad(a: np.ndarray) -> np.ndarray:
            return np.concatenate([a, np.zeros(grow, np.uint8)])

        self.alive = pad(self.alive)
        for values in self.bits.values():
            for v in list(values):
                values[v] = pad(values[v])
        extra = cap - self.cap
        self.deadline = np.concatenate([self.deadline, np.full(extra, np.inf)])
        self.lat = np.concatenate([self.lat, np.full(extra, np.nan)])
        self.lon = np.concatenate([self.lon, np.full(extra, np.nan)])
        self.length = np.concatenate([self.length, np.zeros(extra)])
        self.cap = cap

    def _value_bits(self, facet: str, value: str) -> np.ndarray:
        arr = self.bits[facet].get(value)
        if arr is None:
            arr = self.bits[facet][value] = np.zeros(self.cap // 8, np.uint8)
        return arr

    # -- loading ------------------------------------------------------------------------------------
    def load(self, conn: sqlite3.Connection, epoch: str, seq: int) -> None:
        """Full rebuild; SQLite groups rowids by facet value so Python never loops over documents."""
        self.__init__()  # type: ignore[misc]
        ids, days, lat, lon, ntok = conn.execute(
            "SELECT group_concat(rowid), group_concat(ifnull(julianday(deadline), -1)),"
            " group_concat(ifnull(lat, 999)), group_concat(ifnull(lon, 999)), group_concat(ntok) FROM docs"
        ).fetchone()
        rowids = _ints(ids)
        self._ensure(int(rowids.max()) if len(rowids) else 0)
        self.alive = self._pack(rowids)
        if len(rowids):
            d = _floats(days)
            self.deadline[rowids] = np.where(d < 0, np.inf, d)
            la, lo = _floats(lat), _floats(lon)
            self.lat[rowids] = np.where(la == 999, np.nan, la)
            self.lon[rowids] = np.where(lo == 999, np.nan, lo)
            self.length[rowids] = _floats(ntok)
        for facet in SINGLE:
            sql = f"SELECT {facet}, group_concat(rowid) FROM docs WHERE {facet} != '' GROUP BY {facet}"
            self.bits[facet] = {v: self._pack(_ints(r)) for v, r in conn.execute(sql)}
        for facet in MULTI:
            sql = (
                f"SELECT j.value, group_concat(d.rowid) FROM docs d, json_each(d.{facet}) j GROUP BY j.value"
            )
            self.bits[facet] = {str(v): self._pack(_ints(r)) for v, r in conn.execute(sql)}
        self.n_docs = len(rowids)
        self.total_length = float(self.length.sum())
        self.epoch, self.seq = epoch, seq

    def _pack(self, rowids: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.cap, np.bool_)
        mask[rowids] = True
        return np.packbits(mask, bitorder="little")

    def clear(self, rowid: int) -> None:
        if rowid >= self.cap:
            return
        byte, bit = rowid >> 3, np.uint8(1 << (rowid & 7))
        if self.alive[byte] & bit:
            self.n_docs -= 1
            self.total_length -= self.length[rowid]
        keep = ~bit
        self.alive[byte] &= keep
        for values in self.bits.values():
            for arr in values.values():
                arr[byte] &= keep
        self.deadline[rowid] = np.inf
        self.lat[rowid] = self.lon[rowid] = np.nan
        self.length[rowid] = 0.0

    def set(self, row: tuple[Any, ...]) -> None:
        rowid = row[0]
        self._ensure(rowid)
        self.clear(rowid)
        byte, bit = rowid >> 3, np.uint8(1 << (rowid & 7))
        self.alive[byte] |= bit
        for i, facet in enumerate(SINGLE, start=1):
            if row[i]:
                self._value_bits(facet, row[i])[byte] |= bit
        for i, facet in enumerate(MULTI, start=4):
            for v in json.loads(row[i] or "[]"):
                self._value_bits(facet, v)[byte] |= bit
        self.deadline[rowid] = np.inf if row[8] is None or row[8] < 0 else row[8]
        self.lat[rowid] = np.nan if row[9] is None else row[9]
        self.lon[rowid] = np.nan if row[10] is None else row[10]
        self.length[rowid] = row[11]
        self.n_docs += 1
        self.total_length += row[11]

    # -- querying -----------------------------------------------------------------------------------
    def filter_mask(self, filters: dict[str, tuple[str, ...]]) -> np.ndarray:
        """Packed bitset of live docs passing the filters (OR within a facet, AND across)."""
        mask = self.alive.copy()
        for facet, values in filters.items():
            any_of = np.zeros_like(mask)
            for v in values:
                arr = self.bits[facet].get(v)
                if arr is not None:
                    any_of |= arr
            mask &= any_of
        return mask

    @staticmethod
    def unpack(packed: np.ndarray) -> np.ndarray:
        return np.unpackbits(packed, bitorder="little").view(np.bool_)

    def pack_rows(self, rowids: np.ndarray) -> np.ndarray:
        return self._pack(rowids)

    def counts(self, selected: np.ndarray, facets: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per facet value, how many selected docs carry it (zeros left out, biggest first)."""
        sel64 = selected.view(np.uint64)
        out: dict[str, dict[str, int]] = {}
        for facet in facets:
            found: dict[str, int] = {}
            for v, arr in self.bits[facet].items():
                n = int(np.bitwise_count(np.bitwise_and(arr.view(np.uint64), sel64)).sum())
                if n:
                    found[v] = n
            out[facet] = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
        return out


class FTS5Backend:
    """SearchBackend on an SQLite FTS5 file of its own (":memory:" for tests)."""

    name = "fts5"

    def __init__(self, path: str = ":memory:", *, timeout_s: float = 5.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._memory = path == ":memory:" or path.startswith("file::memory:")
        self._local = threading.local()
        self._db_lock = threading.RLock()  # serialises the single connection of an in-memory index
        self._cache_lock = threading.RLock()
        self._cache = _FacetCache()
        self._shared: sqlite3.Connection | None = None
        # Per index version (epoch, change seq): typo corrections and phrase postings already looked up.
        self._memo_key: tuple[str | None, int] = (None, -1)
        self._corrections: dict[str, list[str]] = {}
        self._postings: OrderedDict[str, _Posting] = OrderedDict()
        self._postings_size = 0
        self._ready = False

    # -- connections ----------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=not self._memory
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
            if not self._memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA mmap_size = 268435456")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"cannot open search index {self.path!r}: {exc}") from exc
        return conn

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread (one shared, locked connection for an in-memory index)."""
        if self._memory:
            with self._db_lock:
                if self._shared is None:
                    self._shared = self._open()
                yield self._shared
            return
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            # A forked worker must not reuse its parent's connection.
            conn = self._local.conn = self._open()
            self._local.pid = os.getpid()
        yield conn

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction; SQLite errors become SearchError / SearchUnavailable."""
        with self._conn() as conn:
            try:
                if not self._ready:
                    self._setup(conn)
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                else:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                msg = str(exc).lower()
                if any(s in msg for s in ("locked", "busy", "unable to open", "disk i/o", "readonly")):
                    raise SearchUnavailable(f"search index unavailable: {exc}") from exc
                raise SearchError(f"search index error: {exc}") from exc
            except sqlite3.Error as exc:
                raise SearchError(f"search index error: {exc}") from exc

    def forget_query_caches(self) -> None:
        """Drop cached postings and corrections, as a write would (benchmarks use it for cold figures)."""
        with self._cache_lock:
            self._memo_key = (None, -1)

    def close(self) -> None:
        """Close this thread's connection (and the shared in-memory one, which drops its data)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._shared is not None:
            with self._db_lock:
                self._shared.close()
                self._shared = None
                self._ready = False

    # -- protocol: lifecycle ------------------------------------------------------------------------
    def _setup(self, conn: sqlite3.Connection) -> None:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        if has_meta:
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if not found or found[0] != SCHEMA_VERSION:
                # The index is derived data: an old layout is dropped and must be reindexed.
                conn.executescript(_DROP + "DROP TABLE IF EXISTS meta;")
        conn.executescript(_SCHEMA)
        self._ready = True

    def setup(self) -> None:
        """Create the tables if they are missing; safe to call again."""
        with self._tx(write=True):
            pass

    def count(self) -> int:
        with self._tx() as conn:
            return int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def health(self) -> dict[str, Any]:
        try:
            n = self.count()
        except SearchError as exc:
            return {"status": "down", "backend": self.name, "documents": 0, "detail": str(exc)}
        return {
            "status": "ok",
            "backend": self.name,
            "documents": n,
            "detail": f"SQLite {sqlite3.sqlite_version} FTS5 at {self.path}",
        }

    # -- protocol: writing --------------------------------------------------------------------------
    @staticmethod
    def _rows(doc: Document) -> tuple[tuple[Any, ...], tuple[str, str, str]]:
        """The docs row (without rowid) and the folded FTS row of one document."""
        fts = (fold(doc.title), fold(doc.text), fold(f"{doc.municipality} {doc.region}"))
        geo = doc.lat is not None and doc.lon is not None
        row = (
            doc.id,
            doc.type,
            doc.kind or "",
            doc.municipality or "",
            _json_list(doc.facet_values("themes")),
            _json_list(doc.facet_values("need_kinds")),
            _json_list(doc.facet_values("target_groups")),
            _json_list(doc.facet_values("eligible_for")),
            doc.deadline or None,
            float(doc.lat) if geo else None,  # type: ignore[arg-type]
            float(doc.lon) if geo else None,  # type: ignore[arg-type]
            sum(len(col.split()) for col in fts),  # close enough to the tokenizer's count for bm25
            _JSON.encode(doc.to_dict()),
        )
        return row, fts

    @staticmethod
    def _old_words(conn: sqlite3.Connection, rowid: int) -> set[str]:
        row = conn.execute("SELECT title, body, place FROM docs_fts WHERE rowid = ?", (rowid,)).fetchone()
        return {w for col in row or () for w in TOKEN_RE.findall(col or "")}

    @staticmethod
    def _count_words(conn: sqlite3.Connection, delta: Counter[str]) -> None:
        """Apply document-frequency changes; new words also enter the trigram index."""
        for w, d in delta.items():
            if d > 0:
                cur = conn.execute("INSERT OR IGNORE INTO terms(term, df) VALUES (?, 0)", (w,))
                if cur.rowcount:
                    conn.execute("INSERT INTO terms_tri(rowid, term) VALUES (?, ?)", (cur.lastrowid, w))
            if d:
                conn.execute("UPDATE terms SET df = max(0, df + ?) WHERE term = ?", (d, w))

    def upsert(self, docs: Sequence[Document]) -> None:
        """Insert or replace documents by id; visible to the next search."""
        docs = list(docs)
        if not docs:
            return
        with self._tx(write=True) as conn:
            delta: Counter[str] = Counter()
            for doc in docs:
                row, fts_row = self._rows(doc)
                new_words = {w for col in fts_row for w in TOKEN_RE.findall(col)}
                found = conn.execute("SELECT rowid FROM docs WHERE id = ?", (doc.id,)).fetchone()
                old_words = self._old_words(conn, found[0]) if found else set()
                delta.update(new_words - old_words)
                delta.subtract(old_words - new_words)
                if found:
                    rowid = found[0]
                    conn.execute(
                        "UPDATE docs SET type=?, kind=?, municipality=?, themes=?, need_kinds=?, target_groups=?,"
                        " eligible_for=?, deadline=?, lat=?, lon=?, ntok=? WHERE rowid=?",
                        (*row[1:-1], rowid),
                    )
                    conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (rowid,))
                    conn.execute("DELETE FROM docs_title WHERE rowid = ?", (rowid,))
                else:
                    rowid = conn.execute(
                        f"INSERT INTO docs(id, {_DOC_COLS}) VALUES ({_MARKS12})", row[:-1]
                    ).lastrowid
                conn.execute("INSERT OR REPLACE INTO docs_json(rowid, doc) VALUES (?, ?)", (rowid, row[-1]))
                conn.execute(
                    "INSERT INTO docs_fts(rowid, title, body, place) VALUES (?,?,?,?)", (rowid, *fts_row)
                )
                conn.execute("INSERT INTO docs_title(rowid, title) VALUES (?,?)", (rowid, fts_row[0]))
                conn.execute("INSERT INTO changes(doc_rowid) VALUES (?)", (rowid,))
            self._count_words(conn, delta)
            self._prune_changes(conn)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        ids = list(ids)
        if not ids:
            return
        with self._tx(write=True) as conn:
            delta: Counter[str] = Counter()
            for doc_id in ids:
                found = conn.execute("SELECT rowid FROM docs WHERE id = ?", (doc_id,)).fetchone()
                if not found:
                    continue
                delta.subtract(self._old_words(conn, found[0]))
                conn.execute("DELETE FROM docs WHERE rowid = ?", found)
                conn.execute("DELETE FROM docs_json WHERE rowid = ?", found)
                conn.execute("DELETE FROM docs_fts WHERE rowid = ?", found)
                conn.execute("DELETE FROM docs_title WHERE rowid = ?", found)
                conn.execute("INSERT INTO changes(doc_rowid) VALUES (?)", found)
            self._count_words(conn, delta)
            self._prune_changes(conn)

    def _prune_changes(self, conn: sqlite3.Connection) -> None:
        last = conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
        if last > CHANGES_KEEP + CHANGES_SLACK:
            upto = last - CHANGES_KEEP
            conn.execute("DELETE FROM changes WHERE seq <= ?", (upto,))
            conn.execute("UPDATE meta SET value = ? WHERE key = 'pruned_upto'", (str(upto),))

    def reindex(
        self,
        docs: Iterable[Document],
        *,
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
        batch_size: int = 2000,
    ) -> int:
        """Rebuild the whole index in one transaction: searches see the old index until it commits.

        `total` is only a hint for the caller's progress display; `progress(n)` gets the running count.
        """
        n = 0
        with self._tx(write=True) as conn:
            # executescript() would commit the open transaction, so run the statements one by one.
            for stmt in _statements(_DROP + _SCHEMA):
                conn.execute(stmt)
            seen: set[str] = set()
            batch: list[Document] = []

            def flush() -> None:
                nonlocal n
                rows = [self._rows(d) for d in batch]
                conn.executemany(
                    f"INSERT INTO docs(rowid, id, {_DOC_COLS}) VALUES (?, {_MARKS12})",
                    [(n + i + 1, *r[:-1]) for i, (r, _) in enumerate(rows)],
                )
                conn.executemany(
                    "INSERT INTO docs_json(rowid, doc) VALUES (?, ?)",
                    [(n + i + 1, r[-1]) for i, (r, _) in enumerate(rows)],
                )
                conn.executemany(
                    "INSERT INTO docs_fts(rowid, title, body, place) VALUES (?,?,?,?)",
                    [(n + i + 1, *f) for i, (_, f) in enumerate(rows)],
                )
                conn.executemany(
                    "INSERT INTO docs_title(rowid, title) VALUES (?,?)",
                    [(n + i + 1, f[0]) for i, (_, f) in enumerate(rows)],
                )
                n += len(batch)
                batch.clear()
                if progress is not None:
                    progress(n)

            for doc in docs:
                if doc.id in seen:
                    raise SearchError(f"duplicate document id in reindex: {doc.id}")
                seen.add(doc.id)
                batch.append(doc)
                if len(batch) >= batch_size:
                    flush()
            if batch:
                flush()
            conn.execute("INSERT INTO terms(term, df) SELECT term, doc FROM docs_vocab")
            conn.execute("INSERT INTO terms_tri(rowid, term) SELECT rowid, term FROM terms")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (uuid.uuid4().hex,))
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'pruned_upto'")
            # One b-tree segment per index makes every later query cheaper.
            conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO docs_title(docs_title) VALUES ('optimize')")
        return n

    # -- protocol: searching ------------------------------------------------------------------------
    def _sync(self, conn: sqlite3.Connection) -> None:
        """Bring the in-memory caches up to the database snapshot of this transaction."""
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('epoch', 'pruned_upto')"))
        epoch, pruned = meta.get("epoch", ""), int(meta.get("pruned_upto", "0"))
        cache = self._cache
        touched: list[int] = []
        if cache.epoch != epoch or cache.seq < pruned:
            seq = conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
            cache.load(conn, epoch, seq)
        else:
            changed = conn.execute(
                "SELECT seq, doc_rowid FROM changes WHERE seq > ? ORDER BY seq", (cache.seq,)
            ).fetchall()
            if changed:
                touched = sorted({r[1] for r in changed})
                for i in range(0, len(touched), 500):
                    part = touched[i : i + 500]
                    marks = ",".join("?" * len(part))
                    sql = f"SELECT rowid, {_CACHE_COLS} FROM docs WHERE rowid IN ({marks})"
                    live = {r[0]: r for r in conn.execute(sql, part)}
                    for rowid in part:
                        if rowid in live:
                            cache.set(live[rowid])
                        else:
                            cache.clear(rowid)
                cache.seq = changed[-1][0]
        key = (cache.epoch, cache.seq)
        if key == self._memo_key:
            return
        # Corrections are cheap to redo and may now have new candidates; postings are patched when only
        # a few documents changed since they were cached, so a steady trickle of writes keeps them warm.
        self._corrections = {}
        if touched and self._memo_key[0] == cache.epoch and len(touched) <= PATCH_MAX:
            self._patch_postings(conn, touched)
        else:
            self._postings.clear()
            self._postings_size = 0
        self._memo_key = key

    def _patch_postings(self, conn: sqlite3.Connection, rowids: list[int]) -> None:
        """Bring every cached posting up to date for the documents in `rowids` (changed or deleted).

        Membership is decided on the documents' indexed words; their scores are bm25 estimates.
        """
        if not self._postings:
            return
        words: dict[int, tuple[set[str], set[str]]] = {}  # rowid -> (title words, all words)
        for rowid in rowids:
            row = conn.execute("SELECT title, body, place FROM docs_fts WHERE rowid = ?", (rowid,)).fetchone()
            if row:
                title = set(TOKEN_RE.findall(row[0] or ""))
                words[rowid] = (title, title | set(TOKEN_RE.findall(f"{row[1] or ''} {row[2] or ''}")))
        gone = np.asarray(rowids, np.int64)
        cache = self._cache
        idf: dict[_Phrase, float] = {}
        for key, post in list(self._postings.items()):
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
                            idf[p] = _idf(cache.n_docs, self._phrase_df(conn, p))
                        share = _bm25_estimate(
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
            self._postings_size += len(rows) - post.size
            self._postings[key] = _Posting(rows, scores, post.spec, typo)

    def _phrase_df(self, conn: sqlite3.Connection, p: _Phrase) -> int:
        if not p.prefix:
            return self._df(conn, p.word)
        # Documents with any word of the prefix: the sum over words over-counts a little, which is fine
        # for an IDF.
        row = conn.execute(
            "SELECT sum(df) FROM terms WHERE term >= ? AND term < ?", (p.word, p.word + "\U0010ffff")
        ).fetchone()
        return int(row[0] or 0)

    def _analyse(self, conn: sqlite3.Connection, text: str) -> list[_Term]:
        """Look every query word up in the vocabulary: exact, prefix, or typo corrections."""
        words = query_terms(text)
        partial = ends_with_partial_word(text)
        rare = max(RARE_DF, int(self._cache.n_docs * RARE_SHARE))
        out: list[_Term] = []
        for i, w in enumerate(words):
            t = _Term(w)
            df = t.df = self._df(conn, w)
            t.exact = df > 0
            last = i == len(words) - 1
            # Prefix search for the word being typed, and for any word that is not a whole indexed term.
            if (last and partial and len(w) >= 2) or (not t.exact and len(w) >= 3):
                nxt = conn.execute(
                    "SELECT 1 FROM terms WHERE term > ? AND term < ? AND df > 0 LIMIT 1",
                    (w, w + "\U0010ffff"),
                ).fetchone()
                t.prefix = nxt is not None
            if not t.exact and not t.prefix:
                t.corrections = self._correct(conn, w, partial=last and partial)
            elif t.exact and not t.prefix and max_typos(w) and df <= rare:
                # A rare word may itself be a typo in some document ("voedselbnk"): also look for the
                # more common words it is close to. Exact matches still rank first (tier 0).
                found = self._correct(conn, w, partial=last and partial)
                t.corrections = [c for c in found if self._df(conn, c) > df]
            out.append(t)
        return out

    @staticmethod
    def _df(conn: sqlite3.Connection, term: str) -> int:
        row = conn.execute("SELECT df FROM terms WHERE term = ?", (term,)).fetchone()
        return int(row[0]) if row else 0

    def _correct(self, conn: sqlite3.Connection, word: str, *, partial: bool = False) -> list[str]:
        """Indexed terms within the word's typo budget, closest and most frequent first.

        For a word still being typed (`partial`), a term also counts when one of its prefixes is within
        the budget: "kringlop" finds "kringloopwinkel".
        """
        budget = max_typos(word)
        if budget == 0:
            return []
        key = word + ("*" if partial else "")
        if key in self._corrections:
            return self._corrections[key]
        grams = {word[i : i + 3] for i in range(len(word) - 2)}
        expr = " OR ".join(_fts_phrase(g) for g in sorted(grams))
        # Terms sharing the most (and rarest) trigrams first: bm25 over the trigram index.
        cands = [
            r[0]
            for r in conn.execute(
                "SELECT term FROM terms_tri WHERE terms_tri MATCH ? ORDER BY rank LIMIT ?",
                (expr, TYPO_CANDIDATES),
            )
        ]
        scored: list[tuple[int, int, str]] = []
        for c in cands:
            if c == word:
                continue
            d = edit_distance(word, c, budget) if abs(len(c) - len(word)) <= budget else budget + 1
            if partial and d > budget and len(c) > len(word):
                lengths = range(max(1, len(word) - budget), min(len(c), len(word) + budget) + 1)
                d = min(edit_distance(word, c[:n], budget) for n in lengths)
            if d <= budget:
                df = self._df(conn, c)
                if df:  # a registered term may no longer be in any document
                    scored.append((d, -df, c))
        result = [c for _, _, c in sorted(scored)[:MAX_CORRECTIONS]]
        self._corrections[key] = result
        return result

    def _posting(self, conn: sqlite3.Connection, p: _Phrase) -> _Posting:
        """Rows matching one phrase and its bm25 contribution (exact for small sets, estimated for big)."""
        phrase = p.expr
        hit = self._postings.get(phrase)
        if hit is not None:
            self._postings.move_to_end(phrase)
            return hit
        rows = _ints(conn.execute(_IDS_SQL, (phrase,)).fetchone()[0])
        if len(rows) <= EXACT_BM25_MAX:
            # bm25 is additive over phrases, so one phrase's score is its share of any query's score.
            ids, scores = conn.execute(_BM25_SQL, (phrase,)).fetchone()
            rows, score = _sorted_by_row(_ints(ids), -_floats(scores))
        else:
            score = self._estimate_bm25(conn, phrase, rows)
        spec = ((_Phrase(p.word, p.prefix),),)
        return self._remember(phrase, _Posting(rows, score, spec))

    def _remember(self, key: str, posting: _Posting) -> _Posting:
        """Keep a posting until the next change, within the memory budget (least recently used out)."""
        self._postings[key] = posting
        self._postings_size += posting.size
        while self._postings_size > POSTINGS_BUDGET and len(self._postings) > 1:
            _, old = self._postings.popitem(last=False)
            self._postings_size -= old.size
        return posting

    def _estimate_bm25(self, conn: sqlite3.Connection, phrase: str, rows: np.ndarray) -> np.ndarray:
        """FTS5's bm25 formula with term frequency taken as 1 per field: title or elsewhere.

        Computing bm25() in SQLite costs ~1.5 µs per matching row; for phrases in tens of thousands of
        documents this estimate keeps the query inside its budget and ranks nearly the same.
        """
        cache = self._cache
        title_rows = _ints(conn.execute(_TITLE_IDS_SQL, (phrase,)).fetchone()[0])
        in_title = np.isin(rows, title_rows, assume_unique=True)
        return _bm25_estimate(_idf(cache.n_docs, len(rows)), in_title, cache.length[rows], cache.avg_length)

    def _group(self, conn: sqlite3.Connection, term: _Term) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows matching any phrase of one query word, summed scores, and whether only a correction matched."""
        phrases = term.phrases()
        if term.exact and term.prefix and term.df > EXACT_BM25_MAX:
            # A common whole word that is also a prefix: its own matches are a subset of the prefix
            # matches, so walking its huge doclist again would only add an exactness bonus.
            phrases = [p for p in phrases if p.prefix or p.correction]
        parts = [(self._posting(conn, p), p.correction) for p in phrases]
        parts = [(p, corr) for p, corr in parts if p.size]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.bool_)
        if len(parts) == 1:
            p, corr = parts[0]
            return p.rows, p.scores, np.full(p.size, corr)
        rows = np.concatenate([p.rows for p, _ in parts])
        scores = np.concatenate([p.scores for p, _ in parts])
        exactish = np.concatenate([np.full(p.size, not corr) for p, corr in parts])
        uniq, inverse = np.unique(rows, return_inverse=True)
        summed = np.bincount(inverse, weights=scores, minlength=len(uniq))
        has_exact = np.bincount(inverse, weights=exactish, minlength=len(uniq)) > 0
        return uniq, summed, ~has_exact

    def _text_match(
        self, conn: sqlite3.Connection, terms: list[_Term], allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[_Term]]:
        """Rows matching every usable word, their score and tier (0 exact/prefix, 1 needed a correction).

        Words that match nothing at all are ignored. If the rest finds nothing (within the filters),
        words are dropped from the end (Meilisearch's "last" matching strategy) until something matches.
        """
        usable = [t for t in terms if t.matchable]
        while usable:
            rows, scores, typo = self._match_all(conn, usable)
            keep = allowed[rows] if len(rows) else np.zeros(0, np.bool_)
            if keep.any():
                return rows[keep], scores[keep], typo[keep].astype(np.int8), usable
            usable = usable[:-1]
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int8), []

    def _match_all(
        self, conn: sqlite3.Connection, terms: list[_Term]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows matching all the words, with scores and a "needed a correction" flag."""
        if len(terms) > 1:
            # Let FTS5 intersect first: with one selective word this touches few rows, and a small
            # result gets exact bm25 for the whole expression (the sum of its phrases' shares).
            expr = " AND ".join(_group_expr(t.phrases()) for t in terms)
            hit = self._postings.get(expr)
            if hit is not None and hit.typo is not None:
                self._postings.move_to_end(expr)
                return hit.rows, hit.scores, hit.typo
            rows = _ints(conn.execute(_IDS_SQL, (expr,)).fetchone()[0])
            if len(rows) <= EXACT_BM25_MAX:
                scores = np.zeros(0)
                if len(rows):
                    # bm25() walks every phrase's whole doclist for its IDF: worth remembering.
                    ids, bm25 = conn.execute(_BM25_SQL, (expr,)).fetchone()
                    rows, scores = _sorted_by_row(_ints(ids), -_floats(bm25))
                typo = self._needed_correction(conn, terms, rows)
                spec = tuple(tuple(t.phrases()) for t in terms)
                self._remember(expr, _Posting(rows, scores, spec, typo))
                return rows, scores, typo
        groups = [self._group(conn, t) for t in terms]
        rows, scores, typo = groups[0]
        for g_rows, g_scores, g_typo in groups[1:]:
            rows, ia, ib = _intersect(rows, g_rows)
            scores = scores[ia] + g_scores[ib]
            typo = typo[ia] | g_typo[ib]
        return rows, scores, typo

    def _needed_correction(
        self, conn: sqlite3.Connection, terms: list[_Term], rows: np.ndarray
    ) -> np.ndarray:
        if not any(t.corrections for t in terms):
            return np.zeros(len(rows), np.bool_)
        exact = [[p for p in t.phrases() if not p.correction] for t in terms]
        if not all(exact):  # some word only matches through corrections
            return np.ones(len(rows), np.bool_)
        expr = " AND ".join(_group_expr(p) for p in exact)
        exact_rows = _ints(conn.execute(_IDS_SQL, (expr,)).fetchone()[0])
        return ~np.isin(rows, exact_rows)

    def search(self, query: Query) -> Result:
        """Run a query: text, filters, facet counts, sort and one page of hits."""
        filters = query.clean_filters()
        facets = query.clean_facets()
        near = query.clean_near()
        limit, offset = query.limit, query.offset
        text = query.text if isinstance(query.text, str) else ""
        with self._tx() as conn:
            with self._cache_lock:
                self._sync(conn)
                cache = self._cache
                packed = cache.filter_mask(filters)
                allowed = cache.unpack(packed)
                terms = self._analyse(conn, text) if text.strip() else []
                used: list[_Term] = []
                scores: np.ndarray | None = None
                tier: np.ndarray | None = None
                if terms:
                    rows, scores, tier, used = self._text_match(conn, terms, allowed)
                    selected = cache.pack_rows(rows) if facets else None
                else:
                    rows = np.flatnonzero(allowed).astype(np.int64)
                    selected = packed
                counts = cache.counts(selected, facets) if selected is not None else {}
                dist = haversine_km(near[0], near[1], cache.lat[rows], cache.lon[rows]) if near else None
                order = _order(query.sort, rows, scores, tier, cache.deadline[rows], dist, offset + limit)
                page = order[offset : offset + limit]
                page_rows = rows[page].tolist()
                page_scores = scores[page].tolist() if scores is not None else [0.0] * len(page_rows)
                page_dist = dist[page].tolist() if dist is not None else [None] * len(page_rows)
            docs = self._fetch(conn, page_rows)
        matcher = TermMatcher(
            exact=[t.word for t in used if t.exact] + [c for t in used for c in t.corrections],
            prefixes=[t.word for t in used if t.prefix],
        )
        hits = []
        for rowid, score, km in zip(page_rows, page_scores, page_dist, strict=True):
            doc = docs.get(rowid)
            if doc is None:  # deleted between the match and the fetch
                continue
            hits.append(
                Hit(
                    id=doc.id,
                    type=doc.type,
                    score=round(float(score), 6),
                    document=doc,
                    highlights={"title": highlight(doc.title, matcher), "text": snippet(doc.text, matcher)},
                    distance_km=None if km is None or math.isnan(km) else round(float(km), 3),
                )
            )
        return Result(
            hits=hits,
            total=len(rows),
            page=query.page_number,
            per_page=limit,
            facets=counts,
            backend=self.name,
        )

    @staticmethod
    def _fetch(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, Document]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        return {
            r[0]: Document.from_dict(json.loads(r[1]))
            for r in conn.execute(f"SELECT rowid, doc FROM docs_json WHERE rowid IN ({marks})", rowids)
        }


def _order(
    sort: str,
    rows: np.ndarray,
    scores: np.ndarray | None,
    tier: np.ndarray | None,
    deadline: np.ndarray,
    dist: np.ndarray | None,
    need: int,
) -> np.ndarray:
    """Indices into rows in result order; only the first `need` are guaranteed to be sorted.

    Relevance is (tier, score); without query text it is index order. Deadline and distance sort
    first on their key (missing values last) and break ties by relevance.
    """
    n = len(rows)
    if not n:
        return np.zeros(0, np.int64)
    relevance: list[np.ndarray] = []  # least significant first, as np.lexsort wants
    rel_key: np.ndarray | None = None
    if scores is not None and tier is not None:
        relevance = [-scores, tier]
        rel_key = tier.astype(np.float64) * 1e9 - scores
    if sort == "deadline":
        primary = deadline
    elif sort == "distance" and dist is not None:
        primary = np.where(np.isnan(dist), np.inf, dist)
    elif rel_key is not None:
        primary, relevance = rel_key, []
    else:
        return np.arange(n)  # rows come in rowid order already
    keys = [rows, *relevance, primary]
    if need < n // 4:
        # Pre-select the rows that can reach the page, then sort only those exactly.
        cut = np.partition(primary, need - 1)[need - 1]
        cand = np.flatnonzero(primary <= cut)
        return cand[np.lexsort([k[cand] for k in keys])]
    return np.lexsort(keys)
