"""Meilisearch backend through the official client (meilisearch-python), behind a circuit breaker.

Every call that reaches the server goes through `_call`, which turns client errors into SearchError
(the server refused: 4xx, failed task, malformed answer) or SearchUnavailable (cannot reach it,
timeouts, 5xx), so callers can fall back to the embedded backend.

Calls have short connect and read timeouts, and a breaker guards them: after `breaker_failures`
consecutive SearchUnavailable failures it opens and every call fails at once with SearchUnavailable,
without touching the server. After `breaker_cooldown_s` it lets one call through (half-open): success
closes it, failure opens it again for another cool-down. `available()` is False while it is open, so the
app can skip work that would only fail. No message, exception or health detail carries the API key.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import meilisearch
import requests
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from .base import FACETS, Document, Hit, Query, Result, SearchError, SearchUnavailable
from .text import escape_marked

T = TypeVar("T")

# Private-use characters as highlight tags: they never occur in real text, and survive HTML escaping,
# so the text can be escaped first and the tags turned into <mark> afterwards.
PRE_TAG, POST_TAG = "\ue000", "\ue001"
CROP_WORDS = 30
EARTH_RADIUS_KM = 6371.0088
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


class CircuitBreaker:
    """Counts consecutive failures; open after `failures` of them, half-open after `cooldown_s`.

    Thread-safe. While half-open exactly one call (the trial) may run; the others fail fast until it
    reports success or failure.
    """

    def __init__(
        self, failures: int = 3, cooldown_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = max(1, int(failures))
        self.cooldown_s = max(0.0, float(cooldown_s))
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is running
        self.last_error = ""

    @property
    def state(self) -> str:
        """The state: closed, open (failing fast) or half-open (cool-down over: one call may try)."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._trial or self._clock() - self._opened_at < self.cooldown_s:
            return "open"
        return "half-open"

    def retry_in_s(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown_s - (self._clock() - self._opened_at))

    def available(self) -> bool:
        """Whether a call would be let through now."""
        with self._lock:
            return self._state() != "open"

    def allow(self) -> bool:
        """Ask to make a call: True lets it through (as the trial when half-open)."""
        with self._lock:
            state = self._state()
            if state == "half-open":
                self._trial = True
                return True
            return state == "closed"

    def success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial = False

    def failure(self, error: str = "") -> None:
        with self._lock:
            self._consecutive += 1
            self.last_error = error
            if self._trial or self._consecutive >= self.failures:
                self._opened_at = self._clock()
            self._trial = False

    def release(self) -> None:
        """The call ended without telling anything about the server's health (a refused request)."""
        with self._lock:
            self._consecutive = 0
            if self._trial:  # the server answered: that is enough to close
                self._opened_at = None
            self._trial = False

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            state = self._state()
            return {"state": state, "consecutive_failures": self._consecutive, "last_error": self.last_error}


def redact_url(url: str) -> str:
    """The URL without any user:password part."""
    return re.sub(r"(?<=//)[^/@]*@", "", url)


def meili_id(doc_id: str) -> str:
    """A Meilisearch-safe primary key: "initiative:12" -> "initiative-12"."""
    return _UNSAFE_ID.sub("-", doc_id)[:511]


def quote_value(value: str) -> str:
    """A filter value as a double-quoted string, escaping backslashes and quotes."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def filter_expression(filters: Mapping[str, Sequence[str]]) -> str | None:
    """`themes IN ["a", "b"] AND municipality = "Den Haag"`: OR within a facet, AND across."""
    parts = []
    for facet, values in filters.items():
        if facet not in FACETS:
            continue
        vals = [values] if isinstance(values, str) else list(values)
        if not vals:
            continue
        if len(vals) == 1:
            parts.append(f"{facet} = {quote_value(vals[0])}")
        else:
            parts.append(f"{facet} IN [{', '.join(quote_value(v) for v in vals)}]")
    return " AND ".join(parts) or None


def index_settings(max_values_per_facet: int = 500, max_total_hits: int = 100_000) -> dict[str, Any]:
    """The settings every SRX index gets."""
    return {
        "searchableAttributes": ["title", "text", "municipality", "region"],
        "filterableAttributes": [*FACETS, "_geo"],
        "sortableAttributes": ["deadline", "_geo"],
        # "sort" first: an explicit sort (deadline, distance) orders the results, relevance breaks ties.
        "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "faceting": {"maxValuesPerFacet": max_values_per_facet},
        "pagination": {"maxTotalHits": max_total_hits},
    }


def to_meili(doc: Document) -> dict[str, Any]:
    """A Document as a Meilisearch document (the original id kept in srx_id)."""
    body = doc.to_dict()
    # Same rule as the FTS5 backend: payload values JSON cannot hold (dates, Decimals) travel as text.
    body["payload"] = json.loads(json.dumps(body["payload"], default=str))
    body["srx_id"] = doc.id
    body["id"] = meili_id(doc.id)
    if doc.deadline is None:
        body.pop("deadline")  # missing sort values go last
    if doc.lat is not None and doc.lon is not None:
        body["_geo"] = {"lat": float(doc.lat), "lng": float(doc.lon)}
    return body


def from_meili(hit: Mapping[str, Any]) -> Document:
    data = dict(hit)
    data["id"] = hit.get("srx_id") or hit.get("id")
    return Document.from_dict(data)


def _haversine_km(a: tuple[float, float], lat: float, lon: float) -> float:
    p1, p2 = math.radians(a[0]), math.radians(lat)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon - a[1]) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))


class MeiliBackend:
    """SearchBackend on a Meilisearch server."""

    name = "meili"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        index_name: str = "srx",
        timeout_s: float = 5.0,
        connect_timeout_s: float = 0.5,
        read_timeout_s: float = 2.0,
        breaker_failures: int = 3,
        breaker_cooldown_s: float = 30.0,
        batch_size: int = 1000,
        task_timeout_s: float = 60.0,
        poll_interval_s: float = 0.05,
        max_values_per_facet: int = 500,
        max_total_hits: int = 100_000,
    ) -> None:
        self.url = url.rstrip("/")
        self.index_name = index_name
        # timeout_s caps both timeouts (it used to be the only one).
        self.timeout_s = timeout_s
        self.connect_timeout_s = min(connect_timeout_s, timeout_s)
        self.read_timeout_s = min(read_timeout_s, timeout_s)
        self.breaker = CircuitBreaker(breaker_failures, breaker_cooldown_s)
        self._secret = api_key or ""
        self.batch_size = max(1, int(batch_size))
        self.task_timeout_s = task_timeout_s
        self.poll_interval_s = poll_interval_s
        self.settings = index_settings(max_values_per_facet, max_total_hits)
        self.client = meilisearch.Client(self.url, api_key)
        # The client hands `timeout` straight to requests, which also takes a (connect, read) pair;
        # the client's annotation only says int, so set it after construction.
        setattr(self.client.config, "timeout", (self.connect_timeout_s, self.read_timeout_s))  # noqa: B010

    # -- plumbing -----------------------------------------------------------------------------------
    def available(self) -> bool:
        """False while the breaker is open: calls would fail at once with SearchUnavailable."""
        return self.breaker.available()

    def _redact(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "[redacted]")
        return redact_url(text)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One request to the server, through the breaker; client errors become SearchError(s)."""
        if not self.breaker.allow():
            raise SearchUnavailable(
                f"meilisearch at {redact_url(self.url)} is failing; circuit open, next try in"
                f" {self.breaker.retry_in_s():.1f} s (last error: {self.breaker.last_error})"
            )
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            error = self._translate(exc)
            if isinstance(error, SearchUnavailable):
                self.breaker.failure(str(error))
            else:
                self.breaker.release()
            if error is None:
                raise
            raise error from None  # the message says what happened; the cause may quote secrets
        self.breaker.success()
        return result

    def _translate(self, exc: BaseException) -> SearchError | None:
        """The SearchError for a client exception (None: not ours, re-raise it as it is)."""
        if isinstance(exc, MeilisearchApiError):
            status = getattr(exc, "status_code", 0) or 0
            detail = self._redact(f"meilisearch {status} {getattr(exc, 'code', None) or ''}: {exc.message}")
            return SearchUnavailable(detail) if status >= 500 else SearchError(detail)
        if isinstance(
            exc, MeilisearchCommunicationError | MeilisearchTimeoutError | requests.RequestException
        ):
            return SearchUnavailable(self._redact(f"meilisearch unreachable at {self.url}: {exc}"))
        if isinstance(exc, MeilisearchError):
            return SearchError(self._redact(f"meilisearch error: {exc}"))
        if isinstance(exc, ValueError | TypeError | KeyError):  # a malformed answer (pydantic: ValueError)
            return SearchError(self._redact(f"unexpected answer from meilisearch: {exc}"))
        return None

    def _wait(
        self, task_uid: int, *, timeout_s: float | None = None, ok_codes: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Poll GET /tasks/{uid} until the task ends; a failed or cancelled task is a SearchError."""
        limit = time.monotonic() + (self.task_timeout_s if timeout_s is None else timeout_s)
        interval = self.poll_interval_s
        while True:
            task = self._call(self.client.get_task, task_uid)
            if task.status == "succeeded":
                return task.model_dump() if hasattr(task, "model_dump") else dict(task)
            if task.status in ("failed", "canceled"):
                error = task.error or {}
                if error.get("code") in set(ok_codes):
                    return dict(error)
                raise SearchError(
                    f"meilisearch task {task_uid} ({task.type}) {task.status}: "
                    f"{error.get('message', 'no message')} [{error.get('code', '?')}]"
                )
            if time.monotonic() >= limit:
                raise SearchUnavailable(f"meilisearch task {task_uid} still {task.status} after the timeout")
            time.sleep(interval)
            interval = min(interval * 1.5, 0.5)

    def _index(self, uid: str | None = None) -> Any:
        return self.client.index(uid or self.index_name)

    def _create(self, uid: str) -> None:
        info = self._call(self.client.create_index, uid, {"primaryKey": "id"})
        self._wait(info.task_uid, ok_codes=("index_already_exists",))

    def _apply_settings(self, uid: str) -> None:
        info = self._call(self._index(uid).update_settings, self.settings)
        self._wait(info.task_uid)

    def _add(self, uid: str, docs: Sequence[Document]) -> None:
        index = self._index(uid)
        for i in range(0, len(docs), self.batch_size):
            batch = [to_meili(d) for d in docs[i : i + self.batch_size]]
            info = self._call(index.add_documents, batch, primary_key="id")
            self._wait(info.task_uid)

    # -- protocol -----------------------------------------------------------------------------------
    def setup(self) -> None:
        """Create the index if needed and apply the settings; idempotent."""
        self._create(self.index_name)
        self._apply_settings(self.index_name)

    def upsert(self, docs: Sequence[Document]) -> None:
        docs = list(docs)
        if docs:
            self._add(self.index_name, docs)

    def delete(self, ids: Sequence[str]) -> None:
        ids = [meili_id(i) for i in ids]
        if not ids:
            return
        path = f"{self.client.config.paths.index}/{self.index_name}/{self.client.config.paths.document}/delete-batch"
        answer = self._call(self.client.http.post, path, ids)
        self._wait(int(answer["taskUid"]))

    def reindex(
        self,
        docs: Iterable[Document],
        *,
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a fresh index beside the live one, then swap them: searches never see a half index."""
        temp = f"{self.index_name}_new_{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
        n = 0
        try:
            self._create(temp)
            self._apply_settings(temp)
            batch: list[Document] = []
            for doc in docs:
                batch.append(doc)
                if len(batch) >= self.batch_size:
                    self._add(temp, batch)
                    n += len(batch)
                    batch = []
                    if progress is not None:
                        progress(n)
            if batch:
                self._add(temp, batch)
                n += len(batch)
                if progress is not None:
                    progress(n)
            self._create(self.index_name)  # swapping needs both indexes to exist
            info = self._call(self.client.swap_indexes, [{"indexes": [self.index_name, temp]}])
            self._wait(info.task_uid)
        except BaseException:
            self._drop_quietly(temp)
            raise
        # After the swap `temp` holds the old documents.
        info = self._call(self.client.delete_index, temp)
        self._wait(info.task_uid)
        return n

    def _drop_quietly(self, uid: str) -> None:
        try:
            info = self._call(self.client.delete_index, uid)
            self._wait(info.task_uid, timeout_s=min(5.0, self.task_timeout_s), ok_codes=("index_not_found",))
        except SearchError:
            pass

    def count(self) -> int:
        stats = self._call(self._index().get_stats)
        return int(stats.number_of_documents)

    def health(self) -> dict[str, Any]:
        base = {"backend": self.name, "documents": 0}
        try:
            server = self._call(self.client.health)
        except SearchUnavailable as exc:
            return {**base, "status": "down", "detail": str(exc)}
        except SearchError as exc:
            return {**base, "status": "degraded", "detail": str(exc)}
        try:
            stats = self._call(self._index().get_stats)
        except SearchError as exc:
            return {**base, "status": "degraded", "detail": f"server {server.get('status')}, index: {exc}"}
        status = "ok" if server.get("status") == "available" else "degraded"
        detail = f"server {server.get('status')}, index {self.index_name}"
        if stats.is_indexing:
            detail += " (indexing)"
        return {**base, "status": status, "documents": int(stats.number_of_documents), "detail": detail}

    def search_params(self, query: Query) -> dict[str, Any]:
        """The body of POST /indexes/{uid}/search for a query (without q)."""
        params: dict[str, Any] = {
            "page": query.page_number,
            "hitsPerPage": query.limit,  # page/hitsPerPage makes Meilisearch count totalHits exactly
            "attributesToHighlight": ["title", "text"],
            "attributesToCrop": ["text"],
            "cropLength": CROP_WORDS,
            "highlightPreTag": PRE_TAG,
            "highlightPostTag": POST_TAG,
            "showRankingScore": True,
        }
        facets = list(query.clean_facets())
        if facets:
            params["facets"] = facets
        expr = filter_expression(query.clean_filters())
        if expr:
            params["filter"] = expr
        near = query.clean_near()
        if query.sort == "deadline":
            params["sort"] = ["deadline:asc"]
        elif query.sort == "distance" and near is not None:
            params["sort"] = [f"_geoPoint({near[0]}, {near[1]}):asc"]
        return params

    def search(self, query: Query) -> Result:
        text = query.text if isinstance(query.text, str) else ""
        answer = self._call(self._index().search, text[:1000], self.search_params(query))
        near = query.clean_near()
        hits = []
        for raw in answer.get("hits", []):
            doc = from_meili(raw)
            formatted = raw.get("_formatted") or {}
            km: float | None = None
            if "_geoDistance" in raw:
                km = round(float(raw["_geoDistance"]) / 1000.0, 3)
            elif near is not None and doc.lat is not None and doc.lon is not None:
                km = round(_haversine_km(near, float(doc.lat), float(doc.lon)), 3)
            hits.append(
                Hit(
                    id=doc.id,
                    type=doc.type,
                    score=float(raw.get("_rankingScore", 0.0)),
                    document=doc,
                    highlights={
                        "title": escape_marked(str(formatted.get("title", doc.title)), PRE_TAG, POST_TAG),
                        "text": escape_marked(str(formatted.get("text", doc.text)), PRE_TAG, POST_TAG),
                    },
                    distance_km=km,
                )
            )
        total = answer.get("totalHits", answer.get("estimatedTotalHits", len(hits)))
        distribution = answer.get("facetDistribution") or {}
        facets = {
            f: dict(
                sorted(
                    ((v, int(c)) for v, c in (distribution.get(f) or {}).items() if c),
                    key=lambda kv: (-kv[1], kv[0]),
                )
            )
            for f in query.clean_facets()
        }
        return Result(
            hits=hits,
            total=int(total),
            page=query.page_number,
            per_page=query.limit,
            facets=facets,
            backend=self.name,
        )
