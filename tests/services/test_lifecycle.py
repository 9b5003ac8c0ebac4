"""The life of a contract from award to settlement (issue 9): plan van aanpak, realisation reports with
evidence, the end date, recovery, settlement; the totals' order verified <= reported <= committed."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

from marketplace.models import AuditEvent, Contract, Evidence, Match, RealisationReport
from marketplace.progress import Change, Pace, forecast, periods
from marketplace.queries import contract_totals
from marketplace.queries_lifecycle import periodic_check, progress_of, risk_overview
from marketplace.services import approvals, plans, reports, retention, revisions, settlements
from marketplace.services.errors import Conflict, NotFound, ServiceError
from marketplace.services.pledges import PledgeRequest, create_pledge
from marketplace.services.revisions import RevisionInput
from marketplace.storage import LocalStorage
from tests.conftest import PDF, PNG, TEST_POLICY, World

MAX = 10_000_000


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "evidence")


def _contract(
    world: World, ref: str, *, award: date, end: date, sum_cents: int = 13_000_000, status: str = "plan_due"
) -> Contract:
    """A contract of company_a at gov_a: EUR 130,000 gives an obligation of EUR 6,500 (65 employee hours)."""
    c = Contract(
        reference=ref,
        government_id=world.gov_a.id or 0,
        company_id=world.company_a.id or 0,
        title=ref,
        sum_cents=sum_cents,
        award_date=award,
        end_date=end,
        table_id=world.table_a.id or 0,
        policy=TEST_POLICY.as_dict(),
        status=status,
        plan_due_on=award + timedelta(days=7),
    )
    world.session.add(c)
    world.session.commit()
    return c


def _hours(world: World, c: Contract, hours: int) -> Match:
    """An approved pledge of `hours` employee hours (EUR 100 each) on need_hours."""
    m = world.act(
        create_pledge,
        actor=world.users["company_a"],
        today=c.award_date,
        req=PledgeRequest(
            contract_id=c.id or 0, block_code="employee_hour", quantity=hours, need_id=world.need_hours.id
        ),
    )
    return world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)


def _report(
    world: World,
    store: Any,
    match: Match,
    start: date,
    quantity: int,
    *,
    today: date,
    files: tuple[reports.EvidenceFile, ...] | None = None,
) -> RealisationReport:
    return world.act(
        reports.submit_report,
        actor=world.users["company_a"],
        store=store,
        max_bytes=MAX,
        today=today,
        data=reports.ReportInput(
            match_id=match.id or 0,
            period_start=start,
            quantity=quantity,
            files=files if files is not None else (reports.EvidenceFile("invoice", "f.pdf", PDF),),
        ),
    )


def _accept(world: World, report: RealisationReport, **kw: Any) -> RealisationReport:
    return world.act(
        reports.decide_report, actor=world.users["officer_a"], report_id=report.id, accept=True, **kw
    )


def _status(world: World, c: Contract) -> str:
    world.session.refresh(c)
    return c.status


def _actions(world: World, entity_id: int) -> list[str]:
    return list(
        world.session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "contract", AuditEvent.entity_id == entity_id)
            .order_by(col(AuditEvent.id))
        ).all()
    )


# --- the plan van aanpak -----------------------------------------------------------------------------------


def test_approving_the_plan_turns_its_pledges_into_proposals_in_one_go(world: World) -> None:
    c = _contract(world, "P-1", award=date(2026, 1, 5), end=date(2027, 12, 31))
    world.act(
        plans.save_plan,
        actor=world.users["company_a"],
        submit=True,
        data=plans.PlanInput(
            contract_id=c.id or 0,
            text="Wij zetten medewerkers in bij de voedselbank.",
            routes=("social_domain",),
            pledges=(
                PledgeRequest(
                    contract_id=c.id or 0,
                    block_code="employee_hour",
                    quantity=30,
                    need_id=world.need_hours.id,
                ),
                PledgeRequest(
                    contract_id=c.id or 0,
                    block_code="donation_initiative",
                    quantity=100_000,
                    need_id=world.need_money.id,
                ),
            ),
            placements=(plans.IntendedPlacement("participatiewet", persons=2, months=6),),
        ),
    )
    assert (
        world.session.exec(select(func.count()).select_from(Match).where(Match.contract_id == c.id)).one()
        == 0
    )
    plan = world.act(plans.decide_plan, actor=world.users["officer_a"], contract_id=c.id, approve=True)
    assert plan.status == "approved"
    proposed = world.session.exec(select(Match).where(Match.contract_id == c.id)).all()
    assert sorted((m.status, m.quantity) for m in proposed) == [("proposed", 30), ("proposed", 100_000)]
    assert _status(world, c) == "plan_approved"
    # The first approved contribution sets it running.
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=proposed[0].id)
    assert _status(world, c) == "running"
    assert _actions(world, c.id or 0)[-2:] == [
        "contract.plan_approved",
        "contract.running",
    ] or "contract.running" in _actions(world, c.id or 0)


def test_a_plan_whose_pledge_no_longer_fits_is_approved_with_none_of_them(world: World) -> None:
    c = _contract(world, "P-2", award=date(2026, 1, 5), end=date(2027, 12, 31))
    world.act(
        plans.save_plan,
        actor=world.users["company_a"],
        submit=True,
        data=plans.PlanInput(
            contract_id=c.id or 0,
            text="Plan",
            pledges=(
                PledgeRequest(
                    contract_id=c.id or 0,
                    block_code="employee_hour",
                    quantity=60,
                    need_id=world.need_hours.id,
                ),
                PledgeRequest(
                    contract_id=c.id or 0,
                    block_code="employee_hour",
                    quantity=60,
                    need_id=world.need_hours.id,
                ),
            ),
        ),
    )
    with pytest.raises(ServiceError) as exc:
        world.act(plans.decide_plan, actor=world.users["officer_a"], contract_id=c.id, approve=True)
    assert exc.value.params["item"] == 2  # the second pledge asks more than the need has open
    assert (
        world.session.exec(select(func.count()).select_from(Match).where(Match.contract_id == c.id)).one()
        == 0
    )
    assert plans.plan_of(world.session, c.id or 0).status == "submitted"  # type: ignore[union-attr]
    assert _status(world, c) == "plan_due"


def test_asking_for_changes_needs_a_reason_and_a_stale_view_is_refused(world: World) -> None:
    c = _contract(world, "P-3", award=date(2026, 1, 5), end=date(2027, 12, 31))
    plan = world.act(
        plans.save_plan,
        actor=world.users["company_a"],
        submit=True,
        data=plans.PlanInput(
            contract_id=c.id or 0,
            text="Plan",
            placements=(plans.IntendedPlacement("participatiewet", 1, 12),),
        ),
    )
    with pytest.raises(ServiceError) as exc:
        world.act(
            plans.decide_plan, actor=world.users["officer_a"], contract_id=c.id, approve=False, reason=""
        )
    assert exc.value.field == "reason"
    with pytest.raises(Conflict):
        world.act(
            plans.decide_plan,
            actor=world.users["officer_a"],
            contract_id=c.id,
            approve=True,
            seen_version=plan.version - 1,
        )
    done = world.act(
        plans.decide_plan,
        actor=world.users["officer_a"],
        contract_id=c.id,
        approve=False,
        reason="Meer plekken graag",
        seen_version=plan.version,
    )
    assert done.status == "changes_requested"
    # A double submit of the same decision finds nothing left to decide.
    with pytest.raises(Conflict):
        world.act(
            plans.decide_plan, actor=world.users["officer_a"], contract_id=c.id, approve=False, reason="x"
        )


def test_an_officer_of_another_government_cannot_see_or_decide_the_plan(world: World) -> None:
    c = _contract(world, "P-4", award=date(2026, 1, 5), end=date(2027, 12, 31))
    world.act(
        plans.save_plan,
        actor=world.users["company_a"],
        submit=True,
        data=plans.PlanInput(
            contract_id=c.id or 0,
            text="Plan",
            placements=(plans.IntendedPlacement("participatiewet", 1, 12),),
        ),
    )
    with pytest.raises(NotFound):
        world.act(plans.decide_plan, actor=world.users["officer_b"], contract_id=c.id, approve=True)
    # The WSP adviser serving gov_a may.
    assert (
        world.act(plans.decide_plan, actor=world.users["adviser_a"], contract_id=c.id, approve=True).status
        == "approved"
    )


def test_an_overdue_plan_is_flagged_in_the_periodic_check(world: World) -> None:
    c = _contract(world, "P-5", award=date(2026, 1, 5), end=date(2027, 12, 31))
    due = c.plan_due_on
    assert due == date(2026, 1, 12)
    assert not plans.is_overdue(c, None, due)
    assert plans.is_overdue(c, None, due + timedelta(days=1))
    items = periodic_check(world.session, {world.gov_a.id or 0}, today=date(2026, 1, 13))
    assert "overdue_plan" in next(i.reasons for i in items if i.progress.contract.id == c.id)


# --- realisation with evidence ---------------------------------------------------------------------------


def test_periods_are_calendar_quarters_cut_to_the_term() -> None:
    got = periods(date(2026, 2, 10), date(2026, 11, 5), "quarterly")
    assert [(p.start, p.end) for p in got] == [
        (date(2026, 2, 10), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 11, 5)),
    ]
    halves = periods(date(2026, 2, 10), date(2027, 1, 5), "half_yearly")
    assert [(p.start, p.end) for p in halves] == [
        (date(2026, 2, 10), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 5)),
    ]


def test_a_report_is_valued_pro_rata_and_counts_as_verified_once_accepted(world: World, store: Any) -> None:
    c = _contract(world, "R-1", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)  # EUR 3,000
    r = _report(world, store, m, date(2026, 1, 5), 10, today=date(2026, 4, 2))
    assert (r.quantity, r.value_cents, r.status) == (10, 100_000, "submitted")
    t = contract_totals(world.session, [c])[c.id or 0]
    assert (t.committed_cents, t.reported_cents, t.verified_cents) == (300_000, 100_000, 0)
    _accept(world, r)
    t = contract_totals(world.session, [c])[c.id or 0]
    assert (t.reported_cents, t.verified_cents) == (100_000, 100_000)
    assert t.shortfall_cents == 650_000 - 100_000


def test_a_period_is_reported_once_and_a_rejected_report_can_be_sent_again(world: World, store: Any) -> None:
    c = _contract(world, "R-2", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    first = _report(world, store, m, date(2026, 1, 5), 10, today=date(2026, 4, 2))
    with pytest.raises(Conflict):
        _report(world, store, m, date(2026, 1, 5), 5, today=date(2026, 4, 2))
    world.act(
        reports.decide_report,
        actor=world.users["officer_a"],
        report_id=first.id,
        accept=False,
        reason="Geen handtekening",
    )
    again = _report(world, store, m, date(2026, 1, 5), 10, today=date(2026, 4, 3))
    assert again.attempt == 2


def test_more_than_was_committed_cannot_be_reported(world: World, store: Any) -> None:
    c = _contract(world, "R-3", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    with pytest.raises(ServiceError) as exc:
        _report(world, store, m, date(2026, 1, 5), 31, today=date(2026, 4, 2))
    assert exc.value.field == "quantity"


def test_a_period_that_has_not_started_cannot_be_reported(world: World, store: Any) -> None:
    c = _contract(world, "R-4", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    with pytest.raises(ServiceError) as exc:
        _report(world, store, m, date(2026, 7, 1), 5, today=date(2026, 4, 2))
    assert exc.value.field == "period"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("leeg.pdf", b"", "is empty"),
        ("groot.pdf", PDF + b"0" * (MAX + 1), "larger than"),
        ("loonstrook.pdf", b"<html><script>alert(1)</script></html>", "not a PDF, PNG or JPEG"),
        ("foto.png", b"GIF89a......", "not a PDF, PNG or JPEG"),
    ],
)
def test_a_bad_evidence_file_gets_a_clear_message_and_stores_nothing(
    world: World, store: LocalStorage, name: str, data: bytes, message: str
) -> None:
    c = _contract(world, "R-5", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    with pytest.raises(ServiceError) as exc:
        _report(
            world,
            store,
            m,
            date(2026, 1, 5),
            5,
            today=date(2026, 4, 2),
            files=(
                reports.EvidenceFile("payslip", "goed.png", PNG),
                reports.EvidenceFile("payslip", name, data),
            ),
        )
    assert message in str(exc.value) and exc.value.field == "files"
    assert world.session.exec(select(func.count()).select_from(RealisationReport)).one() == 0
    assert world.session.exec(select(func.count()).select_from(Evidence)).one() == 0
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))


def test_a_report_without_evidence_is_refused(world: World, store: Any) -> None:
    c = _contract(world, "R-6", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    with pytest.raises(ServiceError) as exc:
        _report(world, store, m, date(2026, 1, 5), 5, today=date(2026, 4, 2), files=())
    assert exc.value.field == "files"


def test_a_file_stored_for_a_transaction_that_rolls_back_is_deleted(
    world: World, store: LocalStorage
) -> None:
    """The store is written before the commit; if the commit does not happen, the file goes too."""
    c = _contract(world, "R-7", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)

    def report_then_fail(session: Any, **kw: Any) -> None:
        reports.submit_report(session, **kw)
        raise RuntimeError("the request failed after the upload")

    with pytest.raises(RuntimeError):
        world.act(
            report_then_fail,
            actor=world.users["company_a"],
            store=store,
            max_bytes=MAX,
            today=date(2026, 4, 2),
            data=reports.ReportInput(
                m.id or 0, date(2026, 1, 5), 5, files=(reports.EvidenceFile("invoice", "f.pdf", PDF),)
            ),
        )
    assert not any(p.is_file() for p in store.root.rglob("*"))


def test_evidence_is_only_for_the_company_and_its_governments_officers(world: World, store: Any) -> None:
    c = _contract(world, "R-8", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    r = _report(world, store, m, date(2026, 1, 5), 5, today=date(2026, 4, 2))
    e = world.session.exec(select(Evidence).where(Evidence.report_id == r.id)).one()
    for who in ("company_a", "officer_a", "adviser_a"):
        assert reports.evidence_file(world.session, world.users[who], e.id or 0, store)[1] == PDF
    for who in ("company_b", "officer_b", "initiative_a", "admin"):
        with pytest.raises(NotFound):
            reports.evidence_file(world.session, world.users[who], e.id or 0, store)


def test_a_revision_cannot_go_below_what_was_reported(world: World, store: Any) -> None:
    c = _contract(world, "R-9", award=date(2026, 1, 5), end=date(2027, 12, 31), status="running")
    m = _hours(world, c, 30)
    _report(world, store, m, date(2026, 1, 5), 20, today=date(2026, 4, 2))  # EUR 2,000 reported
    with pytest.raises(ServiceError) as exc:
        world.act(
            revisions.propose_revision,
            actor=world.users["company_a"],
            data=RevisionInput(match_id=m.id or 0, kind="other", reason="minder", new_quantity=10),
        )
    assert "below what was reported" in str(exc.value)
    ok = world.act(
        revisions.propose_revision,
        actor=world.users["company_a"],
        data=RevisionInput(match_id=m.id or 0, kind="other", reason="minder", new_quantity=25),
    )
    assert ok.new_value_cents == 250_000


# --- the end date, recovery and settlement ---------------------------------------------------------------


def test_at_the_end_date_a_contract_verified_in_full_is_met(world: World, store: Any) -> None:
    c = _contract(world, "E-1", award=date(2026, 1, 5), end=date(2026, 6, 30), status="running")
    m = _hours(world, c, 65)  # EUR 6,500: the obligation
    _accept(world, _report(world, store, m, date(2026, 1, 5), 65, today=date(2026, 4, 2)))
    assert world.act(settlements.advance, today=date(2026, 6, 30)) == {"met": 0, "settlement": 0}
    assert world.act(settlements.advance, today=date(2026, 7, 1)) == {"met": 1, "settlement": 0}
    assert _status(world, c) == "met" and c.closed_on == date(2026, 7, 1)
    assert world.act(settlements.advance, today=date(2026, 7, 2)) == {"met": 0, "settlement": 0}  # idempotent


def test_committed_is_not_enough_at_the_end_the_settlement_uses_verified(world: World, store: Any) -> None:
    c = _contract(world, "E-2", award=date(2026, 1, 5), end=date(2026, 6, 30), status="running")
    m = _hours(world, c, 65)  # committed covers the obligation...
    _accept(
        world, _report(world, store, m, date(2026, 1, 5), 20, today=date(2026, 4, 2))
    )  # ...verified EUR 2,000
    world.act(settlements.advance, today=date(2026, 7, 1))
    assert _status(world, c) == "settlement"
    s = settlements.standing(world.session, c)
    assert (s.obligation_cents, s.verified_cents, s.shortfall_cents) == (650_000, 200_000, 450_000)


def test_recovery_then_financial_settlement_then_read_only(world: World, store: Any) -> None:
    c = _contract(world, "E-3", award=date(2026, 1, 5), end=date(2026, 6, 30), status="running")
    m = _hours(world, c, 60)
    _accept(world, _report(world, store, m, date(2026, 1, 5), 20, today=date(2026, 4, 2)))
    world.act(settlements.advance, today=date(2026, 7, 1))
    officer = world.users["officer_a"]
    with pytest.raises(ServiceError) as exc:
        world.act(
            settlements.settle,
            actor=officer,
            today=date(2026, 7, 2),
            data=settlements.SettlementInput(
                c.id or 0, "recovery", "Nog drie maanden", recovery_until=date(2026, 7, 1)
            ),
        )
    assert exc.value.field == "recovery_until"
    world.act(
        settlements.settle,
        actor=officer,
        today=date(2026, 7, 2),
        data=settlements.SettlementInput(
            c.id or 0, "recovery", "Nog drie maanden", recovery_until=date(2026, 9, 30)
        ),
    )
    assert _status(world, c) == "recovery" and c.recovery_until == date(2026, 9, 30)
    # During recovery the company still reports (the last period runs to the recovery date).
    _accept(world, _report(world, store, m, date(2026, 7, 1), 20, today=date(2026, 8, 1)))
    assert world.act(settlements.advance, today=date(2026, 9, 30)) == {"met": 0, "settlement": 0}
    world.act(settlements.advance, today=date(2026, 10, 1))
    assert _status(world, c) == "settlement"
    with pytest.raises(ServiceError):  # one recovery period only
        world.act(
            settlements.settle,
            actor=officer,
            today=date(2026, 10, 2),
            data=settlements.SettlementInput(
                c.id or 0, "recovery", "Nog eens", recovery_until=date(2026, 12, 1)
            ),
        )
    with pytest.raises(ServiceError) as exc:  # withhold or invoice
        world.act(
            settlements.settle,
            actor=officer,
            data=settlements.SettlementInput(c.id or 0, "financial", "Tekort", method=""),
        )
    assert exc.value.field == "method"
    done = world.act(
        settlements.settle,
        actor=officer,
        today=date(2026, 10, 2),
        data=settlements.SettlementInput(
            c.id or 0, "financial", "Tekort na herstelperiode", method="withhold", seen_version=c.version
        ),
    )
    assert (done.amount_cents, done.verified_cents, done.method) == (650_000 - 400_000, 400_000, "withhold")
    assert done.number.startswith("SRX-AASTAD-2026-") or done.number.startswith("SRX-")
    assert _status(world, c) == "settled"
    # Read-only: no pledge, no report, no decision any more.
    with pytest.raises(Conflict):
        world.pledge(contract_id=c.id, quantity=1)
    with pytest.raises(Conflict):
        _report(world, store, m, date(2026, 7, 1), 1, today=date(2026, 10, 3))
    with pytest.raises(Conflict):
        world.act(
            settlements.settle,
            actor=officer,
            data=settlements.SettlementInput(c.id or 0, "best_effort", "Toch"),
        )
    assert [a for a in _actions(world, c.id or 0) if a.startswith("contract.")] == [
        "contract.settlement",
        "contract.recovery",
        "contract.settlement",
        "contract.settled_financial",
    ]


def test_best_effort_owes_nothing_and_a_stale_settlement_form_is_refused(world: World) -> None:
    c = _contract(world, "E-4", award=date(2026, 1, 5), end=date(2026, 6, 30), status="running")
    world.act(settlements.advance, today=date(2026, 7, 1))
    world.session.refresh(c)
    with pytest.raises(Conflict):
        world.act(
            settlements.settle,
            actor=world.users["officer_a"],
            data=settlements.SettlementInput(
                c.id or 0, "best_effort", "Alles gedaan", seen_version=c.version - 1
            ),
        )
    with pytest.raises(NotFound):
        world.act(
            settlements.settle,
            actor=world.users["officer_b"],
            data=settlements.SettlementInput(c.id or 0, "best_effort", "Alles gedaan"),
        )
    s = world.act(
        settlements.settle,
        actor=world.users["officer_a"],
        data=settlements.SettlementInput(
            c.id or 0, "best_effort", "Alles gedaan, geen kandidaten", seen_version=c.version
        ),
    )
    assert (s.kind, s.amount_cents) == ("best_effort", 0)


def test_pledges_outside_the_term_are_refused(world: World) -> None:
    c = _contract(world, "E-5", award=date(2024, 1, 5), end=date(2025, 6, 30), status="running")
    with pytest.raises(ServiceError) as exc:
        world.pledge(contract_id=c.id, quantity=1)
    assert "ended on 2025-06-30" in str(exc.value)


# --- the totals' order: verified <= reported <= committed ---------------------------------------------------

OPS = st.lists(
    st.tuples(st.sampled_from(["report", "accept", "reject", "revise"]), st.integers(1, 40)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_verified_never_exceeds_reported_never_exceeds_committed(
    world: World, tmp_path: Path, ops: list[tuple[str, int]]
) -> None:
    store = LocalStorage(tmp_path / "p")
    n = world.session.exec(select(func.count()).select_from(Contract)).one()
    c = _contract(world, f"H-{n}", award=date(2026, 1, 1), end=date(2028, 12, 31), status="running")
    m = world.act(
        approvals.approve_match,
        actor=world.users["officer_a"],
        match_id=world.pledge(
            contract_id=c.id,
            quantity=40,
            need_id=None,
            initiative_id=world.ini_a.id,
            block_code="social_activity_day",
        ).id,
    )
    starts = [p.start for p in reports.contract_periods(c)]
    for op, q in ops:
        live = [
            r
            for r in world.session.exec(
                select(RealisationReport).where(RealisationReport.match_id == m.id)
            ).all()
            if r.status != "rejected"
        ]
        try:
            if op == "report":
                free = [s for s in starts if s not in {r.period_start for r in live}]
                if free:
                    _report(world, store, m, free[0], q, today=date(2028, 12, 31))
            elif op in ("accept", "reject"):
                waiting = [r for r in live if r.status == "submitted"]
                if waiting:
                    world.act(
                        reports.decide_report,
                        actor=world.users["officer_a"],
                        report_id=waiting[0].id,
                        accept=op == "accept",
                        reason="nee",
                    )
            else:
                world.session.refresh(m)
                proposal = world.act(
                    revisions.propose_revision,
                    actor=world.users["company_a"],
                    data=RevisionInput(
                        match_id=m.id or 0, kind="other", reason="minder", new_quantity=max(0, m.quantity - q)
                    ),
                )
                world.act(
                    revisions.decide_revision,
                    actor=world.users["officer_a"],
                    revision_id=proposal.id,
                    approve=True,
                )
        except ServiceError:
            pass  # a refusal is a valid outcome; the order must hold either way
        world.session.refresh(m)
        got = reports.reported_of(world.session, [m.id or 0]).get(m.id or 0, reports.Reported(0, 0, 0))
        assert 0 <= got.verified_cents <= got.value_cents <= m.value_cents
        t = contract_totals(world.session, [c])[c.id or 0]
        assert t.verified_cents <= t.reported_cents <= t.committed_cents


# --- burn-down and forecast ------------------------------------------------------------------------------


def test_the_forecast_is_deterministic_and_says_what_it_used() -> None:
    award, end = date(2026, 1, 1), date(2026, 12, 31)
    committed = [Change(date(2026, 2, 1), 100_000), Change(date(2026, 5, 1), 130_000)]
    args = dict(award=award, end=end, obligation=1_000_000, today=date(2026, 6, 1))
    a, b = forecast(committed, [], **args), forecast(list(committed), [], **args)  # type: ignore[arg-type]
    assert a == b
    # Over the 13 weeks from 2026-03-02 to 2026-06-01, EUR 1,300 was committed: EUR 100 a week.
    assert (a.pace_from, a.pace_to, a.pace_cents_per_week) == (date(2026, 3, 2), date(2026, 6, 1), 10_000)
    assert a.remaining_cents == 770_000 and a.forecast_day == date(2026, 6, 1) + timedelta(days=539)
    assert a.status == Pace.AT_RISK  # below the line, and the pace does not reach the obligation by the end
    fast = forecast([Change(date(2026, 5, 1), 400_000)], [], **args)  # type: ignore[arg-type]
    assert fast.status == Pace.BEHIND  # below the line (EUR 4,137), but EUR 4,000 in 13 weeks gets there
    on = forecast([Change(date(2026, 3, 1), 500_000)], [], **args)  # type: ignore[arg-type]
    assert on.status == Pace.ON_TRACK
    assert forecast([Change(award, 1_000_000)], [], **args).status == Pace.MET  # type: ignore[arg-type]
    assert (
        forecast(committed, [], award=award, end=end, obligation=1_000_000, today=date(2027, 1, 2)).status
        == Pace.SHORT
    )


def test_the_risk_overview_puts_the_most_urgent_first(world: World) -> None:
    today = date.today()  # approvals are stamped with the real time
    award = today - timedelta(days=150)
    met = _contract(world, "K-met", award=award, end=today + timedelta(days=200), status="running")
    _hours(world, met, 65)
    _contract(world, "K-risk", award=award, end=today + timedelta(days=200), status="running")
    _contract(world, "K-soon", award=award, end=today + timedelta(days=30), status="running")
    rows = risk_overview(world.session, {world.gov_a.id or 0}, today=today, per_page=100).items
    refs = [p.contract.reference for p in rows if p.contract.reference.startswith("K-")]
    assert refs == ["K-soon", "K-risk", "K-met"]  # at risk (fewest days first), then met
    assert [p.pace for p in rows if p.contract.reference == "K-met"] == [Pace.MET]
    # An officer of another government sees none of them.
    assert not [
        p
        for p in risk_overview(world.session, {world.gov_b.id or 0}, today=today).items
        if p.contract.reference.startswith("K-")
    ]


def test_the_burn_down_series_adds_up_to_the_totals(world: World, store: Any) -> None:
    c = _contract(world, "B-1", award=date(2026, 1, 5), end=date(2026, 12, 31), status="running")
    m = _hours(world, c, 30)
    _accept(world, _report(world, store, m, date(2026, 1, 5), 10, today=date(2026, 4, 2)))
    world.act(
        revisions.decide_revision,
        actor=world.users["officer_a"],
        approve=True,
        revision_id=world.act(
            revisions.propose_revision,
            actor=world.users["company_a"],
            data=RevisionInput(match_id=m.id or 0, kind="other", reason="minder", new_quantity=20),
        ).id,
    )
    p = progress_of(world.session, [c], today=date.today())[0]
    last = p.points(date.today())[-1]
    assert (last.committed_cents, last.verified_cents, last.obligation_cents) == (200_000, 100_000, 650_000)


# --- retention ------------------------------------------------------------------------------------------


def test_evidence_is_deleted_after_the_retention_period_and_the_counts_stay(world: World, store: Any) -> None:
    c = _contract(world, "T-1", award=date(2024, 1, 5), end=date(2024, 6, 30), status="running")
    # Settled long ago: a report and its file from when it ran.
    c.status = "settled"
    c.closed_on = date(2024, 8, 1)
    world.session.add(c)
    world.session.commit()
    running = _contract(world, "T-2", award=date(2026, 1, 5), end=date(2027, 6, 30), status="running")
    kept = _report(world, store, _hours(world, running, 10), date(2026, 1, 5), 5, today=date(2026, 4, 2))
    old = RealisationReport(
        match_id=kept.match_id,
        contract_id=c.id or 0,
        period_start=date(2024, 1, 5),
        period_end=date(2024, 3, 31),
        quantity=5,
        value_cents=50_000,
        status="accepted",
    )
    world.session.add(old)
    world.session.flush()
    key = store.put(PDF)
    world.session.add(
        Evidence(
            report_id=old.id or 0,
            kind="invoice",
            filename="oud.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="x",
            storage_key=key,
        )
    )
    world.session.commit()
    early = world.act(retention.purge, today=date(2026, 7, 31), retention_days=730)
    assert early.files == 0
    done = world.act(retention.purge, today=date(2026, 8, 1), retention_days=730)
    retention.delete_files(store, done.keys)
    assert done.files == 1
    assert not (store.root / key).exists()
    assert (
        world.session.exec(select(Evidence).where(Evidence.storage_key == key)).one().deleted_at is not None
    )
    # The figures stay, and the running contract's file is untouched.
    assert world.session.get(RealisationReport, old.id).value_cents == 50_000  # type: ignore[union-attr]
    kept_file = world.session.exec(select(Evidence).where(Evidence.report_id == kept.id)).one()
    assert (store.root / kept_file.storage_key).exists()
