"""The Meilisearch backend against a fake server: the requests it sends and how it handles errors.

Response shapes follow the Meilisearch API reference: task-creating routes answer 202 with a summarized
task ({"taskUid", "indexUid", "status", "type", "enqueuedAt"}), GET /tasks/{uid} answers the task with
"status" and "error", and search answers "hits", "totalHits" (when paginating with page/hitsPerPage),
"facetDistribution", "_formatted" and "_geoDistance".
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from search_corpus import CORPUS
from werkzeug import Request, Response

from search import Document, Query, SearchError, SearchUnavailable, make_backend
from search.meili import (
    POST_TAG,
    PRE_TAG,
    CircuitBreaker,
    MeiliBackend,
    filter_expression,
    index_settings,
    meili_id,
    to_meili,
)

NOW = "2025-01-01T12:00:00.000000Z"


@dataclass
class FakeMeili:
    """Just enough of Meilisearch: records every request, answers with realistic shapes."""

    task_status: Callable[[int, int], tuple[str, dict[str, Any] | None]] = lambda uid, polls: (
        "succeeded",
        None,
    )
    search_answer: dict[str, Any] = field(default_factory=dict)
    indexes: set[str] = field(default_factory=set)
    log: list[tuple[str, str, Any]] = field(default_factory=list)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    polls: dict[int, int] = field(default_factory=dict)

    def _task(self, index_uid: str | None, kind: str) -> Response:
        uid = len(self.tasks) + 1
        self.tasks[uid] = {"indexUid": index_uid, "type": kind}
        body = {"taskUid": uid, "indexUid": index_uid, "status": "enqueued", "type": kind, "enqueuedAt": NOW}
        return Response(json.dumps(body), status=202, content_type="application/json")

    def __call__(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.data else None
        self.log.append((request.method, request.full_path.rstrip("?"), body))
        path, method = request.path, request.method
        if method == "GET" and (m := re.fullmatch(r"/tasks/(\d+)", path)):
            uid = int(m.group(1))
            self.polls[uid] = self.polls.get(uid, 0) + 1
            status, error = self.task_status(uid, self.polls[uid])
            task = self.tasks[uid]
            answer = {"uid": uid, "indexUid": task["indexUid"], "status": status, "type": task["type"],
                      "details": {}, "error": error, "duration": "PT0.01S", "enqueuedAt": NOW,
                      "startedAt": NOW, "finishedAt": NOW if status in ("succeeded", "failed") else None}  # fmt: skip
            return Response(json.dumps(answer), content_type="application/json")
        if method == "POST" and path == "/indexes":
            self.indexes.add(body["uid"])
            return self._task(body["uid"], "indexCreation")
        if method == "DELETE" and (m := re.fullmatch(r"/indexes/([^/]+)", path)):
            self.indexes.discard(m.group(1))
            return self._task(m.group(1), "indexDeletion")
        if method == "PATCH" and (m := re.fullmatch(r"/indexes/([^/]+)/settings", path)):
            return self._task(m.group(1), "settingsUpdate")
        if method == "POST" and (m := re.fullmatch(r"/indexes/([^/]+)/documents", path)):
            return self._task(m.group(1), "documentAdditionOrUpdate")
        if method == "POST" and (m := re.fullmatch(r"/indexes/([^/]+)/documents/delete-batch", path)):
            return self._task(m.group(1), "documentDeletion")
        if method == "POST" and path == "/swap-indexes":
            return self._task(None, "indexSwap")
        if method == "POST" and re.fullmatch(r"/indexes/[^/]+/search", path):
            return Response(json.dumps(self.search_answer), content_type="application/json")
        if method == "GET" and path == "/health":
            return Response(json.dumps({"status": "available"}), content_type="application/json")
        if method == "GET" and re.fullmatch(r"/indexes/[^/]+/stats", path):
            stats = {"numberOfDocuments": 14, "isIndexing": False, "fieldDistribution": {"title": 14}}
            return Response(json.dumps(stats), content_type="application/json")
        return Response(json.dumps({"message": "not found", "code": "not_found"}), status=404)

    def calls(self, method: str | None = None, path: str | None = None) -> list[tuple[str, str, Any]]:
        return [
            c
            for c in self.log
            if (method is None or c[0] == method) and (path is None or re.fullmatch(path, c[1]))
        ]


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeMeili:
    fake = FakeMeili()
    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(fake)
    return fake


@pytest.fixture
def meili(httpserver: HTTPServer, fake: FakeMeili) -> MeiliBackend:
    backend = make_backend("meili", meili_url=httpserver.url_for("/"), meili_key="test-key", index_name="srx")
    assert isinstance(backend, MeiliBackend)
    backend.poll_interval_s = 0.001
    return backend


def docs(n: int) -> list[Document]:
    return [Document(id=f"need:{i}", type="need", title=f"Behoefte {i}", text="tekst", kind="initiative")
            for i in range(n)]  # fmt: skip


# -- requests -----------------------------------------------------------------------------------------


def test_setup_creates_the_index_and_sends_the_settings(meili: MeiliBackend, fake: FakeMeili) -> None:
    meili.setup()
    assert fake.calls("POST", "/indexes")[0][2] == {"uid": "srx", "primaryKey": "id"}
    settings = fake.calls("PATCH", "/indexes/srx/settings")[0][2]
    assert settings == index_settings()
    assert settings["searchableAttributes"] == ["title", "text", "municipality", "region"]
    assert set(settings["filterableAttributes"]) == {
        "themes", "municipality", "kind", "need_kinds", "target_groups", "eligible_for", "type", "_geo",
    }  # fmt: skip
    assert settings["sortableAttributes"] == ["deadline", "_geo"]
    assert settings["typoTolerance"]["enabled"] is True
    assert settings["faceting"]["maxValuesPerFacet"] >= 100
    # every task was awaited
    assert [c[1] for c in fake.calls("GET", r"/tasks/\d+")] == ["/tasks/1", "/tasks/2"]


def test_setup_accepts_an_index_that_already_exists(meili: MeiliBackend, fake: FakeMeili) -> None:
    exists = {"message": "Index `srx` already exists.", "code": "index_already_exists", "type": "invalid_request",
              "link": "https://docs.meilisearch.com/errors#index_already_exists"}  # fmt: skip
    fake.task_status = lambda uid, polls: ("failed", exists) if uid == 1 else ("succeeded", None)
    meili.setup()
    assert fake.calls("PATCH", "/indexes/srx/settings")


def test_documents_are_added_in_batches_with_safe_ids(meili: MeiliBackend, fake: FakeMeili) -> None:
    meili.batch_size = 1000
    meili.upsert(docs(2500))
    adds = fake.calls("POST", r"/indexes/srx/documents\?primaryKey=id")
    assert [len(c[2]) for c in adds] == [1000, 1000, 500]
    first = adds[0][2][0]
    assert first["id"] == "need-0" and first["srx_id"] == "need:0"
    assert len(fake.calls("GET", r"/tasks/\d+")) == 3


def test_document_shape_has_geo_and_omits_missing_deadline() -> None:
    by_id = {d.id: d for d in CORPUS}
    body = to_meili(by_id["need:11"])
    assert body["_geo"] == {"lat": 52.401, "lng": 4.921}
    assert body["deadline"] == "2025-02-01"
    body = to_meili(by_id["initiative:6"])
    assert "_geo" not in body and "deadline" not in body
    assert body["themes"] == ["werk"] and body["id"] == "initiative-6"
    assert meili_id("need:12") == "need-12" and meili_id("a b/ü:1") == "a-b---1"


def test_task_polling_waits_until_the_task_ends(meili: MeiliBackend, fake: FakeMeili) -> None:
    fake.task_status = lambda uid, polls: ("enqueued", None) if polls == 1 else (
        ("processing", None) if polls == 2 else ("succeeded", None))  # fmt: skip
    meili.upsert(docs(3))
    assert [c[1] for c in fake.calls("GET", r"/tasks/\d+")] == ["/tasks/1"] * 3


def test_delete_sends_safe_ids(meili: MeiliBackend, fake: FakeMeili) -> None:
    meili.delete(["need:3", "initiative:12"])
    assert fake.calls("POST", "/indexes/srx/documents/delete-batch")[0][2] == ["need-3", "initiative-12"]
    assert fake.calls("GET", "/tasks/1")


def test_filter_expression_quotes_and_escapes_values() -> None:
    expr = filter_expression({
        "themes": ["armoedebestrijding", "werk"],
        "municipality": ["Den Haag"],
        "target_groups": ['jongeren "18-23"', "back\\slash"],
        "not_a_facet": ["x"],
        "kind": [],
    })  # fmt: skip
    assert expr == (
        'themes IN ["armoedebestrijding", "werk"] AND municipality = "Den Haag"'
        ' AND target_groups IN ["jongeren \\"18-23\\"", "back\\\\slash"]'
    )
    assert filter_expression({}) is None


def test_search_request_body(meili: MeiliBackend, fake: FakeMeili) -> None:
    fake.search_answer = {"hits": [], "totalHits": 0, "page": 2, "hitsPerPage": 5, "totalPages": 0,
                          "facetDistribution": {}, "processingTimeMs": 1, "query": "voedsel"}  # fmt: skip
    q = Query(text="voedsel", filters={"municipality": ["Den Haag"], "themes": ["werk", 'a"b']},
              facets=("themes", "type"), sort="distance", near=(52.1, 5.2), page=2, per_page=5)  # fmt: skip
    meili.search(q)
    body = fake.calls("POST", "/indexes/srx/search")[0][2]
    assert body["q"] == "voedsel"
    assert body["filter"] == 'municipality = "Den Haag" AND themes IN ["werk", "a\\"b"]'
    assert body["facets"] == ["themes", "type"]
    assert body["sort"] == ["_geoPoint(52.1, 5.2):asc"]
    assert (body["page"], body["hitsPerPage"]) == (2, 5)
    assert body["attributesToHighlight"] == ["title", "text"]
    assert body["attributesToCrop"] == ["text"]
    assert (body["highlightPreTag"], body["highlightPostTag"]) == (PRE_TAG, POST_TAG)
    meili.search(Query(sort="deadline", per_page=500))
    body = fake.calls("POST", "/indexes/srx/search")[1][2]
    assert body["sort"] == ["deadline:asc"] and body["hitsPerPage"] == 100 and "filter" not in body


def test_search_answer_becomes_a_result(meili: MeiliBackend, fake: FakeMeili) -> None:
    doc = to_meili(next(d for d in CORPUS if d.id == "need:17"))
    formatted = {**doc, "title": f"{PRE_TAG}Huiswerk{POST_TAG}begeleiding <i>Schilderswijk</i>",
                 "text": f"…voor jongeren & hun {PRE_TAG}huiswerk{POST_TAG} <b>na school</b>."}  # fmt: skip
    fake.search_answer = {
        "hits": [{**doc, "_formatted": formatted, "_rankingScore": 0.91, "_geoDistance": 12345}],
        "query": "huiswerk", "processingTimeMs": 2, "hitsPerPage": 20, "page": 1, "totalPages": 1, "totalHits": 1,
        "facetDistribution": {"municipality": {"Den Haag": 1}, "themes": {"onderwijs": 1, "gezond_opgroeien": 1}},
    }  # fmt: skip
    r = meili.search(
        Query(text="huiswerk", near=(52.1, 4.3), sort="distance", facets=("municipality", "themes"))
    )
    assert r.total == 1 and r.backend == "meili"
    hit = r.hits[0]
    assert hit.id == "need:17" and hit.document == next(d for d in CORPUS if d.id == "need:17")
    assert hit.score == 0.91 and hit.distance_km == 12.345
    assert hit.highlights["title"] == "<mark>Huiswerk</mark>begeleiding &lt;i&gt;Schilderswijk&lt;/i&gt;"
    assert (
        hit.highlights["text"]
        == "…voor jongeren &amp; hun <mark>huiswerk</mark> &lt;b&gt;na school&lt;/b&gt;."
    )
    assert r.facets == {"municipality": {"Den Haag": 1}, "themes": {"gezond_opgroeien": 1, "onderwijs": 1}}


def test_reindex_builds_a_new_index_and_swaps_it_in(meili: MeiliBackend, fake: FakeMeili) -> None:
    meili.batch_size = 2
    progress: list[int] = []
    n = meili.reindex(iter(docs(5)), total=5, progress=progress.append)
    assert n == 5 and progress == [2, 4, 5]
    temp = fake.calls("POST", "/indexes")[0][2]["uid"]
    assert re.fullmatch(r"srx_new_\d{14}_[0-9a-f]{6}", temp)
    steps = [(m, p) for m, p, _ in fake.log if not p.startswith("/tasks/")]
    assert steps == [
        ("POST", "/indexes"),
        ("PATCH", f"/indexes/{temp}/settings"),
        ("POST", f"/indexes/{temp}/documents?primaryKey=id"),
        ("POST", f"/indexes/{temp}/documents?primaryKey=id"),
        ("POST", f"/indexes/{temp}/documents?primaryKey=id"),
        ("POST", "/indexes"),
        ("POST", "/swap-indexes"),
        ("DELETE", f"/indexes/{temp}"),
    ]
    assert fake.calls("POST", "/swap-indexes")[0][2] == [{"indexes": ["srx", temp]}]


def test_health_and_count(meili: MeiliBackend, fake: FakeMeili) -> None:
    h = meili.health()
    assert h == {"backend": "meili", "documents": 14, "status": "ok", "detail": "server available, index srx"}
    assert meili.count() == 14


# -- errors -------------------------------------------------------------------------------------------


def test_a_4xx_answer_is_a_search_error(httpserver: HTTPServer) -> None:
    error = {"message": "Attribute `colour` is not filterable.", "code": "invalid_search_filter",
             "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#invalid_search_filter"}  # fmt: skip
    httpserver.expect_request("/indexes/srx/search", method="POST").respond_with_json(error, status=400)
    backend = make_backend("meili", meili_url=httpserver.url_for("/"))
    with pytest.raises(SearchError) as info:
        backend.search(Query(text="x"))
    assert not isinstance(info.value, SearchUnavailable)
    assert "invalid_search_filter" in str(info.value)


def test_a_5xx_answer_means_unavailable(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/indexes/srx/search").respond_with_json({"message": "boom"}, status=503)
    backend = make_backend("meili", meili_url=httpserver.url_for("/"))
    with pytest.raises(SearchUnavailable):
        backend.search(Query(text="x"))


def test_a_slow_server_times_out_as_unavailable(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/indexes/srx/search").respond_with_handler(slow)
    backend = make_backend("meili", meili_url=httpserver.url_for("/"), timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(SearchUnavailable):
        backend.search(Query(text="x"))
    assert time.monotonic() - started < 0.9


def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = make_backend("meili", meili_url=f"http://127.0.0.1:{port}", timeout_s=0.5)
    with pytest.raises(SearchUnavailable):
        backend.search(Query(text="x"))
    assert backend.health()["status"] == "down"


def test_a_failed_task_is_a_search_error(meili: MeiliBackend, fake: FakeMeili) -> None:
    failure = {"message": "Document identifier `a:b` is invalid.", "code": "invalid_document_id",
               "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#invalid_document_id"}  # fmt: skip
    fake.task_status = lambda uid, polls: ("failed", failure)
    with pytest.raises(SearchError, match="invalid_document_id") as info:
        meili.upsert(docs(1))
    assert not isinstance(info.value, SearchUnavailable)


def test_a_task_that_never_ends_times_out(meili: MeiliBackend, fake: FakeMeili) -> None:
    fake.task_status = lambda uid, polls: ("processing", None)
    meili.task_timeout_s = 0.1
    with pytest.raises(SearchUnavailable, match="still processing"):
        meili.upsert(docs(1))


def test_a_failed_reindex_drops_the_half_built_index(meili: MeiliBackend, fake: FakeMeili) -> None:
    failure = {"message": "disk full", "code": "no_space_left_on_device", "type": "system", "link": ""}
    fake.task_status = lambda uid, polls: ("failed", failure) if uid == 3 else ("succeeded", None)
    with pytest.raises(SearchError, match="no_space_left_on_device"):
        meili.reindex(iter(docs(3)))
    temp = fake.calls("POST", "/indexes")[0][2]["uid"]
    assert fake.calls("DELETE", f"/indexes/{temp}")
    assert not fake.calls("POST", "/swap-indexes")


# -- circuit breaker ----------------------------------------------------------------------------------

SEARCH_OK = {"hits": [], "totalHits": 0, "page": 1, "hitsPerPage": 20, "totalPages": 0,
             "facetDistribution": {}, "processingTimeMs": 1, "query": "x"}  # fmt: skip


@dataclass
class Flaky:
    """A server that hangs (well past the read timeout) while `hang` is set, else answers a search."""

    hang: bool = True
    requests: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        if self.hang:
            self.release.wait(5.0)
            return Response("{}", status=503, content_type="application/json")
        return Response(json.dumps(SEARCH_OK), content_type="application/json")


@pytest.fixture
def flaky() -> Iterator[tuple[Flaky, str]]:
    # Threaded, so a hanging request does not hold up the ones after it.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    handler = Flaky()
    server.expect_request(re.compile(r"/.*")).respond_with_handler(handler)
    yield handler, server.url_for("/")
    handler.release.set()
    server.clear()
    server.stop()


def breaker_backend(url: str, *, failures: int = 3, cooldown_s: float = 60.0) -> MeiliBackend:
    backend = make_backend("meili", meili_url=url, meili_key="s3cret-key", read_timeout_s=0.2,
                           breaker_failures=failures, breaker_cooldown_s=cooldown_s)  # fmt: skip
    assert isinstance(backend, MeiliBackend)
    return backend


def timed_search(backend: MeiliBackend) -> float:
    started = time.monotonic()
    with pytest.raises(SearchUnavailable):
        backend.search(Query(text="x"))
    return time.monotonic() - started


def test_a_hung_server_is_unavailable_after_the_read_timeout(flaky: tuple[Flaky, str]) -> None:
    handler, url = flaky
    backend = breaker_backend(url)
    assert timed_search(backend) < 1.0  # read timeout 0.2 s; the server would hang for 5 s
    assert handler.requests == 1 and backend.available()  # one failure does not open the breaker


def test_the_breaker_opens_after_n_failures_and_then_fails_fast(flaky: tuple[Flaky, str]) -> None:
    handler, url = flaky
    backend = breaker_backend(url, failures=3)
    for _ in range(3):
        timed_search(backend)
    assert handler.requests == 3 and not backend.available()
    for _ in range(5):
        assert timed_search(backend) < 0.05
    with pytest.raises(SearchUnavailable, match="circuit open"):
        backend.upsert(docs(1))
    started = time.monotonic()
    health = backend.health()
    assert time.monotonic() - started < 0.05
    assert health["status"] == "down" and "circuit open" in health["detail"]
    assert handler.requests == 3  # nothing reached the server while the breaker was open


def test_after_the_cooldown_one_call_goes_through_and_closes_the_breaker(flaky: tuple[Flaky, str]) -> None:
    handler, url = flaky
    backend = breaker_backend(url, failures=2, cooldown_s=0.3)
    timed_search(backend), timed_search(backend)
    assert not backend.available() and timed_search(backend) < 0.05
    handler.hang = False  # the server recovers
    time.sleep(0.35)
    assert backend.available()
    assert backend.search(Query(text="x")).total == 0  # the trial call
    assert handler.requests == 3 and backend.breaker.state == "closed"
    backend.search(Query(text="x"))
    assert handler.requests == 4


def test_a_failed_trial_opens_the_breaker_again(flaky: tuple[Flaky, str]) -> None:
    handler, url = flaky
    backend = breaker_backend(url, failures=2, cooldown_s=0.3)
    timed_search(backend), timed_search(backend)
    time.sleep(0.35)
    timed_search(backend)  # the trial hangs and fails
    assert handler.requests == 3 and not backend.available()
    assert timed_search(backend) < 0.05 and handler.requests == 3


def test_only_one_trial_runs_while_half_open() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=1, cooldown_s=10.0, clock=lambda: now[0])
    breaker.failure("boom")
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.0
    assert breaker.state == "half-open" and breaker.allow()  # the trial
    assert not breaker.allow() and not breaker.available()  # everyone else waits for it
    breaker.success()
    assert breaker.state == "closed" and breaker.allow() and breaker.allow()


def test_refused_requests_do_not_open_the_breaker(httpserver: HTTPServer) -> None:
    error = {"message": "Attribute `colour` is not filterable.", "code": "invalid_search_filter",
             "type": "invalid_request", "link": ""}  # fmt: skip
    httpserver.expect_request("/indexes/srx/search").respond_with_json(error, status=400)
    backend = make_backend("meili", meili_url=httpserver.url_for("/"), breaker_failures=2)
    for _ in range(4):
        with pytest.raises(SearchError) as info:
            backend.search(Query(text="x"))
        assert not isinstance(info.value, SearchUnavailable)
    assert backend.available() and len(httpserver.log) == 4


def test_the_api_key_never_shows_in_errors_or_health(httpserver: HTTPServer) -> None:
    def echo(request: Request) -> Response:  # a server (or proxy) that quotes the request back
        said = f"cannot serve {request.headers.get('Authorization')} at {request.url}"
        return Response(json.dumps({"message": said, "code": "internal"}), status=503,
                        content_type="application/json")  # fmt: skip

    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(echo)
    backend = breaker_backend(httpserver.url_for("/"), failures=2)
    texts = []
    for _ in range(3):  # the third fails fast and quotes the last error
        with pytest.raises(SearchUnavailable) as info:
            backend.search(Query(text="x"))
        texts.append(str(info.value))
    texts.append(json.dumps(backend.health()))
    assert "Bearer" in texts[0]  # the echo did arrive, with the key taken out
    for text in texts:
        assert "s3cret-key" not in text


def test_credentials_in_the_url_never_show_in_errors() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = breaker_backend(f"http://admin:pa55word@127.0.0.1:{port}", failures=1)
    texts = []
    for _ in range(2):
        with pytest.raises(SearchUnavailable) as info:
            backend.search(Query(text="x"))
        texts.append(str(info.value))
    texts.append(json.dumps(backend.health()))
    assert f"127.0.0.1:{port}" in texts[0]
    assert not [t for t in texts if "pa55word" in t or "admin" in t]
