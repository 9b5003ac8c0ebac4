"""Meilisearch backend through the official client (meilisearch-python).

Every call that reaches the server goes through `_call`, which turns client errors into SearchError
(the server refused: 4xx, failed task, malformed answer) or SearchUnavailable (cannot reach it,
timeouts, 5xx), so callers can fall back to the embedded backend.
"""

from __future__ import annotations

import json
import math
import re
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
        batch_size: int = 1000,
        task_timeout_s: float = 60.0,
        poll_interval_s: float = 0.05,
        max_values_per_facet: int = 500,
        max_total_hits: int = 100_000,
    ) -> None:
        self.url = url.rstrip("/")
        self.index_name = index_name
        self.timeout_s = timeout_s
        self.batch_size = max(1, int(batch_size))
        self.task_timeout_s = task_timeout_s
        self.poll_interval_s = poll_interval_s
        self.settings = index_settings(max_values_per_facet, max_total_hits)
        # The client passes timeout straight to requests, which takes float seconds.
        self.client = meilisearch.Client(self.url, api_key, timeout=timeout_s)  # type: ignore[arg-type]

    # -- plumbing -----------------------------------------------------------------------------------
    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except MeilisearchApiError as exc:
            status = getattr(exc, "status_code", 0) or 0
            detail = f"meilisearch {status} {getattr(exc, 'code', None) or ''}: {exc.message}"
            if status >= 500:
                raise SearchUnavailable(detail) from exc
            raise SearchError(detail) from exc
        except (MeilisearchCommunicationError, MeilisearchTimeoutError, requests.RequestException) as exc:
            raise SearchUnavailable(f"meilisearch unreachable at {self.url}: {exc}") from exc
        except MeilisearchError as exc:
            raise SearchError(f"meilisearch error: {exc}") from exc
        except (
            ValueError,
            TypeError,
            KeyError,
        ) as exc:  # a malformed answer (pydantic errors are ValueErrors)
            raise SearchError(f"unexpected answer from meilisearch: {exc}") from exc

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
