"""With SEARCH_SYNC_QUEUE the search outbox is applied by a job on the queue, not by the request."""

from typing import Any

from sqlmodel import Session

from marketplace import jobs
from marketplace.search_sync import get_backend, pending_count, reindex
from marketplace.services import needs
from search import Query
from tests.conftest import World


def _titles(backend: Any, text: str) -> list[str]:
    return [h.document.title for h in backend.search(Query(text=text)).hits]


def _new_need(app: Any, world: World, title: str) -> None:
    with app.test_request_context():
        world.act(
            needs.create_need,
            actor=world.users["initiative_a"],
            data=needs.NeedInput(kind="hours", title=title, quantity=20, unit="hours"),
        )


def test_the_queue_applies_index_changes_after_the_commit(
    app: Any, db_session: Session, world: World
) -> None:
    backend = get_backend(app)
    reindex(db_session, backend)
    app.config["SEARCH_SYNC_QUEUE"] = True
    jobs.huey.immediate = False
    jobs.huey.storage = jobs.huey.get_immediate_storage()  # a queue in memory that nobody consumes yet
    try:
        _new_need(app, world, "Fietsenmakers gezocht")
        assert "Fietsenmakers gezocht" not in _titles(backend, "fietsenmakers")  # not applied in the request
        assert pending_count(db_session) > 0
        assert [t.name for t in [jobs.huey.dequeue()]] == ["search_sync"]
        with app.app_context():
            assert jobs.search_sync.call_local()[1] == 0
    finally:
        jobs.huey.immediate = True
    assert "Fietsenmakers gezocht" in _titles(backend, "fietsenmakers")
    assert pending_count(db_session) == 0


def test_the_sweep_catches_up_what_a_lost_job_left(app: Any, db_session: Session, world: World) -> None:
    backend = get_backend(app)
    reindex(db_session, backend)
    app.config["SEARCH_SYNC_QUEUE"] = True
    jobs.huey.immediate = False
    jobs.huey.storage = jobs.huey.get_immediate_storage()
    try:
        _new_need(app, world, "Taalmaatjes voor de bibliotheek")
        jobs.huey.flush()  # the queue lost the job (Redis restarted without persistence)
    finally:
        jobs.huey.immediate = True
    assert pending_count(db_session) > 0
    with app.app_context():
        jobs.search_sync_sweep.call_local()
    assert "Taalmaatjes voor de bibliotheek" in _titles(backend, "taalmaatjes")
