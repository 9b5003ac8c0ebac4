"""Officer decisions: own government only, reasons, one transaction, decisions stored."""

from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.db import unit_of_work
from marketplace.models import AuditEvent, Decision, Match
from marketplace.services import approvals, deliveries, pledges
from marketplace.services.approvals import Explanation
from marketplace.services.errors import Conflict, NotFound, ServiceError
from marketplace.services.lifecycle import transition
from tests.conftest import World


def test_officer_cannot_approve_match_of_other_government(world: World) -> None:
    m = world.pledge()
    with pytest.raises(NotFound):
        world.act(approvals.approve_match, actor=world.users["officer_b"], match_id=m.id)
    world.session.expire_all()
    assert world.session.get(Match, m.id).status == "proposed"  # type: ignore[union-attr]


@pytest.mark.parametrize("decide", [approvals.reject_match, approvals.request_changes])
def test_reject_and_changes_need_a_reason(world: World, decide: object) -> None:
    m = world.pledge()
    with pytest.raises(ServiceError) as info:
        world.act(decide, actor=world.users["officer_a"], match_id=m.id, reason="   ")
    assert info.value.field == "reason"
    world.session.expire_all()
    assert world.session.get(Match, m.id).status == "proposed"  # type: ignore[union-attr]
    assert world.session.exec(select(Decision)).all() == []


def test_a_decision_is_stored_with_the_features_shown(world: World) -> None:
    m = world.pledge()
    world.act(
        approvals.approve_match,
        actor=world.users["officer_a"],
        match_id=m.id,
        explain=lambda _m: Explanation(features={"theme_fit": 0.8}, score=0.7),
    )
    d = world.session.exec(select(Decision)).one()
    assert (d.outcome, d.features, d.score, d.company_kvk, d.building_block) == (
        "approved",
        {"theme_fit": 0.8},
        0.7,
        "11111111",
        "employee_hour",
    )


def test_approving_twice_is_a_conflict_and_writes_one_event(world: World) -> None:
    m = world.pledge()
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    with pytest.raises(Conflict):
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    events = world.session.exec(select(AuditEvent).where(AuditEvent.action == "match.approved")).all()
    assert len(events) == 1
    assert len(world.session.exec(select(Decision)).all()) == 1


def _resubmit_bigger(world: World, match_id: int, hours: int) -> None:
    """The officer asks for changes and the company answers with more hours: proposed again, new version."""
    world.act(
        approvals.request_changes, actor=world.users["officer_a"], match_id=match_id, reason="Meer uren?"
    )
    world.act(
        pledges.resubmit_pledge,
        actor=world.users["company_a"],
        match_id=match_id,
        req=pledges.PledgeRequest(contract_id=0, block_code="employee_hour", quantity=hours),
    )


def test_a_transition_on_a_stale_object_is_refused(world: World, app: Any) -> None:
    """Another session changed the pledge (and brought it back to proposed) after this one read it."""
    m = world.pledge(quantity=1)  # EUR 100
    with Session(app.extensions["srx.engine"], expire_on_commit=False) as other:
        stale = other.get(Match, m.id)
        assert stale is not None and stale.version == 1
        _resubmit_bigger(world, m.id or 0, 90)  # EUR 9,000, version 3, proposed again
        with pytest.raises(Conflict), unit_of_work(other):
            transition(other, stale, to="approved", actor=world.users["officer_a"], action="match.approved")
    world.session.expire_all()
    fresh = world.session.get(Match, m.id)
    assert fresh is not None and (fresh.status, fresh.version, fresh.value_cents) == ("proposed", 3, 900_000)
    assert world.session.exec(select(AuditEvent).where(AuditEvent.action == "match.approved")).all() == []


def test_a_decision_on_the_version_the_officer_no_longer_sees_is_refused(world: World) -> None:
    """The officer opened the pledge at EUR 100; the company resubmitted it at EUR 9,000; the old page is sent."""
    m = world.pledge(quantity=1)
    seen = m.version
    _resubmit_bigger(world, m.id or 0, 90)
    with pytest.raises(Conflict) as info:
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id, seen_version=seen)
    assert "changed since you opened it" in str(info.value)
    world.session.expire_all()
    assert world.session.get(Match, m.id).status == "proposed"  # type: ignore[union-attr]
    assert world.session.exec(select(Decision).where(Decision.outcome == "approved")).all() == []


def test_by_agreement_needs_an_agreed_value(world: World) -> None:
    m = world.pledge(need_id=world.need_money.id, block_code="maatwerk_agreement", quantity=300_000)
    with pytest.raises(ServiceError):
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    m = world.act(
        approvals.approve_match, actor=world.users["officer_a"], match_id=m.id, agreed_value_cents=250_000
    )
    assert m.value_cents == 250_000 and m.breakdown[0]["params"]["agreed"] is True


def test_only_the_receiving_initiative_confirms_delivery(world: World) -> None:
    m = world.pledge()
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    for who in ("initiative_b", "firm_a", "company_a", "officer_a"):
        with pytest.raises(NotFound):
            world.act(deliveries.confirm_delivery, actor=world.users[who], match_id=m.id)
    assert (
        world.act(deliveries.confirm_delivery, actor=world.users["initiative_a"], match_id=m.id).status
        == "delivered"
    )


def test_a_proposed_match_cannot_be_delivered_and_an_approved_one_cannot_be_cancelled(world: World) -> None:
    m = world.pledge()
    with pytest.raises(Conflict):
        world.act(deliveries.confirm_delivery, actor=world.users["initiative_a"], match_id=m.id)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    with pytest.raises(Conflict):
        world.act(pledges.cancel_pledge, actor=world.users["company_a"], match_id=m.id)


def test_of_two_officers_deciding_at_once_the_second_is_refused_before_anything_is_computed(
    world: World, app: Any, db_kind: str
) -> None:
    """The second officer waits for the first one's row lock, then reads "approved": 409, no features computed."""
    if db_kind != "postgres":
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    import threading

    from marketplace.models import User

    m = world.pledge()
    officer_id = world.users["officer_a"].id
    engine = app.extensions["srx.engine"]
    computed: list[int] = []
    refused: list[Conflict] = []
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        approvals.approve_match(first, actor=first.get(User, officer_id), match_id=m.id)  # type: ignore[arg-type]
        first.flush()  # holds the pledge's row lock until it commits

        def later_officer() -> None:
            try:
                with unit_of_work(second):
                    approvals.approve_match(
                        second,
                        actor=second.get(User, officer_id),  # type: ignore[arg-type]
                        match_id=m.id or 0,
                        explain=lambda match: computed.append(match.id or 0) or Explanation(),  # type: ignore[func-returns-value]
                    )
            except Conflict as exc:
                refused.append(exc)

        other = threading.Thread(target=later_officer)
        other.start()
        other.join(0.5)  # let it reach the pledge (and wait there) before the first officer commits
        first.commit()
        other.join(30)
    assert len(refused) == 1 and computed == []
    assert len(world.session.exec(select(Decision).where(Decision.match_id == m.id)).all()) == 1
