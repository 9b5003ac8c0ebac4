"""FTS5 backend specifics: its own file, several processes on one index, threads, failures."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from search_corpus import CORPUS

import search.fts5.analysis as fts5_analysis
import search.fts5.backend as fts5_backend
import search.fts5.facets as fts5_facets
from search import Document, Query, SearchBackend, SearchError, SearchUnavailable, make_backend
from search.fts5 import FTS5Backend


def file_backend(path: Path) -> FTS5Backend:
    backend = make_backend("fts5", sqlite_path=str(path))
    assert isinstance(backend, FTS5Backend)
    backend.setup()
    return backend


def test_backends_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(file_backend(tmp_path / "s.db"), SearchBackend)
    assert isinstance(make_backend("meili", meili_url="http://127.0.0.1:1"), SearchBackend)
    assert isinstance(make_backend("postgres", postgres_url="postgresql://x@127.0.0.1:1/x"), SearchBackend)
    assert all(make_backend(k, meili_url="http://127.0.0.1:1").available() for k in ("fts5", "meili"))


def test_make_backend_rejects_unknown_kinds() -> None:
    with pytest.raises(SearchError):
        make_backend("elastic")
    with pytest.raises(SearchError):
        make_backend("meili")


def test_the_library_imports_no_web_or_orm_code() -> None:
    code = (
        "import sys, search, search.fts5, search.meili, search.postgres\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlmodel', 'sqlalchemy', 'marketplace'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_setup_is_idempotent_and_uses_wal(tmp_path: Path) -> None:
    backend = file_backend(tmp_path / "s.db")
    backend.setup()
    backend.upsert(CORPUS[:2])
    backend.setup()
    assert backend.count() == 2
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_index_with_an_old_layout_is_dropped_for_a_rebuild(tmp_path: Path) -> None:
    backend = file_backend(tmp_path / "s.db")
    backend.upsert(CORPUS)
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    fresh = file_backend(tmp_path / "s.db")
    assert fresh.count() == 0
    fresh.upsert(CORPUS[:1])
    assert fresh.search(Query(text="voedselbank")).total == 1


def test_a_second_process_sees_upserts_deletes_and_reindexes(tmp_path: Path) -> None:
    writer, reader = file_backend(tmp_path / "s.db"), file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    assert reader.search(Query()).facets["municipality"]["Soest"] == 2  # reader has loaded its caches
    writer.upsert([replace(CORPUS[2], municipality="Baarn", title="Fietsenmakerij")])
    writer.delete(["need:14"])
    r = reader.search(Query(text="fietsenmakerij"))
    assert [h.id for h in r.hits] == ["initiative:3"]
    assert "Soest" not in reader.search(Query()).facets["municipality"]
    writer.reindex(CORPUS[:3])
    assert reader.search(Query()).total == 3


def test_a_reader_behind_a_pruned_change_log_reloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fts5_backend, "CHANGES_KEEP", 5)
    monkeypatch.setattr(fts5_backend, "CHANGES_SLACK", 10)
    writer, reader = file_backend(tmp_path / "s.db"), file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    reader.search(Query())
    for i in range(40):  # enough to prune the log past the reader's position
        writer.upsert([replace(CORPUS[0], title=f"Voedselbank versie {i}")])
    writer.delete(["need:11"])
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("SELECT min(seq) FROM changes").fetchone()[0] > 1
    r = reader.search(Query(text="versie 39"))
    assert [h.id for h in r.hits] == ["initiative:1"]
    assert reader.search(Query()).total == len(CORPUS) - 1


def test_threads_can_search_while_another_writes(tmp_path: Path) -> None:
    backend = file_backend(tmp_path / "s.db")
    backend.reindex(CORPUS)
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        try:
            while not stop.is_set():
                r = backend.search(Query(text="voedselbank", filters={"municipality": ["Amsterdam"]}))
                assert r.total >= 3
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(40):
        backend.upsert([Document(id=f"need:{1000 + i}", type="need", title=f"Voedselbank taak {i}", text="",
                                 kind="initiative", municipality="Amsterdam")])  # fmt: skip
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert backend.search(Query(text="taak", per_page=100)).total == 40


def test_an_unopenable_index_is_unavailable(tmp_path: Path) -> None:
    backend = make_backend("fts5", sqlite_path=str(tmp_path / "missing" / "dir" / "s.db"))
    with pytest.raises(SearchUnavailable):
        backend.search(Query(text="x"))
    assert backend.health()["status"] == "down"


def test_distance_sort_without_a_point_falls_back_to_relevance() -> None:
    backend = make_backend("fts5")
    backend.reindex(CORPUS)
    r = backend.search(Query(text="voedselbank", sort="distance"))
    assert r.total >= 3 and all(h.distance_km is None for h in r.hits)


def test_reindex_rejects_duplicate_ids_and_keeps_the_old_index() -> None:
    backend = make_backend("fts5")
    backend.reindex(CORPUS)
    with pytest.raises(SearchError, match="duplicate"):
        backend.reindex([CORPUS[0], CORPUS[0]])
    assert backend.count() == len(CORPUS)


def test_large_result_sets_use_estimated_scores_consistently(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the exact-bm25 limit at 0 every phrase takes the estimate path; ranking must stay sensible.
    monkeypatch.setattr(fts5_analysis, "EXACT_BM25_MAX", 0)
    backend = make_backend("fts5")
    backend.reindex(CORPUS)
    found = [h.id for h in backend.search(Query(text="voedselbank")).hits]
    assert set(found[:2]) == {"initiative:1", "need:11"} and "need:12" in found[2:]


def test_cached_results_stay_right_through_a_stream_of_writes(tmp_path: Path) -> None:
    """A long-running reader patches its cached postings; a fresh reader computes from scratch."""
    rng = random.Random(7)
    writer, warm = file_backend(tmp_path / "s.db"), file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    patched: list[int] = []
    original = warm._patch_postings

    def spy(conn: sqlite3.Connection, rowids: list[int]) -> None:
        patched.append(len(rowids))
        original(conn, rowids)

    warm._patch_postings = spy  # type: ignore[method-assign]
    queries = [
        Query(text=t, per_page=100)
        for t in (
            "voedselbank",
            "voedsel",
            "voedselbnk",
            "repair cafe",
            "voedselbank noord",
            "koffie",
            "werk",
        )
    ]
    words = ["voedselbank", "Noord", "repair", "café", "koffie", "werkbedrijf", "voedselbnk", "brug"]
    for step in range(30):
        for q in queries:  # fills (then exercises) the warm reader's caches
            warm.search(q)
        if rng.random() < 0.25:
            writer.delete([rng.choice(CORPUS).id])
        else:
            base = rng.choice(CORPUS)
            title = " ".join(rng.sample(words, 2))
            writer.upsert([replace(base, id=f"need:{500 + rng.randrange(8)}", type="need", title=title)])
        fresh = file_backend(tmp_path / "s.db")
        for q in queries:
            got, want = warm.search(q), fresh.search(q)
            assert got.total == want.total, (step, q.text)
            assert {h.id for h in got.hits} == {h.id for h in want.hits}, (step, q.text)
            assert got.facets == want.facets, (step, q.text)
        fresh.close()
    assert patched, "the warm reader never patched its postings"


# -- the facet-cache snapshot: how a new process starts fast ----------------------------------------


def all_counts(backend: FTS5Backend) -> tuple[int, dict[str, dict[str, int]], list[str]]:
    r = backend.search(Query(text="voedselbank", per_page=100))
    everything = backend.search(Query(per_page=100, sort="deadline"))
    return everything.total, everything.facets, [h.id for h in r.hits] + [h.id for h in everything.hits]


def no_full_load(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make a full rebuild of the facet bitsets fail loudly; returns the list of attempts."""
    attempts: list[int] = []

    def refuse(self: object, conn: object, epoch: str, seq: int) -> None:
        attempts.append(seq)
        raise AssertionError("the facet cache was rebuilt from every row")

    monkeypatch.setattr(fts5_facets.FacetCache, "load", refuse)
    return attempts


def test_a_new_process_restores_the_facet_cache_instead_of_rebuilding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    writer.upsert([replace(CORPUS[2], municipality="Baarn", title="Fietsenmakerij")])
    writer.delete(["need:14"])
    expected = all_counts(file_backend(tmp_path / "s.db"))
    no_full_load(monkeypatch)
    reader = file_backend(tmp_path / "s.db")  # a new process: snapshot of the reindex + the change log
    assert all_counts(reader) == expected
    assert reader.search(Query()).facets["municipality"].get("Soest") is None
    assert [h.id for h in reader.search(Query(text="fietsenmakerij")).hits] == ["initiative:3"]


def test_writers_renew_the_snapshot_and_new_readers_stay_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fts5_backend, "SNAPSHOT_EVERY", 5)
    writer = file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    for i in range(12):
        writer.upsert([replace(CORPUS[i % 5], title=f"Versie {i}", municipality=f"Plaats {i % 3}")])
    writer.delete(["need:11", "need:12"])
    with sqlite3.connect(tmp_path / "s.db") as conn:
        snap_seq = int(conn.execute("SELECT value FROM meta WHERE key = 'snapshot_seq'").fetchone()[0])
    assert snap_seq >= 10  # renewed on the way (a reindex leaves it at 0)
    expected = all_counts(file_backend(tmp_path / "s.db"))
    no_full_load(monkeypatch)
    assert all_counts(file_backend(tmp_path / "s.db")) == expected
    r = file_backend(tmp_path / "s.db").search(Query())
    # The last version of documents 0..4 wins: i = 10, 11, 7, 8, 9, so places 1, 2, 1, 2, 0.
    assert r.total == len(CORPUS) - 2
    assert {k: v for k, v in r.facets["municipality"].items() if k.startswith("Plaats")} == {
        "Plaats 1": 2,
        "Plaats 2": 2,
        "Plaats 0": 1,
    }


def test_a_snapshot_older_than_the_pruned_change_log_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fts5_backend, "CHANGES_KEEP", 5)
    monkeypatch.setattr(fts5_backend, "CHANGES_SLACK", 10)
    monkeypatch.setattr(fts5_backend, "SNAPSHOT_EVERY", 10_000)
    writer = file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    for i in range(40):
        writer.upsert([replace(CORPUS[0], title=f"Voedselbank versie {i}")])
    writer.delete(["need:11"])
    attempts = no_full_load(monkeypatch)
    with pytest.raises(AssertionError, match="rebuilt"):
        file_backend(tmp_path / "s.db").search(Query())  # it must not restore and miss changes
    assert attempts
    monkeypatch.undo()
    r = file_backend(tmp_path / "s.db").search(Query(text="versie 39"))
    assert [h.id for h in r.hits] == ["initiative:1"]


def test_a_reader_that_restores_a_newer_snapshot_drops_its_stale_postings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fts5_backend, "CHANGES_KEEP", 5)
    monkeypatch.setattr(fts5_backend, "CHANGES_SLACK", 10)
    monkeypatch.setattr(fts5_backend, "SNAPSHOT_EVERY", 5)
    writer, warm = file_backend(tmp_path / "s.db"), file_backend(tmp_path / "s.db")
    writer.reindex(CORPUS)
    before = warm.search(Query(text="voedselbank", per_page=100)).total  # caches its postings
    for i in range(31):  # far past the warm reader's place in the (pruned) change log
        writer.upsert([replace(CORPUS[6], id=f"need:{600 + i}", title=f"Voedselbank extra {i}")])
    want = file_backend(tmp_path / "s.db").search(Query(text="voedselbank", per_page=100))
    got = warm.search(Query(text="voedselbank", per_page=100))
    assert want.total == before + 31
    assert got.total == want.total and got.facets == want.facets


@pytest.mark.parametrize(
    "text",
    [
        "voedselbank",
        "voedsel",
        "voedselbnk",
        "repair cafe",
        "voedselbank noord",
        "taalcafe de brug",
        "koffie",
    ],
)
def test_the_paths_for_big_postings_give_the_same_results(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Merging by rowid and the word-by-word merge (taken for big postings) agree with the small-set path."""
    filters: list[dict[str, list[str]]] = [{}, {"municipality": ["Amsterdam"]}, {"type": ["need"]}]

    def results() -> list[tuple[object, ...]]:
        backend = make_backend("fts5")
        # "koffie" is a word and the prefix of another ("koffiebar"): its two postings overlap.
        extra = replace(CORPUS[1], id="initiative:99", title="Koffie en koffiebar", text="Koffie.")
        backend.reindex([*CORPUS, extra])
        out = []
        for f in filters:
            for _ in range(2):  # the second time from the cached postings
                r = backend.search(Query(text=text, filters=f, per_page=100))
                out.append((r.total, [(h.id, h.score) for h in r.hits], r.facets))
        return out

    small = results()
    monkeypatch.setattr(fts5_analysis, "DENSE_UNION_MIN", 0)
    assert results() == small  # the same sums in the same order: identical scores
    monkeypatch.setattr(fts5_analysis, "EXACT_BM25_MAX", 1)
    big = results()  # estimated scores: the same documents and counts
    assert [(t, f) for t, _, f in big] == [(t, f) for t, _, f in small]
    assert [{i for i, _ in h} for _, h, _ in big] == [{i for i, _ in h} for _, h, _ in small]
