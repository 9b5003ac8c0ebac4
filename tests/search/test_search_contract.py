"""The behaviour every search backend promises, run against each backend available here.

FTS5 always runs; PostgreSQL when TEST_DATABASE_URL is set, Meilisearch when MEILI_URL points at a
server (see conftest.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from search_corpus import CORPUS, SOEST

from search import FACETS, Document, Query, Result, SearchBackend

BY_ID = {d.id: d for d in CORPUS}


def ids(result: Result) -> list[str]:
    return [h.id for h in result.hits]


def every_id(backend: SearchBackend, query: Query) -> list[str]:
    """All hits of a query, page by page."""
    out: list[str] = []
    page = 1
    while True:
        r = backend.search(replace(query, page=page, per_page=5))
        out += ids(r)
        if page * 5 >= r.total:
            return out
        page += 1


def expected_counts(doc_ids: list[str], facets: tuple[str, ...] = FACETS) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for facet in facets:
        c: Counter[str] = Counter()
        for i in doc_ids:
            c.update(BY_ID[i].facet_values(facet))
        out[facet] = dict(c)
    return out


def matching(**filters: list[str]) -> set[str]:
    """Corpus ids passing the filters, computed independently of any backend."""
    return {
        d.id for d in CORPUS if all(set(d.facet_values(f)) & set(values) for f, values in filters.items())
    }


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# -- relevance, typos, partial words ------------------------------------------------------------------


def test_title_matches_rank_above_text_only_matches(backend: SearchBackend) -> None:
    r = backend.search(Query(text="voedselbank"))
    found = ids(r)
    assert set(found[:2]) == {"initiative:1", "need:11"}  # "voedselbank" in the title
    assert "need:12" in found  # only in the text
    assert found.index("need:12") > 1


def test_multi_word_query_prefers_documents_with_every_word(backend: SearchBackend) -> None:
    assert ids(backend.search(Query(text="repair soest")))[0] == "initiative:3"
    assert ids(backend.search(Query(text="voedselbank noord")))[0] == "initiative:1"


def test_typo_finds_the_intended_word(backend: SearchBackend) -> None:
    found = ids(backend.search(Query(text="voedselbamk")))
    assert {"initiative:1", "need:11", "need:12"} <= set(found)
    assert "initiative:2" not in found


def test_exact_matches_rank_above_corrected_ones(backend: SearchBackend) -> None:
    # need:18 really says "voedselbnk"; the others only match through the typo correction.
    found = ids(backend.search(Query(text="voedselbnk")))
    assert found[0] == "need:18"
    assert {"initiative:1", "need:11"} <= set(found[1:])


def test_partial_word_matches_by_prefix(backend: SearchBackend) -> None:
    assert "initiative:1" in ids(backend.search(Query(text="voedsel")))
    assert "initiative:4" in ids(backend.search(Query(text="kringl")))
    assert "initiative:4" in ids(backend.search(Query(text="kringlopwink")))  # typo inside a partial word
    assert ids(backend.search(Query(text="taalc")))[:2] != []


def test_diacritics_are_ignored_both_ways(backend: SearchBackend) -> None:
    plain = ids(backend.search(Query(text="taalcafe")))
    accented = ids(backend.search(Query(text="Taalcafé")))
    assert "initiative:2" in plain and "need:13" in plain
    assert set(plain) == set(accented)
    assert {"initiative:3", "need:14"} <= set(ids(backend.search(Query(text="repair cafe"))))


def test_unknown_word_finds_nothing(backend: SearchBackend) -> None:
    r = backend.search(Query(text="zzyzxqwv"))
    assert r.total == 0 and r.hits == []


def test_highlights_mark_matches_and_escape_html(backend: SearchBackend) -> None:
    hit = next(h for h in backend.search(Query(text="voedselbank")).hits if h.id == "initiative:1")
    assert "<mark>Voedselbank</mark>" in hit.highlights["title"]
    huiswerk = backend.search(Query(text="huiswerk")).hits[0]
    assert huiswerk.id == "need:17"
    text = huiswerk.highlights["text"]
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert "<mark>huiswerk</mark>" in text


def test_payload_and_document_come_back_untouched(backend: SearchBackend) -> None:
    hit = backend.search(Query(text="voedselbank noord")).hits[0]
    assert hit.document == BY_ID["initiative:1"]
    assert hit.document.payload == {"slug": "voedselbank-noord", "open": 3}
    assert hit.type == "initiative" and hit.score >= 0


# -- facets and filters -------------------------------------------------------------------------------


def test_facet_counts_cover_the_whole_corpus_without_a_query(backend: SearchBackend) -> None:
    r = backend.search(Query())
    assert r.total == len(CORPUS)
    assert r.facets == expected_counts([d.id for d in CORPUS])


def test_facet_counts_follow_the_text_query(backend: SearchBackend) -> None:
    q = Query(text="voedselbank")
    r = backend.search(q)
    assert r.facets == expected_counts(every_id(backend, q))
    assert r.facets["municipality"] == {"Amsterdam": r.total}


def test_facet_counts_follow_the_filters(backend: SearchBackend) -> None:
    q = Query(filters={"themes": ["werk"], "type": ["need"]})
    r = backend.search(q)
    assert set(every_id(backend, q)) == matching(themes=["werk"], type=["need"]) == {"need:15", "need:16"}
    assert r.facets == expected_counts(["need:15", "need:16"])


def test_only_the_requested_facets_are_counted(backend: SearchBackend) -> None:
    r = backend.search(Query(facets=("themes", "type")))
    assert set(r.facets) == {"themes", "type"}
    assert r.facets["type"] == {"initiative": 6, "need": 8}


def test_filters_or_within_a_facet_and_across_facets(backend: SearchBackend) -> None:
    q = Query(filters={"municipality": ["Soest", "Baarn"], "type": ["need"]})
    assert (
        set(every_id(backend, q))
        == matching(municipality=["Soest", "Baarn"], type=["need"])
        == {"need:14", "need:15"}
    )
    q = Query(filters={"eligible_for": ["amersfoort"], "kind": ["social_firm", "initiative"]})
    assert set(every_id(backend, q)) == {"initiative:2", "initiative:4", "need:13", "need:15"}


@pytest.mark.parametrize("facet", FACETS)
def test_every_facet_filters(backend: SearchBackend, facet: str) -> None:
    counts = backend.search(Query(facets=(facet,))).facets[facet]
    assert counts, facet
    for value, n in counts.items():
        r = backend.search(Query(filters={facet: [value]}, per_page=100))
        assert r.total == n == len(matching(**{facet: [value]}))


def test_filter_values_with_spaces_and_quotes(backend: SearchBackend) -> None:
    assert ids(backend.search(Query(filters={"municipality": ["Den Haag"]}))) == ["need:17"]
    assert ids(backend.search(Query(filters={"target_groups": ['jongeren "18-23"']}))) == ["need:17"]


def test_text_and_filters_combine(backend: SearchBackend) -> None:
    r = backend.search(Query(text="spullen", filters={"kind": ["social_firm"]}))
    assert ids(r) == ["initiative:4"]
    assert r.facets["kind"] == {"social_firm": 1}


def test_unknown_filter_value_matches_nothing(backend: SearchBackend) -> None:
    r = backend.search(Query(filters={"municipality": ["Atlantis"]}))
    assert r.total == 0 and all(not v for v in r.facets.values())


# -- sorting and pagination ---------------------------------------------------------------------------


def test_sort_by_deadline_soonest_first_and_missing_last(backend: SearchBackend) -> None:
    r = backend.search(Query(filters={"type": ["need"]}, sort="deadline", per_page=100))
    with_deadline = sorted(
        (d for d in CORPUS if d.type == "need" and d.deadline), key=lambda d: d.deadline or ""
    )
    assert ids(r)[: len(with_deadline)] == [d.id for d in with_deadline]
    assert set(ids(r)[len(with_deadline) :]) == {"need:14", "need:18"}


def test_sort_by_distance_nearest_first_and_without_coordinates_last(backend: SearchBackend) -> None:
    r = backend.search(Query(near=SOEST, sort="distance", per_page=100))
    located = [d for d in CORPUS if d.lat is not None]
    got = ids(r)
    assert set(got[: len(located)]) == {d.id for d in located}
    dists = [h.distance_km for h in r.hits[: len(located)]]
    assert all(x is not None for x in dists)
    assert dists == sorted(dists)  # type: ignore[type-var]
    assert got[0] in {"initiative:3", "need:14"} and dists[0] == pytest.approx(0.0, abs=0.05)
    assert set(got[len(located) :]) == {"initiative:6", "need:18"}
    far = next(h for h in r.hits if h.id == "need:17")
    assert far.distance_km == pytest.approx(km(SOEST, (52.070, 4.300)), rel=0.01)


def test_text_query_sorted_by_deadline(backend: SearchBackend) -> None:
    r = backend.search(Query(text="voedselbank", sort="deadline", filters={"type": ["need"]}))
    assert ids(r)[:2] == ["need:12", "need:11"]


def test_pagination_totals_and_pages(backend: SearchBackend) -> None:
    pages = [backend.search(Query(per_page=4, page=p)) for p in (1, 2, 3, 4, 5)]
    assert [p.total for p in pages] == [len(CORPUS)] * 5
    assert [len(p.hits) for p in pages] == [4, 4, 4, 2, 0]
    seen = [i for p in pages for i in ids(p)]
    assert sorted(seen) == sorted(d.id for d in CORPUS)
    assert pages[1].page == 2 and pages[1].per_page == 4


def test_per_page_is_clamped(backend: SearchBackend) -> None:
    assert backend.search(Query(per_page=0)).per_page == 1
    assert len(backend.search(Query(per_page=0)).hits) == 1
    assert backend.search(Query(per_page=10_000)).per_page == 100
    assert backend.search(Query(page=-3)).page == 1


# -- writes -------------------------------------------------------------------------------------------


def test_delete_removes_from_hits_counts_and_total(backend: SearchBackend) -> None:
    backend.delete(["need:11", "need:does-not-exist"])
    assert "need:11" not in ids(backend.search(Query(text="voedselbank")))
    r = backend.search(Query())
    assert r.total == len(CORPUS) - 1 == backend.count()
    assert r.facets["type"]["need"] == 7


def test_update_replaces_text_and_facets(backend: SearchBackend) -> None:
    old = BY_ID["initiative:3"]
    backend.upsert(
        [
            replace(
                old,
                title="Fietsenwerkplaats Soest",
                text="Fietsen maken.",
                municipality="Baarn",
                themes=("werk",),
            )
        ]
    )
    assert "initiative:3" not in ids(backend.search(Query(text="repair", filters={"type": ["initiative"]})))
    r = backend.search(Query(text="fietsenwerkplaats"))
    assert ids(r) == ["initiative:3"]
    assert r.facets["municipality"] == {"Baarn": 1}
    assert backend.search(Query(filters={"municipality": ["Soest"], "type": ["initiative"]})).total == 0
    assert backend.count() == len(CORPUS)


def test_insert_is_visible_at_once(backend: SearchBackend) -> None:
    new = Document(id="need:99", type="need", title="Moestuin zoekt tuinders", text="Zaaien en oogsten.",
                   kind="initiative", need_kinds=("hours",), themes=("gezondheidsbevordering",),
                   municipality="Soest")  # fmt: skip
    backend.upsert([new])
    assert ids(backend.search(Query(text="moestuin"))) == ["need:99"]
    assert backend.search(Query()).facets["themes"]["gezondheidsbevordering"] == 1


def test_reindex_replaces_everything(backend: SearchBackend) -> None:
    seen: list[int] = []
    n = backend.reindex(iter(CORPUS[:5]), total=5, progress=seen.append)
    assert n == 5 == backend.count()
    assert seen and seen[-1] == 5
    assert backend.search(Query(text="voedselbank", filters={"type": ["need"]})).total == 0


def test_health_reports_documents(backend: SearchBackend) -> None:
    h = backend.health()
    assert h["status"] == "ok" and h["backend"] == backend.name and h["documents"] == len(CORPUS)


# -- hostile input ------------------------------------------------------------------------------------

HOSTILE = [
    '"', '""', "'", "voedselbank\"", '"unbalanced phrase', "AND", "OR", "NOT", "voedselbank AND", "OR voedselbank",
    "NOT voedselbank", "NEAR(voedselbank noord, 2)", "voedsel*", "*", "^voedselbank", "title:voedselbank",
    "{title}: x", "(voedselbank", "voedselbank)", "()", "-", "--", "'; DROP TABLE docs; --",
    "1=1 OR ''='", "\\", "\\\"", "\x00", "🙂🍞🥖", "voedselbank 🙂", "ß ø æ ﬁ", "x" * 10_000, "voedselbank " * 1000,
    "\u202etekst", "%_%", "$1", "<script>alert(1)</script>",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:20]))
def test_hostile_queries_never_raise(backend: SearchBackend, text: str) -> None:
    r = backend.search(Query(text=text, filters={"municipality": ["Amsterdam", '"; DROP']}, sort="deadline"))
    assert isinstance(r, Result) and r.total >= 0
    for hit in r.hits:
        assert "<script>" not in hit.highlights["title"] + hit.highlights["text"]
    assert backend.count() == len(CORPUS)


def test_operator_words_are_plain_words(backend: SearchBackend) -> None:
    assert "initiative:1" in ids(backend.search(Query(text="voedselbank AND")))
    assert "initiative:1" in ids(backend.search(Query(text='"voedselbank')))


def test_a_deleted_word_is_corrected_instead_of_matched(backend: SearchBackend) -> None:
    backend.delete(["need:18"])  # the only document that really says "voedselbnk"
    found = ids(backend.search(Query(text="voedselbnk")))
    assert "need:18" not in found and {"initiative:1", "need:11"} <= set(found)


def test_payload_values_json_cannot_hold_come_back_as_text(empty_backend: SearchBackend) -> None:
    doc = replace(BY_ID["initiative:3"], payload={"since": date(2024, 5, 1), "open": 2, "tags": ["a"]})
    empty_backend.upsert([doc])
    hit = empty_backend.search(Query(text="repair")).hits[0]
    assert hit.document.payload == {"since": "2024-05-01", "open": 2, "tags": ["a"]}
