"""Embedded search on SQLite FTS5: bm25 ranking, prefix and typo tolerance, facet counts, geo sort.

The index lives in a file of its own (see schema.py for its tables). Every process keeps facet bitsets
and sort keys in memory (facets.py) and brings them up to date from the change log before each search;
text analysis and the caches of phrase postings are in analysis.py.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..base import FACETS, Document, Hit, Query, Result, SearchError, SearchUnavailable
from ..text import TOKEN_RE, TermMatcher, highlight, snippet
from ..vocab import Term
from .analysis import TextIndex
from .facets import FacetCache, haversine_km, result_order
from .schema import CACHE_COLS, DOC_COLS, DROP, MARKS12, SCHEMA, SCHEMA_VERSION, doc_rows, statements

CHANGES_KEEP = 50_000  # change-log rows kept; caches further behind reload fully
CHANGES_SLACK = 1000  # prune only once the log is this much longer than CHANGES_KEEP
PATCH_MAX = 200  # more documents changed at once than this: drop cached postings instead of patching
SNAPSHOT_EVERY = 1000  # changes after which a writer renews the facet-cache snapshot in the file


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
        self._cache = FacetCache()
        self._text = TextIndex(self._cache)
        self._shared: sqlite3.Connection | None = None
        # Per index version (epoch, change seq): typo corrections and phrase postings already looked up.
        self._memo_key: tuple[str | None, int] = (None, -1)
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
                conn.executescript(DROP + "DROP TABLE IF EXISTS meta;")
        conn.executescript(SCHEMA)
        self._ready = True

    def setup(self) -> None:
        """Create the tables if they are missing; safe to call again."""
        with self._tx(write=True):
            pass

    def count(self) -> int:
        with self._tx() as conn:
            return int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def available(self) -> bool:
        """Always True: an embedded index has no breaker (errors surface on the call itself)."""
        return True

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
                row, fts_row = doc_rows(doc)
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
                        f"INSERT INTO docs(id, {DOC_COLS}) VALUES ({MARKS12})", row[:-1]
                    ).lastrowid
                conn.execute("INSERT OR REPLACE INTO docs_json(rowid, doc) VALUES (?, ?)", (rowid, row[-1]))
                conn.execute(
                    "INSERT INTO docs_fts(rowid, title, body, place) VALUES (?,?,?,?)", (rowid, *fts_row)
                )
                conn.execute("INSERT INTO docs_title(rowid, title) VALUES (?,?)", (rowid, fts_row[0]))
                conn.execute("INSERT INTO changes(doc_rowid) VALUES (?)", (rowid,))
            self._count_words(conn, delta)
            self._prune_changes(conn)
            self._refresh_snapshot(conn)

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
            self._refresh_snapshot(conn)

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
            for stmt in statements(DROP + SCHEMA):
                conn.execute(stmt)
            # No incremental merging while loading: 'optimize' merges everything once at the end.
            self._fts_merging(conn, automerge=0, crisismerge=64)
            seen: set[str] = set()
            batch: list[Document] = []
            # Rowids per facet value, collected on the way: the facet-cache snapshot is built from them.
            by_value: dict[str, dict[str, list[int]]] = {f: {} for f in FACETS}

            def flush() -> None:
                nonlocal n
                rows = [doc_rows(d) for d in batch]
                for rowid, d in enumerate(batch, start=n + 1):
                    for facet, found in by_value.items():
                        for v in d.facet_values(facet):
                            found.setdefault(v, []).append(rowid)
                conn.executemany(
                    f"INSERT INTO docs(rowid, id, {DOC_COLS}) VALUES (?, {MARKS12})",
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
            epoch = uuid.uuid4().hex
            conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (epoch,))
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'pruned_upto'")
            snapshot = FacetCache()
            snapshot.build(conn, by_value, epoch, 0)
            self._write_snapshot(conn, snapshot)
            # One b-tree segment per index makes every later query cheaper.
            conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO docs_title(docs_title) VALUES ('optimize')")
            self._fts_merging(conn, automerge=4, crisismerge=16)  # FTS5's defaults, for upserts
        if not self._memory:
            # The rebuild went through the write-ahead log: fold it into the file and give the space back.
            with self._conn() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return n

    # -- protocol: searching ------------------------------------------------------------------------
    @staticmethod
    def _fts_merging(conn: sqlite3.Connection, *, automerge: int, crisismerge: int) -> None:
        for table in ("docs_fts", "docs_title"):
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', ?)", (automerge,))
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', ?)", (crisismerge,))

    def _catch_up(self, conn: sqlite3.Connection, cache: FacetCache) -> tuple[bool, list[int]]:
        """Bring a facet cache up to this transaction's view of the index.

        From the snapshot in the file when the cache is of another epoch or behind the pruned change
        log (a full load only when the snapshot is missing or too old), then from the change log.
        Returns whether it was (re)loaded and the rowids replayed.
        """
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        epoch, pruned = meta.get("epoch", ""), int(meta.get("pruned_upto", "0"))
        reloaded = False
        if cache.epoch != epoch or cache.seq < pruned:
            reloaded = True
            snap_seq = int(meta.get("snapshot_seq", "-1"))
            if meta.get("snapshot_epoch") == epoch and snap_seq >= pruned:
                cache.restore(dict(conn.execute("SELECT name, data FROM cache_snapshot")), epoch, snap_seq)
            else:
                seq = conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
                cache.load(conn, epoch, seq)
                return reloaded, []
        changed = conn.execute(
            "SELECT seq, doc_rowid FROM changes WHERE seq > ? ORDER BY seq", (cache.seq,)
        ).fetchall()
        touched: list[int] = []
        if changed:
            touched = sorted({r[1] for r in changed})
            for i in range(0, len(touched), 500):
                part = touched[i : i + 500]
                marks = ",".join("?" * len(part))
                sql = f"SELECT rowid, {CACHE_COLS} FROM docs WHERE rowid IN ({marks})"
                live = {r[0]: r for r in conn.execute(sql, part)}
                for rowid in part:
                    if rowid in live:
                        cache.set(live[rowid])
                    else:
                        cache.clear(rowid)
            cache.seq = changed[-1][0]
        return reloaded, touched

    @staticmethod
    def _write_snapshot(conn: sqlite3.Connection, cache: FacetCache) -> None:
        """Store the facet cache in the file, so a new process restores it instead of rebuilding it."""
        conn.execute("DELETE FROM cache_snapshot")
        conn.executemany("INSERT INTO cache_snapshot(name, data) VALUES (?, ?)", cache.dump())
        conn.execute("UPDATE meta SET value = ? WHERE key = 'snapshot_epoch'", (cache.epoch or "",))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'snapshot_seq'", (str(cache.seq),))

    def _refresh_snapshot(self, conn: sqlite3.Connection) -> None:
        """After a write: renew the snapshot once the change log has run SNAPSHOT_EVERY past it.

        Built on a cache of its own: this process's cache must not see a transaction that may yet
        roll back.
        """
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'snapshot_%'"))
        head = conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
        if head - int(meta.get("snapshot_seq", "-1")) < SNAPSHOT_EVERY:
            return
        fresh = FacetCache()
        self._catch_up(conn, fresh)
        self._write_snapshot(conn, fresh)

    def _sync(self, conn: sqlite3.Connection) -> None:
        """Bring the in-memory caches up to the database snapshot of this transaction."""
        cache = self._cache
        reloaded, touched = self._catch_up(conn, cache)
        key = (cache.epoch, cache.seq)
        if key == self._memo_key:
            return
        # Corrections are cheap to redo and may now have new candidates; postings are patched when only
        # a few documents changed since they were cached, so a steady trickle of writes keeps them warm.
        self._text.forget_corrections()
        if not reloaded and touched and self._memo_key[0] == cache.epoch and len(touched) <= PATCH_MAX:
            self._patch_postings(conn, touched)
        else:
            self._text.forget_postings()
        self._memo_key = key

    def _patch_postings(self, conn: sqlite3.Connection, rowids: list[int]) -> None:
        """Bring every cached posting up to date for the documents in `rowids` (changed or deleted)."""
        self._text.patch_postings(conn, rowids)

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
                terms = self._text.analyse(conn, text) if text.strip() else []
                used: list[Term] = []
                scores: np.ndarray | None = None
                tier: np.ndarray | None = None
                if terms:
                    rows, scores, tier, used = self._text.match(conn, terms, allowed)
                    selected = cache.pack_rows(rows) if facets else None
                else:
                    rows = np.flatnonzero(allowed).astype(np.int64)
                    selected = packed
                counts = cache.counts(selected, facets) if selected is not None else {}
                dist = haversine_km(near[0], near[1], cache.lat[rows], cache.lon[rows]) if near else None
                order = result_order(
                    query.sort, rows, scores, tier, cache.deadline[rows], dist, offset + limit
                )
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
