"""Finding 8: with plain SQL an approval was re-attributed to the admin, an event deleted and a decision
flipped, and nothing showed it. Audit events and decisions now form one keyed hash chain; `srx audit verify`
names the first broken link (exit 1) or says OK with the count, and the admin page shows the last run.

Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""

import threading
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from marketplace.cli import audit_verify
from marketplace.db import unit_of_work
from marketplace.models import AuditEvent, AuditVerification, Decision
from marketplace.services import approvals
from marketplace.services.audit import record
from tests.conftest import World


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def verify(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(audit_verify, list(args))


def history(world: World) -> Decision:
    """A pledge, a change request, a resubmission... here simply: two pledges, one approved, one rejected."""
    approved = world.pledge(quantity=5)
    rejected = world.pledge(quantity=7)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=approved.id)
    world.act(approvals.reject_match, actor=world.users["officer_a"], match_id=rejected.id, reason="Te vaag")
    decision = world.session.exec(select(Decision).where(Decision.match_id == approved.id)).one()
    return decision


def sql(world: World, statement: str, **params: Any) -> None:
    world.session.execute(text(statement), params)
    world.session.commit()


def test_an_untouched_trail_verifies_with_its_count(app: Any, world: World) -> None:
    history(world)
    events = len(world.session.exec(select(AuditEvent)).all())
    decisions = len(world.session.exec(select(Decision)).all())
    done = verify(app)
    assert done.exit_code == 0, done.output
    assert f"OK: {events + decisions} rows in the chain" in done.output


def test_re_attributing_an_approval_names_that_row(app: Any, world: World) -> None:
    history(world)
    event = world.session.exec(select(AuditEvent).where(AuditEvent.action == "match.approved")).one()
    sql(
        world,
        "UPDATE auditevent SET actor_id = :admin WHERE id = :id",
        admin=world.users["admin"].id,
        id=event.id,
    )
    done = verify(app)
    assert done.exit_code == 1
    assert f"auditevent #{event.id}" in done.output and "content was changed" in done.output


def test_flipping_a_decision_names_that_decision(app: Any, world: World) -> None:
    decision = history(world)
    sql(world, "UPDATE decision SET outcome = 'rejected' WHERE id = :id", id=decision.id)
    done = verify(app)
    assert done.exit_code == 1 and f"decision #{decision.id}" in done.output


def test_deleting_an_event_names_the_row_after_the_gap(app: Any, world: World) -> None:
    history(world)
    events = world.session.exec(select(AuditEvent).order_by(col(AuditEvent.chain_seq))).all()
    gone, after = events[1], events[2]
    # What points at the event (a notification) is unhooked first, as an attacker would have to.
    sql(world, "UPDATE notification SET event_id = NULL WHERE event_id = :id", id=gone.id)
    sql(world, "DELETE FROM auditevent WHERE id = :id", id=gone.id)
    done = verify(app)
    assert done.exit_code == 1
    assert f"auditevent #{after.id}" in done.output and f"position {gone.chain_seq} is missing" in done.output


def test_the_first_broken_link_is_named_when_there_are_several(app: Any, world: World) -> None:
    decision = history(world)
    first = world.session.exec(select(AuditEvent).order_by(col(AuditEvent.chain_seq))).first()
    assert first is not None and first.chain_seq < (decision.chain_seq or 0)
    sql(world, "UPDATE decision SET reason = 'anders' WHERE id = :id", id=decision.id)
    sql(world, "UPDATE auditevent SET reason = 'anders' WHERE id = :id", id=first.id)
    done = verify(app)
    assert f"auditevent #{first.id}" in done.output and f"decision #{decision.id}" not in done.output


def test_removing_the_newest_rows_and_the_head_shows_against_the_last_verification(
    app: Any, world: World
) -> None:
    history(world)
    assert verify(app).exit_code == 0
    rows: list[Any] = [
        *world.session.exec(select(AuditEvent)).all(),
        *world.session.exec(select(Decision)).all(),
    ]
    last = max(rows, key=lambda r: r.chain_seq)
    # The attacker removes the newest row and moves the head back to the row before it.
    if last.__tablename__ == "auditevent":
        sql(world, "UPDATE notification SET event_id = NULL WHERE event_id = :id", id=last.id)
    sql(world, f"DELETE FROM {last.__tablename__} WHERE id = :id", id=last.id)
    sql(
        world,
        "UPDATE auditchainhead SET seq = :s, hash = :h",
        s=(last.chain_seq or 0) - 1,
        h=last.prev_hash,
    )
    done = verify(app)
    assert done.exit_code == 1 and f"position {last.chain_seq} of the verification" in done.output


def test_a_head_kept_elsewhere_detects_rewriting(app: Any, world: World) -> None:
    history(world)
    done = verify(app)
    head = done.output.strip().rsplit("Head: ", 1)[1]
    assert verify(app, "--expect-head", head).exit_code == 0
    seq, digest = head.split(":")
    assert verify(app, "--expect-head", f"{seq}:{'0' * 64}").exit_code == 1


def test_the_admin_page_shows_the_last_verification(
    app: Any, client: Any, login_as: Any, world: World
) -> None:
    login_as(world.users["admin"])
    assert "never verified" in client.get("/admin/").get_data(as_text=True)
    history(world)
    verify(app)
    html = client.get("/admin/").get_data(as_text=True)
    assert "Intact" in html and "rows." in html
    event = world.session.exec(select(AuditEvent).where(AuditEvent.action == "match.approved")).one()
    sql(world, "UPDATE auditevent SET actor_id = NULL WHERE id = :id", id=event.id)
    verify(app)
    html = client.get("/admin/").get_data(as_text=True)
    assert "Broken" in html and f"auditevent #{event.id}" in html
    stored = world.session.exec(select(AuditVerification)).all()
    assert [v.ok for v in stored] == [True, False]


def test_concurrent_writers_do_not_fork_the_chain(app: Any, world: World) -> None:
    engine = app.extensions["srx.engine"]
    actor = world.users["company_a"]
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(5):
                with Session(engine, expire_on_commit=False) as session, unit_of_work(session):
                    record(
                        session, actor=actor, action="test.write", entity_type="test", entity_id=n * 100 + i
                    )
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    done = verify(app)
    assert done.exit_code == 0, done.output
    assert "OK: 20 rows" in done.output


def test_rows_get_their_place_in_the_chain_as_the_transaction_commits(app: Any, world: World) -> None:
    engine = app.extensions["srx.engine"]
    actor = world.users["company_a"]
    with Session(engine, expire_on_commit=False) as session:
        kept = record(session, actor=actor, action="test.kept", entity_type="test", entity_id=1)
        session.flush()
        assert kept.id is not None and kept.chain_seq is None  # written, not yet chained
        savepoint = session.begin_nested()
        dropped = record(session, actor=actor, action="test.dropped", entity_type="test", entity_id=2)
        session.flush()
        savepoint.rollback()
        later = record(session, actor=actor, action="test.later", entity_type="test", entity_id=3)
        session.commit()
        assert dropped not in session
        assert kept.chain_seq is not None and later.chain_seq == kept.chain_seq + 1
        assert later.prev_hash == kept.row_hash
    done = verify(app)
    assert done.exit_code == 0, done.output


def test_a_row_is_hashed_as_it_was_written_not_as_its_objects_are_later(app: Any, world: World) -> None:
    """A caller's dict changed in place after the insert is not in the row: the hash must not cover it."""
    engine = app.extensions["srx.engine"]
    after = {"status": "approved"}
    with Session(engine, expire_on_commit=False) as session:
        event = record(session, actor=None, action="test.dict", entity_type="test", entity_id=1, after=after)
        session.flush()
        after["status"] = "rejected"  # in place: SQLAlchemy does not write this
        renamed = record(session, actor=None, action="test.renamed", entity_type="test", entity_id=2)
        session.flush()
        renamed.reason = "set after the insert"  # assigned: SQLAlchemy writes this
        session.commit()
    assert event.chain_seq is not None
    done = verify(app)
    assert done.exit_code == 0, done.output


def test_a_row_written_without_a_place_in_the_chain_is_named(app: Any, world: World) -> None:
    history(world)
    sql(
        world,
        "INSERT INTO auditevent (at, action, entity_type, entity_id, reason, prev_hash, row_hash) "
        "VALUES (CURRENT_TIMESTAMP, 'forged.event', 'match', 1, '', '', '')",
    )
    forged = world.session.exec(select(AuditEvent).where(AuditEvent.action == "forged.event")).one()
    done = verify(app)
    assert done.exit_code == 1
    assert f"auditevent #{forged.id}: it has no position in the chain" in done.output


def test_a_writer_mid_request_does_not_hold_up_the_others(app: Any, world: World, db_kind: str) -> None:
    """Two officers' requests at once: the one still working does not block the one that commits."""
    if db_kind != "postgres":
        pytest.skip(
            "SQLite lets one writer in at a time whatever the chain does; the row lock is PostgreSQL's"
        )
    engine = app.extensions["srx.engine"]
    actor = world.users["company_a"]
    with Session(engine, expire_on_commit=False) as slow:
        record(slow, actor=actor, action="test.slow", entity_type="test", entity_id=1)
        slow.flush()  # its event is written; the request goes on (notifications, the answer)
        with Session(engine, expire_on_commit=False) as quick:
            quick.execute(text("SET LOCAL lock_timeout = '2s'"))
            record(quick, actor=actor, action="test.quick", entity_type="test", entity_id=2)
            quick.commit()  # with the chain's lock taken at the first flush, this waited and timed out
        slow.commit()
    done = verify(app)
    assert done.exit_code == 0, done.output
    rows = world.session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action).in_(["test.slow", "test.quick"]))
        .order_by(col(AuditEvent.chain_seq))
    ).all()
    assert [r.action for r in rows] == ["test.quick", "test.slow"]  # chained in the order they committed


def test_the_migration_chains_the_rows_that_were_there(app: Any, tmp_path: Any) -> None:
    from sqlmodel import create_engine

    from marketplace.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    with app.app_context():
        upgrade("0007", url=url)
        engine = create_engine(url)
        with engine.begin() as conn:
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO auditevent (at, action, entity_type, entity_id, reason) "
                        "VALUES (:at, 'old.event', 'match', :i, '')"
                    ),
                    {"at": f"2026-01-0{i + 1} 10:00:00.000000", "i": i},
                )
        upgrade("head", url=url)
        with engine.connect() as conn:
            from marketplace import audit_chain

            result = audit_chain.verify(conn, audit_chain.key_for(conn))
            assert result.ok and result.rows == 3, result.message
            conn.execute(text("UPDATE auditevent SET entity_id = 99 WHERE entity_id = 1"))
            assert not audit_chain.verify(conn, audit_chain.key_for(conn)).ok
        engine.dispose()
