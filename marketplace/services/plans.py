"""The plan van aanpak: the company writes it (routes, proposed pledges, intended placements, text), submits
it, and the officer or WSP adviser approves it or asks for changes with a reason.

It is due at the award plus the policy's deadline (7 days in WSP regio Amersfoort). Approving it turns its
proposed pledges into proposed matches in the same transaction: all of them, or none.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from ..counting import policy_of
from ..models import (
    ROUTES,
    TARGET_GROUPS,
    BlockUnit,
    BuildingBlock,
    Contract,
    ContractStatus,
    Match,
    Plan,
    PlanStatus,
    User,
)
from ..models._base import utcnow
from ..models.contract import COMMITTED_STATUSES
from . import validation as v
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .guard import check_seen, guarded_update
from .pledges import MAX_PLAN_ITEMS, PERSON_UNITS, PledgeRequest, create_pledge
from .scope import acts_for
from .settlements import ensure_open, move, note_commitment

FIELDS = ("status", "routes", "text", "pledges", "placements", "officer_reason", "version")
MAX_TEXT = 10_000


@dataclass(frozen=True)
class IntendedPlacement:
    """People the company means to place: how many of a target group, for how long."""

    target_group: str
    persons: int
    months: int
    hours_per_week: int = 36


@dataclass(frozen=True)
class PlanInput:
    contract_id: int
    text: str
    routes: tuple[str, ...] = ()
    pledges: tuple[PledgeRequest, ...] = ()
    placements: tuple[IntendedPlacement, ...] = ()
    seen_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def plan_due_on(contract: Contract) -> date:
    return date.fromordinal(contract.award_date.toordinal() + policy_of(contract).plan_deadline_days)


def plan_of(session: Session, contract_id: int) -> Plan | None:
    return session.exec(select(Plan).where(Plan.contract_id == contract_id)).first()


def _own_contract(session: Session, actor: User, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None or actor.role != "company" or contract.company_id != actor.company_id:
        raise NotFound(N_("This contract does not exist."))
    ensure_open(contract, utcnow().date(), settling=True)
    return contract


def committed_cents(session: Session, contract_id: int) -> int:
    total = session.exec(
        select(func.sum(Match.value_cents)).where(
            Match.contract_id == contract_id, col(Match.status).in_(COMMITTED_STATUSES)
        )
    ).one()
    return int(total or 0)


def _pledge_json(req: PledgeRequest) -> dict[str, Any]:
    return {
        "block": req.block_code,
        "quantity": req.quantity,
        "need_id": req.need_id,
        "initiative_id": req.initiative_id,
        "weeks": req.weeks,
        "note": req.note,
    }


def _pledge_request(contract_id: int, row: dict[str, Any]) -> PledgeRequest:
    return PledgeRequest(
        contract_id=contract_id,
        block_code=str(row.get("block", "")),
        quantity=row.get("quantity"),
        need_id=row.get("need_id"),
        initiative_id=row.get("initiative_id"),
        weeks=row.get("weeks"),
        note=str(row.get("note") or ""),
    )


def _check(data: PlanInput) -> tuple[str, list[str], list[dict[str, Any]]]:
    text = v.text(data.text, "text", max_len=MAX_TEXT, required=True)
    routes = v.choices(data.routes, "routes", ROUTES)
    if len(data.pledges) + len(data.placements) > MAX_PLAN_ITEMS:
        raise ServiceError(N_("A plan can hold at most %(max)s pledges."), field="plan", max=MAX_PLAN_ITEMS)
    placements = []
    for n, p in enumerate(data.placements, start=1):
        v.choice(p.target_group, f"placement-{n}:target_group", TARGET_GROUPS)
        v.integer(p.persons, f"placement-{n}:persons", low=1, high=1_000)
        v.integer(p.months, f"placement-{n}:months", low=1, high=120)
        v.integer(p.hours_per_week, f"placement-{n}:hours_per_week", low=1, high=40)
        placements.append(
            {
                "target_group": p.target_group,
                "persons": p.persons,
                "months": p.months,
                "hours_per_week": p.hours_per_week,
            }
        )
    return text, routes, placements


def _check_pledges(session: Session, contract: Contract, pledges: tuple[PledgeRequest, ...]) -> None:
    """Each proposed pledge names a block of the contract's table and a quantity; people are intended
    placements, registered by name-free key once they start, not pledges in a plan."""
    units = dict(
        session.exec(
            select(BuildingBlock.code, BuildingBlock.unit).where(BuildingBlock.table_id == contract.table_id)
        ).all()
    )
    for n, p in enumerate(pledges, start=1):
        unit = units.get(p.block_code)
        if unit is None or unit == BlockUnit.BONUS:
            raise ServiceError(
                N_("Choose a building block from the contract's valuation table."), field=f"item-{n}:block"
            )
        if unit in PERSON_UNITS:
            raise ServiceError(
                N_("People you mean to place go under intended placements, not pledges."),
                field=f"item-{n}:block",
            )
        v.integer(p.quantity, f"item-{n}:quantity", low=1, high=10**12)


def save_plan(session: Session, *, actor: User, data: PlanInput, submit: bool = False) -> Plan:
    """Write (or rewrite) the contract's plan; `submit` sends it to the officer."""
    contract = _own_contract(session, actor, data.contract_id)
    text, routes, placements = _check(data)
    _check_pledges(session, contract, data.pledges)
    plan = plan_of(session, contract.id or 0)
    if plan is not None and plan.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED):
        raise Conflict(N_("This plan is with the officer or approved already; it cannot be changed now."))
    if plan is not None and data.seen_version is not None and data.seen_version != plan.version:
        raise Conflict(N_("Someone else changed this in the meantime. Reload the page and try again."))
    before = snapshot(plan, FIELDS) if plan else None
    if plan is None:
        plan = Plan(contract_id=contract.id or 0)
    plan.text, plan.routes, plan.placements = text, routes, placements
    plan.pledges = [_pledge_json(p) for p in data.pledges]
    if submit:
        plan.status, plan.submitted_at = PlanStatus.SUBMITTED, utcnow()
    else:
        plan.status = PlanStatus.DRAFT if plan.status != PlanStatus.CHANGES_REQUESTED else plan.status
    plan.version += 1 if before else 0
    session.add(plan)
    session.flush()
    record(
        session,
        actor=actor,
        action="plan.submitted" if submit else "plan.saved",
        entity_type="contract",
        entity_id=contract.id or 0,
        before=before,
        after=snapshot(plan, FIELDS),
    )
    return plan


def decide_plan(
    session: Session,
    *,
    actor: User,
    contract_id: int,
    approve: bool,
    reason: str = "",
    seen_version: int | None = None,
) -> Plan:
    """Approve the submitted plan (its pledges become proposed matches), or send it back with a reason."""
    contract = session.get(Contract, contract_id)
    if contract is None or not acts_for(session, actor, contract.government_id):
        raise NotFound(N_("This contract does not exist."))
    plan = plan_of(session, contract_id)
    if plan is None or plan.status != PlanStatus.SUBMITTED:
        raise Conflict(N_("There is no submitted plan to decide on."))
    check_seen(
        plan, seen_version, N_("This plan changed since you opened it. Look at it again before you decide.")
    )
    reason = v.text(reason, "reason", max_len=2000, required=not approve)
    before = snapshot(plan, FIELDS)
    # Guarded like a match: two advisers deciding at once cannot both win.
    guarded_update(
        session,
        plan,
        status=PlanStatus.APPROVED if approve else PlanStatus.CHANGES_REQUESTED,
        officer_reason=reason,
        decided_at=utcnow(),
        decided_by_id=actor.id,
    )
    if approve:
        company_user = _company_actor(session, contract)
        for position, row in enumerate(plan.pledges, start=1):
            try:
                create_pledge(
                    session,
                    actor=company_user,
                    req=_pledge_request(contract.id or 0, row),
                    action="match.pledged_from_plan",
                )
            except ServiceError as exc:
                exc.params = {**exc.params, "item": position}
                exc.field = f"item-{position}:{exc.field or ''}"
                raise
        if contract.status == ContractStatus.PLAN_DUE:
            move(
                session, contract, ContractStatus.PLAN_APPROVED, actor=actor, action="contract.plan_approved"
            )
        if committed_cents(session, contract.id or 0) > 0:
            note_commitment(session, contract, actor)
    record(
        session,
        actor=actor,
        action="plan.approved" if approve else "plan.changes_requested",
        entity_type="contract",
        entity_id=contract.id or 0,
        before=before,
        after=snapshot(plan, FIELDS),
        reason=reason,
    )
    return plan


def _company_actor(session: Session, contract: Contract) -> User:
    """The plan's pledges are the company's own: they are made in its name, as the plan says."""
    user = session.exec(
        select(User)
        .where(User.company_id == contract.company_id, User.role == "company", col(User.active).is_(True))
        .order_by(col(User.id))
    ).first()
    if user is None:
        user = User(email="plan@srx.local", role="company", password_hash="!", company_id=contract.company_id)
    return user


def is_overdue(contract: Contract, plan: Plan | None, today: date) -> bool:
    """The plan is due and not approved (nor at least submitted on time)."""
    if plan is not None and plan.status == PlanStatus.APPROVED:
        return False
    due = contract.plan_due_on or plan_due_on(contract)
    return today > due and contract.status == ContractStatus.PLAN_DUE
