"""Pledging rules: values frozen from the table version, capacity, eligibility, who may pledge."""

import threading
from datetime import date

import pytest
from sqlmodel import Session, select

from marketplace.db import unit_of_work
from marketplace.models import AuditEvent, BuildingBlock, Match
from marketplace.queries import contract_totals
from marketplace.services import approvals, deliveries, pledges
from marketplace.services.errors import Conflict, NotFound, ServiceError
from tests.conftest import World, placement


def test_pledge_is_valued_from_the_contracts_table_and_recorded(world: World) -> None:
    match = world.pledge(quantity=40)
    assert match.status == "proposed"
    assert match.value_cents == 400_000  # 40 h x EUR 100
    assert match.table_id == world.table_a.id
    events = world.session.exec(select(AuditEvent).where(AuditEvent.entity_id == match.id)).all()
    assert [e.action for e in events] == ["match.pledged"]


def test_editing_the_table_later_does_not_change_a_pledged_value(world: World) -> None:
    match = world.pledge(quantity=40)
    block = world.session.exec(
        select(BuildingBlock).where(
            BuildingBlock.table_id == world.table_a.id, BuildingBlock.code == "employee_hour"
        )
    ).one()
    block.value_cents = 99_999
    world.session.add(block)
    world.session.commit()
    world.session.expire_all()
    assert world.session.get(Match, match.id).value_cents == 400_000  # type: ignore[union-attr]


def test_a_need_cannot_be_pledged_beyond_its_open_capacity(world: World) -> None:
    world.pledge(quantity=70)
    with pytest.raises(ServiceError) as info:
        world.pledge(quantity=31)
    assert info.value.field == "quantity" and info.value.params["open"] == 30
    assert len(world.session.exec(select(Match)).all()) == 1


def test_cancelled_and_rejected_pledges_free_their_capacity(world: World) -> None:
    m1 = world.pledge(quantity=60)
    m2 = world.pledge(quantity=40)
    world.act(pledges.cancel_pledge, actor=world.users["company_a"], match_id=m1.id)
    world.act(approvals.reject_match, actor=world.users["officer_a"], match_id=m2.id, reason="niet passend")
    assert world.pledge(quantity=100).status == "proposed"


def test_only_eligible_initiatives_can_receive_pledges(world: World) -> None:
    # ini_b counts for gov_b only; company_a's contract is with gov_a.
    with pytest.raises(ServiceError) as info:
        world.pledge(need_id=world.need_b.id, quantity=5)
    assert "does not count" in str(info.value)


def test_a_company_cannot_pledge_on_another_companys_contract(world: World) -> None:
    with pytest.raises(NotFound):
        world.pledge(actor=world.users["company_b"])


def test_unknown_block_and_incompatible_block_are_refused(world: World) -> None:
    with pytest.raises(ServiceError) as info:
        world.pledge(block_code="no_such_block")
    assert info.value.field == "block"
    with pytest.raises(ServiceError) as info:
        world.pledge(block_code="donation_initiative", quantity=1000)  # euro block on an hours need
    assert info.value.field == "block"


@pytest.mark.parametrize("quantity", [0, -5, 10**12, None])
def test_absurd_quantities_are_refused_and_nothing_is_stored(world: World, quantity: int | None) -> None:
    with pytest.raises(ServiceError):
        world.pledge(quantity=quantity)
    assert world.session.exec(select(Match)).all() == []


def test_double_submit_with_the_same_key_stores_one_match(world: World) -> None:
    world.pledge(quantity=5, submission_key="k-1")
    with pytest.raises(Conflict):
        world.pledge(quantity=5, submission_key="k-1")
    assert len(world.session.exec(select(Match)).all()) == 1


def test_purchase_counts_only_from_a_social_firm(world: World) -> None:
    m = world.pledge(
        need_id=None, initiative_id=world.firm_a.id, block_code="purchase_social_firm", quantity=1_200_000
    )
    assert m.value_cents == 1_200_000
    with pytest.raises(ServiceError):
        world.pledge(
            need_id=None, initiative_id=world.ini_a.id, block_code="purchase_social_firm", quantity=100
        )


def test_hiring_without_an_initiative_with_bonus(world: World) -> None:
    # Half a year at 18 h/week of a Participatiewet hire aged 52: (40,000 + 10,000) x 18/36 x 6/12 = 12,500.
    m = world.pledge(
        need_id=None,
        block_code="participatiewet",
        quantity=None,
        placement=placement(hours=18, start=date(2025, 4, 1), end=date(2025, 9, 30), age_band="50_54"),
    )
    assert m.value_cents == 1_250_000 and m.initiative_id is None
    assert m.bonus_codes == ["bonus_50plus"]


def test_full_lifecycle_moves_the_totals_exactly(world: World) -> None:
    s = world.session
    m = world.pledge(quantity=40)
    t = contract_totals(s, [world.contract_a])[world.contract_a.id]
    assert (t.obligation_cents, t.pending_cents, t.committed_cents, t.remaining_cents) == (
        10_000_000,
        400_000,
        0,
        10_000_000,
    )
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    t = contract_totals(s, [world.contract_a])[world.contract_a.id]
    assert (t.pending_cents, t.committed_cents, t.remaining_cents, t.realised_cents) == (
        0,
        400_000,
        9_600_000,
        0,
    )
    world.act(deliveries.confirm_delivery, actor=world.users["initiative_a"], match_id=m.id, note="ontvangen")
    t = contract_totals(s, [world.contract_a])[world.contract_a.id]
    assert (t.committed_cents, t.realised_cents) == (400_000, 400_000)
    actions = [
        e.action
        for e in s.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "match", AuditEvent.entity_id == m.id)
            .order_by(AuditEvent.id)
        ).all()
    ]
    assert actions == ["match.pledged", "match.approved", "match.delivered"]


def test_change_request_and_resubmission(world: World) -> None:
    m = world.pledge(quantity=40)
    world.act(
        approvals.request_changes, actor=world.users["officer_a"], match_id=m.id, reason="Minder uren graag"
    )
    m = world.act(
        pledges.resubmit_pledge,
        actor=world.users["company_a"],
        match_id=m.id,
        req=pledges.PledgeRequest(contract_id=0, block_code="employee_hour", quantity=20),
    )
    assert (m.status, m.value_cents) == ("proposed", 200_000)


def test_small_contract_counts_one_social_activity(world: World) -> None:
    t = contract_totals(world.session, [world.small_contract])[world.small_contract.id]
    assert t.small_contract and t.activities_required == 1 and t.progress_pct == 0
    m = world.pledge(contract_id=world.small_contract.id, quantity=8)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    t = contract_totals(world.session, [world.small_contract])[world.small_contract.id]
    assert t.activities_committed == 1 and t.progress_pct == 100


def test_concurrent_pledges_never_exceed_capacity(world: World, app: object) -> None:
    """Two companies race with eight requests for a need of 100 hours, 30 hours each: exactly 3 win."""
    from marketplace.services import eligibility

    # The food bank counts for both governments, so both companies may pledge to it.
    world.act(
        eligibility.set_eligibility,
        actor=world.users["officer_b"],
        initiative_id=world.ini_a.id,
        eligible=True,
    )
    engine = app.extensions["srx.engine"]  # type: ignore[attr-defined]
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()
    need_id = world.need_hours.id
    racers = [
        (world.users["company_a"], world.contract_a.id),
        (world.users["company_b"], world.contract_b.id),
    ] * 4

    def attempt(actor: object, contract_id: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                with unit_of_work(session):
                    pledges.create_pledge(
                        session,
                        actor=actor,
                        req=pledges.PledgeRequest(  # type: ignore[arg-type]
                            contract_id=contract_id, block_code="employee_hour", quantity=30, need_id=need_id
                        ),
                    )
                result = "ok"
            except ServiceError:
                result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=racer) for racer in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    world.session.expire_all()
    held = sum(m.quantity for m in world.session.exec(select(Match).where(Match.need_id == need_id)).all())
    assert held == 90
