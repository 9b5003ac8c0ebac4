"""Public API: search with facets and typo tolerance, 503 when the index is down, initiative profiles."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import HandprintScore
from marketplace.search_sync import get_backend, reindex
from search import SearchError, SearchUnavailable
from tests.api.conftest import problem_of
from tests.conftest import World


@pytest.fixture
def indexed(app: Any, db_session: Any, world: World) -> World:
    reindex(db_session, get_backend(app))
    return world


def test_search_finds_through_a_typo_and_counts_facets(api: Any, indexed: World) -> None:
    response = api.get("/api/v1/search?q=voedselbnk")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 1
    top = body["hits"][0]
    assert top["title"] == "Voedselbank Aastad" and top["type"] == "initiative"
    assert top["url"].endswith("/initiatives/voedselbank-aastad")
    assert "<mark>" in top["highlights"]["title"]
    assert top["municipality"] == "Aastad" and "armoedebestrijding" in top["themes"]
    assert {"id", "score", "kind", "need_kinds", "deadline"} <= set(top)
    assert body["facets"]["municipality"]["Aastad"] >= 1
    assert "type" in body["facets"] and "themes" in body["facets"]


def test_search_filters_and_pages(api: Any, indexed: World) -> None:
    everything = api.get("/api/v1/search").get_json()
    assert everything["total"] == 3 + 4  # three initiatives and four open needs
    beedorp = api.get("/api/v1/search?municipality=Beedorp").get_json()
    assert beedorp["total"] == 2 and {h["municipality"] for h in beedorp["hits"]} == {"Beedorp"}
    needs = api.get("/api/v1/search?type=need&need_kind=hours").get_json()
    assert {h["title"] for h in needs["hits"]} == {"Chauffeurs", "Taalmaatjes"}
    assert all(h["need"]["reference"] for h in needs["hits"])
    firms = api.get("/api/v1/search?kind=social_firm&type=initiative").get_json()
    assert [h["title"] for h in firms["hits"]] == ["Fietsfirma Aastad"]
    paged = api.get("/api/v1/search?per_page=2&page=2").get_json()
    assert paged["page"] == 2 and paged["per_page"] == 2 and len(paged["hits"]) == 2
    far = api.get("/api/v1/search?page=20000").get_json()
    assert far["page"] == 20000 and far["hits"] == []
    assert problem_of(api.get("/api/v1/search?page=x"), 400)["field"] == "page"
    assert api.get("/api/v1/search?sort=bogus&q=" + "a" * 10_000).status_code == 200


@pytest.mark.parametrize("error", [SearchError("boom"), SearchUnavailable("down")])
def test_search_down_is_503_problem(
    app: Any, api: Any, world: World, monkeypatch: Any, error: Exception
) -> None:
    backend = get_backend(app)

    def fail(query: Any) -> Any:
        raise error

    monkeypatch.setattr(backend, "search", fail)
    response = api.get("/api/v1/search?q=voedselbank")
    problem = problem_of(response, 503)
    assert "search" in problem["detail"].lower() or "zoeken" in problem["detail"].lower()
    assert response.headers["Retry-After"]


def test_initiative_profile_hides_the_yearly_value(api: Any, world: World, db_session: Any) -> None:
    score = db_session.exec(
        select(HandprintScore).where(HandprintScore.initiative_id == world.ini_a.id)
    ).one()
    score.yearly_value_cents = 12_345_600
    score.indicator = "kilo's voedsel"
    db_session.add(score)
    db_session.commit()
    response = api.get("/api/v1/initiatives/voedselbank-aastad")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Voedselbank Aastad"
    assert body["handprint"] == [{"theme": "armoedebestrijding", "score": 80, "indicator": "kilo's voedsel"}]
    assert "12345600" not in response.get_data(as_text=True)
    assert {n["reference"]: n["open_quantity"] for n in body["needs"]} == {"vb-1": 100, "vb-2": 500_000}
    assert body["eligible_for"] == [{"slug": "gov-a", "name": "Gemeente Aastad"}]


def test_initiative_open_capacity_follows_pledges(api: Any, world: World) -> None:
    world.pledge(quantity=30)
    needs = api.get("/api/v1/initiatives/voedselbank-aastad").get_json()["needs"]
    assert {n["reference"]: n["open_quantity"] for n in needs}["vb-1"] == 70


def test_unpublished_or_unknown_initiative_is_404(api: Any, world: World, db_session: Any) -> None:
    world.ini_b.published = False
    db_session.add(world.ini_b)
    db_session.commit()
    problem_of(api.get("/api/v1/initiatives/taalcafe-beedorp"), 404)
    problem_of(api.get("/api/v1/initiatives/nope"), 404)


def test_public_routes_need_no_login(api: Any, world: World) -> None:
    for url in ("/api/v1/search", "/api/v1/initiatives/voedselbank-aastad", "/api/openapi.json"):
        assert api.get(url).status_code == 200, url


def test_initiative_profile_has_only_the_published_contact_details(
    api: Any, world: World, db_session: Any
) -> None:
    assert api.get("/api/v1/initiatives/voedselbank-aastad").get_json()["contact"] == {}
    world.ini_a.website = "https://voedselbank-aastad.example"
    world.ini_a.contact_email = "info@voedselbank-aastad.example"
    world.ini_a.contact_phone = ""  # left empty: not published
    db_session.add(world.ini_a)
    db_session.commit()
    body = api.get("/api/v1/initiatives/voedselbank-aastad").get_json()
    assert body["contact"] == {
        "website": "https://voedselbank-aastad.example",
        "email": "info@voedselbank-aastad.example",
    }
