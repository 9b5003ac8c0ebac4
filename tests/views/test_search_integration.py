"""The database is the source of truth: outbox rows, catch-up after an outage, fallbacks."""

from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.models import Outbox
from marketplace.search_sync import get_backend, pending_count, reindex, sync_pending
from marketplace.services import eligibility, needs
from search import Query, SearchUnavailable
from tests.conftest import World


@pytest.fixture
def indexed(app: Any, db_session: Session, world: World) -> Any:
    backend = get_backend(app)
    reindex(db_session, backend)
    return backend


def _titles(backend: Any, text: str, **filters: list[str]) -> list[str]:
    return [h.document.title for h in backend.search(Query(text=text, filters=filters)).hits]


def test_a_change_writes_an_outbox_row_in_its_transaction(app: Any, world: World, indexed: Any) -> None:
    app.config["SEARCH_SYNC_INLINE"] = False  # as in production with a separate sync: rows wait in the outbox
    with app.test_request_context():
        world.act(
            needs.create_need,
            actor=world.users["initiative_a"],
            data=needs.NeedInput(kind="hours", title="Fietsenmakers gezocht", quantity=20, unit="hours"),
        )
    rows = world.session.exec(select(Outbox).where(Outbox.processed_at.is_(None))).all()  # type: ignore[union-attr]
    assert {(r.entity_type, r.entity_id) for r in rows} >= {("initiative", world.ini_a.id)}
    assert "Fietsenmakers gezocht" not in _titles(indexed, "fietsenmakers")
    assert sync_pending(world.session, indexed) == (len(rows), 0)
    assert "Fietsenmakers gezocht" in _titles(indexed, "fietsenmakers")


def test_changes_made_while_the_index_is_down_are_applied_when_it_is_back(
    app: Any, world: World, indexed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: Any, **_kw: Any) -> None:
        raise SearchUnavailable("connection refused")

    real_upsert = indexed.upsert
    monkeypatch.setattr(indexed, "upsert", down)
    app.config["SEARCH_SYNC_INLINE"] = False
    with app.test_request_context():
        world.act(
            needs.create_need,
            actor=world.users["initiative_a"],
            data=needs.NeedInput(
                kind="goods", title="Koelkast voor de uitgifte", quantity=80_000, unit="cents"
            ),
        )
        world.act(
            eligibility.set_eligibility,
            actor=world.users["officer_b"],
            initiative_id=world.ini_a.id,
            eligible=True,
        )
    applied, pending = sync_pending(world.session, indexed)
    assert applied == 0 and pending >= 2
    assert pending_count(world.session) == pending
    rows = world.session.exec(select(Outbox).where(Outbox.processed_at.is_(None))).all()  # type: ignore[union-attr]
    assert all(r.attempts == 1 and "refused" in r.last_error for r in rows)

    monkeypatch.setattr(indexed, "upsert", real_upsert)
    assert sync_pending(world.session, indexed) == (pending, 0)
    assert "Koelkast voor de uitgifte" in _titles(indexed, "koelkast")
    assert "Voedselbank Aastad" in _titles(indexed, "voedselbank", eligible_for=["gov-b"])
    assert pending_count(world.session) == 0


def test_a_closed_need_leaves_the_index(app: Any, world: World, indexed: Any) -> None:
    assert "Chauffeurs" in _titles(indexed, "chauffeurs")
    with app.test_request_context():
        needs.set_need_status(
            world.session, actor=world.users["initiative_a"], need_id=world.need_hours.id, status="closed"
        )
    sync_pending(world.session, indexed)
    assert "Chauffeurs" not in _titles(indexed, "chauffeurs")


def test_inline_sync_after_a_form_post(client: Any, login_as: Any, world: World, indexed: Any) -> None:
    login_as(world.users["initiative_a"])
    response = client.post(
        "/initiative/needs/new",
        data={
            "kind": "expertise",
            "title": "Boekhouder voor de jaarrekening",
            "quantity": "16",
            "unit": "hours",
        },
    )
    assert response.status_code == 302
    assert "Boekhouder voor de jaarrekening" in _titles(indexed, "boekhouder")


def test_catalogue_falls_back_to_the_database_when_search_is_down(
    client: Any, world: World, indexed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(_query: Any) -> Any:
        raise SearchUnavailable("timeout")

    monkeypatch.setattr(indexed, "search", down)
    monkeypatch.setattr(
        indexed, "health", lambda: {"status": "down", "backend": "meili", "detail": "timeout"}
    )
    response = client.get("/catalogue?q=Voedselbank")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Search is temporarily limited" in html and "Voedselbank Aastad" in html
    assert client.get("/healthz").get_json() == {"status": "degraded"}


@pytest.mark.parametrize(
    "q", ['"', "NEAR(a b)", "voedsel*", "^x", "'; DROP TABLE need; --", "🍲" * 50, "a" * 10_000, "AND OR NOT"]
)
def test_hostile_queries_never_break_the_catalogue(client: Any, world: World, indexed: Any, q: str) -> None:
    # A query past 500 characters is refused beside the search box (400), like every list's bad filter.
    assert client.get("/catalogue", query_string={"q": q}).status_code == (400 if len(q) > 500 else 200)


def test_catalogue_facets_and_typo(client: Any, world: World, indexed: Any) -> None:
    html = client.get("/catalogue?q=voedselbnk").get_data(as_text=True)
    assert "<mark>" in html and "Voedselbank Aastad" in html
    html = client.get("/catalogue?government=gov-b").get_data(as_text=True)
    assert "Taalcafé Beedorp" in html and "Voedselbank Aastad" not in html
