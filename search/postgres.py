"""PostgreSQL search backend: tsvector ('dutch' configuration), unaccent and pg_trgm; no search server.

For a deployment that already runs PostgreSQL and wants no Meilisearch. It talks to the server with
psycopg 3 directly (COPY for fast rebuilds, one round trip per search; no ORM in a pure library) and
keeps its tables in a schema of its own (default ``srx_search``), created by ``setup()``; they are not
part of the application's migrations:

- ``meta``   schema version.
- ``docs``   one row per document: the texts, ``fv`` (facet keys "facet:value", GIN-indexed for filters
  and counted with unnest for facet counts), sort keys, the document as jsonb, and ``tsv``, a generated
  tsvector: title weight A, place B, body D, each ``to_tsvector('dutch', unaccent_i(...))``.
- ``terms``  every indexed (folded, unstemmed) word with its document frequency, with a pg_trgm index:
  "is this word indexed", "does a longer word start with it" and "which words are a typo away"
  (search/vocab.py decides, as for FTS5).

``unaccent()`` is only STABLE (it reads a dictionary), so a generated column cannot call it; the usual
pattern wraps it in an IMMUTABLE SQL function, ``unaccent_i``, that names the dictionary explicitly.

Matching follows FTS5: every query word that occurs in the index is required (as typed, as a prefix
or through a correction), words are dropped from the end while nothing matches, documents that needed a
correction rank after exact ones. Ranking is ts_rank with weights title 8 : place 3 : body 1 (no IDF).
``reindex`` builds new tables beside the live ones and swaps them in one transaction.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from .base import FACETS, Document, Hit, Query, Result, SearchError, SearchUnavailable
from .text import TermMatcher, highlight, snippet, tokens
from .vocab import Term, analyse

SCHEMA_VERSION = "1"
CONFIG = "dutch"
RANK_WEIGHTS = "{0.125, 0.2, 0.375, 1.0}"  # D (body), C (unused), B (place), A (title): 1 : 3 : 8
EARTH_RADIUS_KM = 6371.0088
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
_COLS = "rowid, id, title, body, place, fv, deadline, lat, lon, doc"


def facet_keys(doc: Document) -> list[str]:
    """The document's facet values as "facet:value" keys (facet names hold no colon)."""
    return [f"{f}:{v}" for f in FACETS for v in doc.facet_values(f)]


def doc_words(title: str, body: str, place: str) -> set[str]:
    """The folded words a document is found by (the vocabulary counts documents per word)."""
    return set(tokens(title)) | set(tokens(body)) | set(tokens(place))


def _place(doc: Document) -> str:
    return f"{doc.municipality} {doc.region}".strip()


def _tsquery_word(word: str, prefix: bool) -> str:
    # Query words are runs of letters and digits (search.text.TOKEN_RE): nothing tsquery would parse.
    return word + (":*" if prefix else "")


def tsquery(terms: Sequence[Term], *, exact_only: bool = False) -> str | None:
    """to_tsquery text: AND over the words, OR over each word's phrases. None if a word has none left."""
    groups = []
    for t in terms:
        parts = [_tsquery_word(p.word, p.prefix) for p in t.phrases() if not (exact_only and p.correction)]
        if not parts:
            return None
        groups.append("(" + " | ".join(parts) + ")")
    return " & ".join(groups) if groups else None


def _redact(text: str, url: str) -> str:
    """Text without the password of the connection URL."""
    m = re.search(r"//[^/@:]*:([^/@]*)@", url)
    if m and m.group(1):
        text = text.replace(m.group(1), "[redacted]")
    return re.sub(r"(?<=//)[^/@]*@", "", text)


class PgVocabulary:
    """The terms table as a search.vocab.Vocabulary; document frequencies remembered per query."""

    def __init__(self, conn: psycopg.Connection[Any], schema: str, trgm: str) -> None:
        self.conn, self.schema, self.trgm = conn, schema, trgm
        self._df: dict[str, int] = {}

    def prefetch(self, words: Sequence[str]) -> None:
        rows = self.conn.execute(
            f'SELECT term, df FROM "{self.schema}".terms WHERE term = ANY(%s)', (list(words),)
        ).fetchall()
        self._df.update({w: 0 for w in words})
        self._df.update({str(t): int(df) for t, df in rows})

    def df(self, term: str) -> int:
        if term not in self._df:
            self.prefetch([term])
        return self._df[term]

    def has_longer(self, prefix: str) -> bool:
        row = self.conn.execute(
            f'SELECT 1 FROM "{self.schema}".terms WHERE term > %s AND term < %s AND df > 0 LIMIT 1',
            (prefix, prefix + "\U0010ffff"),
        ).fetchone()
        return row is not None

    def neighbours(self, word: str, limit: int) -> list[str]:
        t = f'"{self.trgm}"'
        rows = self.conn.execute(
            f'SELECT term, df FROM "{self.schema}".terms'
            f" WHERE term OPERATOR({t}.%%) %(w)s OR %(w)s OPERATOR({t}.<%%) term"
            f" ORDER BY greatest({t}.similarity(term, %(w)s), {t}.word_similarity(%(w)s, term)) DESC,"
            " df DESC LIMIT %(n)s",
            {"w": word, "n": limit},
        ).fetchall()
        self._df.update({str(term): int(df) for term, df in rows})
        return [str(term) for term, _ in rows]


class PostgresBackend:
    """SearchBackend on PostgreSQL full-text search, in its own schema of a database."""

    name = "postgres"

    def __init__(self, url: str, *, schema: str = "srx_search", timeout_s: float = 5.0) -> None:
        if not _NAME.match(schema):
            raise SearchError(f"invalid schema name {schema!r}: lower-case letters, digits and _ only")
        # An SQLAlchemy URL ("postgresql+psycopg://...") works too: libpq wants the plain scheme.
        self.url = re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)
        self.schema = schema
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._ext: dict[str, str] = {}  # extension -> schema it lives in
        self._ready = False

    # -- connections ----------------------------------------------------------------------------------
    def _open(self) -> psycopg.Connection[Any]:
        ms = int(self.timeout_s * 1000)
        try:
            return psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, round(self.timeout_s)),
                # work_mem: the matches of a broad query are materialised once; keep them off disk.
                options=f"-c statement_timeout={ms} -c lock_timeout={ms} -c work_mem=32MB",
                application_name="srx-search",
            )
        except psycopg.Error as exc:
            raise SearchUnavailable(self._clean(f"cannot connect to the search database: {exc}")) from None

    def _clean(self, text: str) -> str:
        return _redact(text, self.url)

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        """This thread's connection (a new one after a fork or a broken one); errors become SearchErrors."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or getattr(self._local, "pid", None) != os.getpid():
            conn = self._local.conn = self._open()
            self._local.pid = os.getpid()
        try:
            if not self._ready:
                self._setup(conn)
            yield conn
        except psycopg.OperationalError as exc:  # connection lost, timeouts, lock timeouts
            if conn.broken or conn.closed:
                self._local.conn = None
            raise SearchUnavailable(self._clean(f"search database unavailable: {exc}")) from None
        except psycopg.Error as exc:
            raise SearchError(self._clean(f"search database error: {exc}")) from None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- protocol: lifecycle --------------------------------------------------------------------------
    def _table_sql(self, docs: str, terms: str, tag: str, *, indexes: bool = True) -> list[str]:
        s = f'"{self.schema}"'
        return [
            f"""CREATE TABLE IF NOT EXISTS {s}.{docs}(
                rowid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                id text NOT NULL,
                title text NOT NULL, body text NOT NULL, place text NOT NULL,
                fv text[] NOT NULL,
                deadline date, lat double precision, lon double precision,
                doc jsonb NOT NULL,
                tsv tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('{CONFIG}', {s}.unaccent_i(title)), 'A')
                    || setweight(to_tsvector('{CONFIG}', {s}.unaccent_i(place)), 'B')
                    || setweight(to_tsvector('{CONFIG}', {s}.unaccent_i(body)), 'D')) STORED)""",
            f"""CREATE TABLE IF NOT EXISTS {s}.{terms}(
                term text COLLATE "C" PRIMARY KEY, df integer NOT NULL DEFAULT 0)""",
        ] + (self._index_sql(docs, terms, tag) if indexes else [])

    def _index_sql(self, docs: str, terms: str, tag: str) -> list[str]:
        s, t = f'"{self.schema}"', f'"{self._ext["pg_trgm"]}"'
        return [
            f"CREATE UNIQUE INDEX IF NOT EXISTS docs_id_{tag} ON {s}.{docs}(id)",
            f"CREATE INDEX IF NOT EXISTS docs_tsv_{tag} ON {s}.{docs} USING gin(tsv)",
            f"CREATE INDEX IF NOT EXISTS docs_fv_{tag} ON {s}.{docs} USING gin(fv)",
            f"CREATE INDEX IF NOT EXISTS terms_trgm_{tag} ON {s}.{terms} USING gin(term {t}.gin_trgm_ops)",
        ]

    def _installed(self, conn: psycopg.Connection[Any]) -> bool:
        """Whether everything is in place already (read-only: no lock a running reindex would block)."""
        rows = conn.execute(
            "SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname IN ('unaccent', 'pg_trgm')"
        ).fetchall()
        self._ext = {str(name): str(nsp) for name, nsp in rows}
        s = f'"{self.schema}"'
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL"
            " AND to_regprocedure(%s) IS NOT NULL",
            (f"{s}.meta", f"{s}.docs", f"{s}.terms", f"{s}.unaccent_i(text)"),
        ).fetchone()
        if len(self._ext) < 2 or not row or not row[0]:
            return False
        found = conn.execute(f"SELECT value FROM {s}.meta WHERE key = 'schema'").fetchone()
        return found is not None and found[0] == SCHEMA_VERSION

    def _setup(self, conn: psycopg.Connection[Any]) -> None:
        s = f'"{self.schema}"'
        if self._installed(conn):
            self._ready = True
            return
        with conn.transaction():
            # Serialise concurrent set-ups (several workers starting at once).
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"srx-search-setup:{self.schema}",))
            for ext in ("unaccent", "pg_trgm"):
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
                row = conn.execute(
                    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                    " WHERE e.extname = %s",
                    (ext,),
                ).fetchone()
                assert row is not None
                self._ext[ext] = str(row[0])
            u = f'"{self._ext["unaccent"]}"'
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {s}.meta(key text PRIMARY KEY, value text NOT NULL)")
            found = conn.execute(f"SELECT value FROM {s}.meta WHERE key = 'schema'").fetchone()
            if found is None or found[0] != SCHEMA_VERSION:
                # The index is derived data: an old layout is dropped and must be reindexed.
                conn.execute(f"DROP TABLE IF EXISTS {s}.docs, {s}.terms")
                conn.execute(
                    f"INSERT INTO {s}.meta(key, value) VALUES ('schema', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (SCHEMA_VERSION,),
                )
            conn.execute(
                f"CREATE OR REPLACE FUNCTION {s}.unaccent_i(text) RETURNS text"
                f" LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
                f" AS $$ SELECT {u}.unaccent('{u}.unaccent'::regdictionary, $1) $$"
            )
            for stmt in self._table_sql("docs", "terms", "live"):
                conn.execute(stmt)
        self._ready = True

    def setup(self) -> None:
        """Create the extensions, the schema and the tables if they are missing; safe to call again."""
        self._ready = False
        with self._conn():
            pass

    def available(self) -> bool:
        """Always True: no breaker; connection problems surface on the call as SearchUnavailable."""
        return True

    def count(self) -> int:
        with self._conn() as conn:
            row = conn.execute(f'SELECT count(*) FROM "{self.schema}".docs').fetchone()
            return int(row[0]) if row else 0

    def health(self) -> dict[str, Any]:
        try:
            n = self.count()
            with self._conn() as conn:
                version = conn.info.server_version
        except SearchError as exc:
            return {"status": "down", "backend": self.name, "documents": 0, "detail": str(exc)}
        major, minor = divmod(version, 10000)
        return {
            "status": "ok",
            "backend": self.name,
            "documents": n,
            "detail": f"PostgreSQL {major}.{minor} full-text search, schema {self.schema}",
        }

    # -- protocol: writing ----------------------------------------------------------------------------
    def _count_words(self, conn: psycopg.Connection[Any], delta: Counter[str], terms: str = "terms") -> None:
        changes = sorted((w, d) for w, d in delta.items() if d)  # one order for every writer: no deadlock
        if changes:
            with conn.cursor() as cur:
                cur.executemany(
                    f'INSERT INTO "{self.schema}".{terms} AS t(term, df) VALUES (%s, greatest(%s, 0))'
                    " ON CONFLICT (term) DO UPDATE SET df = greatest(0, t.df + %s)",
                    [(w, d, d) for w, d in changes],
                )

    def upsert(self, docs: Sequence[Document]) -> None:
        """Insert or replace documents by id; visible to the next search."""
        docs = list(docs)
        if not docs:
            return
        s = f'"{self.schema}"'
        with self._conn() as conn, conn.transaction():
            ids = sorted({d.id for d in docs})
            old = conn.execute(
                f"SELECT id, title, body, place FROM {s}.docs WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (ids,),
            ).fetchall()
            current = {str(r[0]): doc_words(r[1], r[2], r[3]) for r in old}
            delta: Counter[str] = Counter()
            rows = []
            for doc in docs:
                new = doc_words(doc.title, doc.text, _place(doc))
                was = current.get(doc.id, set())
                delta.update(new - was)
                delta.subtract(was - new)
                current[doc.id] = new
                rows.append(self._row(doc)[1:])
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {s}.docs(id, title, body, place, fv, deadline, lat, lon, doc)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE SET"
                    " title = excluded.title, body = excluded.body, place = excluded.place, fv = excluded.fv,"
                    " deadline = excluded.deadline, lat = excluded.lat, lon = excluded.lon, doc = excluded.doc",
                    rows,
                )
            self._count_words(conn, delta)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        ids = sorted(set(ids))
        if not ids:
            return
        with self._conn() as conn, conn.transaction():
            gone = conn.execute(
                f'DELETE FROM "{self.schema}".docs WHERE id = ANY(%s) RETURNING title, body, place', (ids,)
            ).fetchall()
            delta: Counter[str] = Counter()
            for title, body, place in gone:
                delta.subtract(doc_words(title, body, place))
            self._count_words(conn, delta)

    @staticmethod
    def _row(doc: Document, rowid: int | None = None) -> tuple[Any, ...]:
        geo = doc.lat is not None and doc.lon is not None
        return (
            rowid,
            doc.id,
            doc.title or "",
            doc.text or "",
            _place(doc),
            facet_keys(doc),
            doc.deadline or None,
            float(doc.lat) if geo and doc.lat is not None else None,
            float(doc.lon) if geo and doc.lon is not None else None,
            json.dumps(doc.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str),
        )

    def reindex(
        self,
        docs: Iterable[Document],
        *,
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
        batch_size: int = 2000,
    ) -> int:
        """Build new tables beside the live ones and swap them in, all in one transaction.

        Searches read the old tables until the commit; writes wait for the rebuild (and time out as
        SearchUnavailable after timeout_s, so the caller retries them). `total` is only a hint.
        """
        s = f'"{self.schema}"'
        tag = uuid.uuid4().hex[:10]
        docs_new, terms_new = f"docs_{tag}", f"terms_{tag}"
        n = 0
        with self._conn() as conn, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("SET LOCAL lock_timeout = 0")
            conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Writers wait from here until the swap; readers go on reading the live tables.
            conn.execute(f"LOCK TABLE {s}.docs, {s}.terms IN EXCLUSIVE MODE")
            for stmt in self._table_sql(docs_new, terms_new, tag, indexes=False):
                conn.execute(stmt)
            df: Counter[str] = Counter()
            seen: set[str] = set()
            with conn.cursor() as cur, cur.copy(f"COPY {s}.{docs_new}({_COLS}) FROM STDIN") as copy:
                for doc in docs:
                    if doc.id in seen:
                        raise SearchError(f"duplicate document id in reindex: {doc.id}")
                    seen.add(doc.id)
                    n += 1
                    row = self._row(doc, n)
                    df.update(doc_words(row[2], row[3], row[4]))
                    copy.write_row(row)
                    if progress is not None and n % batch_size == 0:
                        progress(n)
            with conn.cursor() as cur, cur.copy(f"COPY {s}.{terms_new}(term, df) FROM STDIN") as copy:
                for item in df.items():
                    copy.write_row(item)
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{s}.{docs_new}', 'rowid'), greatest(%s, 1))", (n,)
            )
            for stmt in self._index_sql(docs_new, terms_new, tag):
                conn.execute(stmt)
            conn.execute(f"ANALYZE {s}.{docs_new}")
            conn.execute(f"ANALYZE {s}.{terms_new}")
            conn.execute(f"DROP TABLE {s}.docs, {s}.terms")
            conn.execute(f"ALTER TABLE {s}.{docs_new} RENAME TO docs")
            conn.execute(f"ALTER TABLE {s}.{terms_new} RENAME TO terms")
            for index in ("docs_id", "docs_tsv", "docs_fv", "terms_trgm"):
                conn.execute(f"ALTER INDEX {s}.{index}_{tag} RENAME TO {index}_live")
        if progress is not None and n % batch_size:
            progress(n)
        return n

    # -- protocol: searching --------------------------------------------------------------------------
    def _run(
        self, conn: psycopg.Connection[Any], query: Query, terms: list[Term]
    ) -> tuple[int, list[Any], dict[str, Any]]:
        """One round trip: total, the page (score, tier, km, doc) and the facet key counts."""
        s = f'"{self.schema}"'
        params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
        where = []
        for i, (facet, values) in enumerate(query.clean_filters().items()):
            params[f"f{i}"] = [f"{facet}:{v}".replace("\x00", "") for v in values]
            where.append(f"d.fv && %(f{i})s::text[]")
        score, tier = "0.0::real", "0"
        if terms:
            params["all"] = tsquery(terms)
            where.append("d.tsv @@ q.a")
            score = f"ts_rank('{RANK_WEIGHTS}', d.tsv, q.a)"
            if any(t.corrections for t in terms):
                exact = tsquery(terms, exact_only=True)
                params["exact"] = exact
                tier = "CASE WHEN d.tsv @@ q.e THEN 0 ELSE 1 END" if exact else "1"
        near = query.clean_near()
        dist = "NULL::double precision"
        if near is not None:
            params["lat"], params["lon"] = near
            dist = (
                f"{2 * EARTH_RADIUS_KM} * asin(sqrt(least(1.0, sin(radians(d.lat - %(lat)s) / 2) ^ 2"
                " + cos(radians(%(lat)s)) * cos(radians(d.lat)) * sin(radians(d.lon - %(lon)s) / 2) ^ 2)))"
            )
        relevance = "m.tier, m.score DESC, " if terms else ""
        if query.sort == "deadline":
            order = f"m.deadline ASC NULLS LAST, {relevance}m.rowid"
        elif query.sort == "distance" and near is not None:
            order = f"m.km ASC NULLS LAST, {relevance}m.rowid"
        else:
            order = f"{relevance}m.rowid"
        q_cte = (
            "WITH q AS (SELECT to_tsquery(%(cfg)s, %(all)s) AS a"
            + (", to_tsquery(%(cfg)s, %(exact)s) AS e" if "exact" in params else "")
            + "), "
            if terms
            else "WITH "
        )
        params["cfg"] = CONFIG
        counts = (
            "(SELECT json_object_agg(k, n) FROM"
            " (SELECT k, count(*) AS n FROM (SELECT unnest(m.fv) AS k FROM m) u GROUP BY k) c)"
            if query.clean_facets()
            else "NULL::json"
        )
        sql = (
            q_cte + f"m AS MATERIALIZED (SELECT d.rowid, d.fv, d.deadline, {score} AS score, {tier} AS tier,"
            f" {dist} AS km FROM {s}.docs d{', q' if terms else ''}"
            + (" WHERE " + " AND ".join(where) if where else "")
            + f"), p AS (SELECT m.* FROM m ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s)"
            " SELECT (SELECT count(*) FROM m),"
            " (SELECT json_agg(json_build_array(p.score, p.tier, p.km, d.doc)"
            f" ORDER BY {order.replace('m.', 'p.')})"
            f" FROM p JOIN {s}.docs d ON d.rowid = p.rowid), {counts}"
        )
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return int(row[0]), list(row[1] or []), dict(row[2] or {})

    def search(self, query: Query) -> Result:
        """Run a query: text, filters, facet counts, sort and one page of hits."""
        text = query.text if isinstance(query.text, str) else ""
        with self._conn() as conn:
            used: list[Term] = []
            if text.strip():
                vocab = PgVocabulary(conn, self.schema, self._ext["pg_trgm"])
                words = analyse(text, vocab, self._estimated_docs(conn), {})
                used = [t for t in words if t.matchable]
                total, page, keys = 0, list[Any](), dict[str, Any]()
                while used:  # drop words from the end while nothing matches (Meilisearch's "last")
                    total, page, keys = self._run(conn, query, used)
                    if total:
                        break
                    used = used[:-1]
            else:
                total, page, keys = self._run(conn, query, [])
        matcher = TermMatcher(
            exact=[t.word for t in used if t.exact] + [c for t in used for c in t.corrections],
            prefixes=[t.word for t in used if t.prefix],
        )
        hits = []
        for score, _tier, km, data in page:
            doc = Document.from_dict(data)
            hits.append(
                Hit(
                    id=doc.id,
                    type=doc.type,
                    score=round(float(score), 6),
                    document=doc,
                    highlights={"title": highlight(doc.title, matcher), "text": snippet(doc.text, matcher)},
                    distance_km=None if km is None else round(float(km), 3),
                )
            )
        facets: dict[str, dict[str, int]] = {f: {} for f in query.clean_facets()}
        for key, n in keys.items():
            facet, _, value = str(key).partition(":")
            if facet in facets:
                facets[facet][value] = int(n)
        facets = {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for f, c in facets.items()}
        return Result(
            hits=hits,
            total=total,
            page=query.page_number,
            per_page=query.limit,
            facets=facets,
            backend=self.name,
        )

    def _estimated_docs(self, conn: psycopg.Connection[Any]) -> int:
        """The planner's row estimate: enough for the "rare word" threshold, and free."""
        row = conn.execute(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
            (f'"{self.schema}".docs',),
        ).fetchone()
        return int(row[0]) if row else 0
