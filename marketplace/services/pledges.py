"""Pledging: preview a valuation, create a match, cancel it, answer a change request.

Everything here adds and flushes inside the caller's transaction; the boundary commits (marketplace/db.py).
"""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..counting import contract_obligation, counts_as_activity, policy_of
from ..models import (
    HOLDING_STATUSES,
    SELLER_KINDS,
    BlockUnit,
    BuildingBlock,
    Company,
    Contract,
    Government,
    Initiative,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Route,
    User,
    ValuationTable,
)
from ..models._base import utcnow
from ..models.certification import Certificate
from ..models.revision import SmartPlan, SmartPlanStatus
from ..policy import Obligation, ObligationState, Policy
from ..queries import is_eligible, open_capacity
from ..valuation import Block, Person, PledgeInput, Valuation, ValuationError, value_pledge
from . import placements, suppliers
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .lifecycle import AUDIT_FIELDS, load_match, transition
from .placements import PlacementInput, check_placement, counted_slots
from .suppliers import SupplierInput

# Which block units can serve a need expressed in each need unit.
COMPATIBLE_UNITS: dict[str, frozenset[str]] = {
    "cents": frozenset({"euro_spent", "by_agreement"}),
    "hours": frozenset({"hour"}),
    "days": frozenset({"day"}),
    "places": frozenset({"fte_year", "internship_year"}),
}
MAX_NOTE = 2000


@dataclass(frozen=True)
class PledgeRequest:
    contract_id: int
    block_code: str
    quantity: int | None
    need_id: int | None = None
    initiative_id: int | None = None
    hours_per_week: int | None = None
    months: int | None = None
    weeks: int | None = None
    bonuses: tuple[str, ...] = ()
    note: str = ""
    submission_key: str | None = None
    placement: PlacementInput | None = None
    certificate_id: int | None = None
    supplier: SupplierInput | None = None
    smart_plan_id: int | None = None


@dataclass
class Pledgeable:
    """Everything a pledge is checked and valued against, loaded once."""

    contract: Contract
    government: Government
    company: Company
    table: ValuationTable
    block: BuildingBlock
    bonuses: dict[str, BuildingBlock]
    need: Need | None
    initiative: Initiative | None
    valuation: Valuation
    policy: Policy
    certificate: Certificate | None = None
    smart_plan: SmartPlan | None = None
    slots: tuple[str, ...] = ()  # the calendar months a placement counts in
    # What is pledged, after a placement filled it in: persons (1), hours a week, months, weeks.
    quantity: int = 0
    hours_per_week: int | None = None
    months: int | None = None
    weeks: int | None = None
    warnings: list[str] = field(default_factory=list)


def block_spec(block: BuildingBlock) -> Block:
    return Block(
        code=block.code,
        label=block.label,
        unit=block.unit,
        value_cents=block.value_cents,
        percentage_bp=block.percentage_bp,
        max_months=block.max_months,
        route=block.route,
        target_group=block.target_group,
        at_most=block.at_most,
        conditions=dict(block.conditions or {}),
    )


def requires_initiative(block: BuildingBlock) -> bool:
    """Help, days and donations go to an initiative; purchases to a social firm (listed or a supplier)."""
    if block.route == "social_domain" and block.unit != "by_agreement":
        return True
    return block.route == "labour_participation" and block.unit == "euro_spent"


PERSON_UNITS = (BlockUnit.FTE_YEAR, BlockUnit.INTERNSHIP_YEAR)


def _within_term(contract: Contract, today: date) -> None:
    """A closed contract takes nothing; pledges need its term (or its recovery period) to run."""
    from .settlements import ensure_open

    ensure_open(contract, today)


def _obligation(contract: Contract) -> Obligation:
    ob = contract_obligation(contract)
    if not ob.computable:
        raise ServiceError(
            N_(
                "The obligation of this contract cannot be computed yet: %(missing)s is missing. "
                "The officer completes the contract first."
            ),
            field="contract",
            missing=ob.missing or "?",
        )
    return ob


def _check_local_rules(
    policy: Policy,
    government: Government,
    block: BuildingBlock,
    initiative: Initiative | None,
    smart_plan: SmartPlan | None,
    contract: Contract,
) -> None:
    """The government's own rules for a route: where it must land, and a SMART plan first."""
    regions = policy.route_regions.get(block.route)
    if regions and initiative is not None and initiative.neighbourhood not in regions:
        raise ServiceError(
            N_("%(government)s counts this route only in %(regions)s; %(initiative)s is in %(place)s."),
            field="need",
            government=government.name,
            regions=", ".join(regions),
            initiative=initiative.name,
            place=initiative.neighbourhood or initiative.municipality or "?",
        )
    if block.route in policy.smart_plan_routes:
        if smart_plan is None:
            raise ServiceError(
                N_(
                    "%(government)s asks for an approved SMART plan before this contribution "
                    "counts: submit the plan first."
                ),
                field="smart_plan",
                government=government.name,
            )
        if (
            smart_plan.contract_id != contract.id
            or smart_plan.status != SmartPlanStatus.APPROVED
            or (initiative is not None and smart_plan.initiative_id != initiative.id)
        ):
            raise ServiceError(
                N_("Choose an approved SMART plan of this contract for this initiative."), field="smart_plan"
            )


def _check_small_contract(policy: Policy, ob: Obligation, valuation: Valuation, block: BuildingBlock) -> None:
    if ob.state == ObligationState.SMALL and not counts_as_activity(
        policy, valuation.value_cents, block.route
    ):
        raise ServiceError(
            N_(
                "On a small contract a social activity counts from %(min)s%(routes)s; this one "
                "would not count."
            ),
            field="quantity",
            min=f"EUR {max(1, policy.small_activity_min_cents) / 100:,.2f}",
            routes=(" (" + ", ".join(policy.small_activity_routes) + ")")
            if policy.small_activity_routes
            else "",
        )


def _certificate(
    session: Session, req: PledgeRequest, contract: Contract, company: Company, policy: Policy
) -> tuple[Certificate, int]:
    """The company's PSO certificate, valid on the award date, and the discount frozen at award."""
    cert = session.get(Certificate, req.certificate_id) if req.certificate_id is not None else None
    if cert is None or cert.company_id != company.id:
        raise ServiceError(N_("Choose your PSO certificate."), field="certificate")
    if not cert.valid_on(contract.award_date):
        raise ServiceError(
            N_("This certificate was not valid on the award date (%(award)s)."),
            field="certificate",
            award=contract.award_date.isoformat(),
        )
    discount = policy.pso_discount_bp.get(cert.level)
    if not discount:
        raise ServiceError(
            N_("This government does not count a PSO certificate for this company's level."),
            field="certificate",
        )
    return cert, discount


def resolve(session: Session, *, actor: User, req: PledgeRequest, today: date | None = None) -> Pledgeable:
    """Check a pledge request against the rules and value it; writes nothing."""
    contract = session.get(Contract, req.contract_id)
    if contract is None or actor.role != "company" or contract.company_id != actor.company_id:
        raise NotFound(N_("This contract does not exist."))
    government = session.get(Government, contract.government_id)
    company = session.get(Company, contract.company_id)
    table = session.get(ValuationTable, contract.table_id)
    assert government is not None and company is not None and table is not None
    _within_term(contract, today or utcnow().date())
    ob = _obligation(contract)
    policy = policy_of(contract)
    blocks = session.exec(select(BuildingBlock).where(BuildingBlock.table_id == table.id)).all()
    by_code = {b.code: b for b in blocks}
    block = by_code.get((req.block_code or "").strip())
    if block is None or block.unit == "bonus":
        raise ServiceError(N_("Choose a building block from the contract's valuation table."), field="block")
    if len(req.note) > MAX_NOTE:
        raise ServiceError(
            N_("The note is too long (at most %(max)s characters)."), field="note", max=MAX_NOTE
        )

    need: Need | None = None
    initiative: Initiative | None = None
    if req.need_id is not None:
        need = session.get(Need, req.need_id)
        if need is None:
            raise ServiceError(N_("This need does not exist."), field="need")
        if need.status != NeedStatus.OPEN:
            raise ServiceError(N_("This need is closed."), field="need")
        if block.unit not in COMPATIBLE_UNITS.get(need.unit, frozenset()):
            raise ServiceError(N_("This building block does not fit this need."), field="block")
        initiative = session.get(Initiative, need.initiative_id)
    elif req.initiative_id is not None:
        initiative = session.get(Initiative, req.initiative_id)
        if initiative is None:
            raise ServiceError(N_("This initiative does not exist."), field="initiative")
    purchase = block.route == Route.LABOUR_PARTICIPATION and block.unit == BlockUnit.EURO_SPENT
    if initiative is not None:
        if not is_eligible(session, government.id or 0, initiative.id or 0):
            raise ServiceError(
                N_("%(initiative)s does not count for %(government)s's contracts."),
                field="need",
                initiative=initiative.name,
                government=government.name,
            )
        if purchase and initiative.kind not in SELLER_KINDS:
            raise ServiceError(
                N_("A purchase counts only from a social firm or SW company."), field="initiative"
            )
    elif purchase and req.supplier is not None:
        pass  # a supplier outside the catalogue: checked and recorded by create_pledge
    elif requires_initiative(block):
        raise ServiceError(
            N_("Choose the initiative or social firm this contribution goes to."), field="need"
        )

    smart_plan = session.get(SmartPlan, req.smart_plan_id) if req.smart_plan_id is not None else None
    _check_local_rules(policy, government, block, initiative, smart_plan, contract)

    certificate, pso_bp = (None, None)
    if block.unit == BlockUnit.CERTIFICATE:
        certificate, pso_bp = _certificate(session, req, contract, company, policy)
    person = None
    quantity, hours, months, weeks = req.quantity, req.hours_per_week, req.months, req.weeks
    slots: tuple[str, ...] = ()
    if block.unit in PERSON_UNITS:
        if req.placement is None:
            raise ServiceError(
                N_("Register the person for this contribution: a placement counts one person."),
                field="placement",
            )
        placed = check_placement(req.placement, contract)
        person = Person(
            target_group=req.placement.target_group,
            age_band=req.placement.age_band,
            flags=req.placement.flags,
        )
        quantity, hours, months, weeks = 1, req.placement.hours_per_week, placed.months, placed.weeks
    if quantity is None:
        raise ServiceError(N_("This field is required."), field="quantity")
    try:
        valuation = value_pledge(
            block_spec(block),
            PledgeInput(
                quantity=quantity,
                hours_per_week=hours,
                months=months,
                weeks=weeks,
                bonuses=tuple(req.bonuses),
                person=person,
            ),
            bonuses={c: block_spec(b) for c, b in by_code.items() if b.unit == "bonus"},
            obligation_cents=ob.amount_cents,
            pso_reduction_bp=pso_bp,
            group_caps=dict(table.group_caps or {}),
        )
    except ValuationError as exc:
        raise ServiceError(exc.message, field=exc.field, **exc.params) from exc
    if req.placement is not None and block.unit in PERSON_UNITS:
        slots = counted_slots(req.placement.start_date, _counted_months(valuation, months or 0))
    _check_small_contract(policy, ob, valuation, block)
    return Pledgeable(
        contract,
        government,
        company,
        table,
        block,
        {c: b for c, b in by_code.items() if b.unit == "bonus"},
        need,
        initiative,
        valuation,
        policy,
        certificate,
        smart_plan,
        slots,
        quantity,
        hours,
        months,
        weeks,
    )


def _counted_months(valuation: Valuation, months: int) -> int:
    """The months the valuation counted (after caps); internships count their whole period."""
    base = next((line for line in valuation.lines if line.kind == "base"), None)
    return int(base.params.get("months", months)) if base is not None and "months" in base.params else months


def preview(session: Session, *, actor: User, req: PledgeRequest) -> dict[str, Any]:
    """The valuation a pledge would get, line by line, plus the need's open capacity."""
    p = resolve(session, actor=actor, req=req)
    out: dict[str, Any] = {
        "value_cents": p.valuation.value_cents,
        "lines": p.valuation.breakdown(),
        "table": {"id": p.table.id, "version": p.table.version, "name": p.table.name},
        "block": p.block.as_dict(),
    }
    if p.need is not None:
        capacity = open_capacity(session, p.need)
        out["need"] = {"id": p.need.id, "open": capacity, "unit": p.need.unit}
        if req.quantity is not None and req.quantity > capacity:
            out["warning"] = "above_capacity"
    return out


def _lock_need(session: Session, need: Need) -> None:
    """Take the need's row lock (PostgreSQL) or the write lock (SQLite) before counting capacity."""
    session.execute(update(Need).where(col(Need.id) == need.id).values(lock_version=Need.lock_version + 1))


def _lock_contract(session: Session, contract: Contract) -> None:
    """Serialise pledges that must be unique per contract (the PSO certificate), like the need lock."""
    session.execute(
        update(Contract).where(col(Contract.id) == contract.id).values(version=Contract.version + 1)
    )


def _pso_once(session: Session, contract: Contract, excluding: int | None = None) -> None:
    _lock_contract(session, contract)
    stmt = (
        select(Match.id)
        .join(BuildingBlock, col(BuildingBlock.id) == Match.block_id)
        .where(
            Match.contract_id == contract.id,
            BuildingBlock.unit == BlockUnit.CERTIFICATE,
            col(Match.status).in_(HOLDING_STATUSES),
        )
    )
    if excluding is not None:
        stmt = stmt.where(Match.id != excluding)
    if session.exec(stmt).first() is not None:
        raise ServiceError(
            N_("A PSO certificate counts once per contract, and this contract has one already."),
            field="certificate",
        )


def create_pledge(
    session: Session,
    *,
    actor: User,
    req: PledgeRequest,
    action: str = "match.pledged",
    today: date | None = None,
) -> Match:
    """Add a proposed match; its value is frozen now from the contract's table version.

    A double submit carries the same submission key and is refused: by the look-up when the first one is
    committed, by the unique index when both arrive at once.
    """
    if req.submission_key:
        existing = session.exec(select(Match.id).where(Match.submission_key == req.submission_key)).first()
        if existing is not None:
            raise Conflict(N_("This pledge was already submitted."), match_id=existing)
    p = resolve(session, actor=actor, req=req, today=today)
    if p.need is not None:
        _lock_need(session, p.need)
        capacity = open_capacity(session, p.need)
        if p.quantity > capacity:
            raise ServiceError(
                N_("Only %(open)s is still open on this need."), field="quantity", open=capacity
            )
    if p.certificate is not None:
        _pso_once(session, p.contract)
    supplier_id = (
        suppliers.for_purchase(session, actor=actor, government=p.government, data=req.supplier).id
        if req.supplier is not None and p.initiative is None
        else None
    )
    unit = p.block.unit
    match = Match(
        contract_id=p.contract.id or 0,
        initiative_id=p.initiative.id if p.initiative else None,
        need_id=p.need.id if p.need else None,
        block_id=p.block.id or 0,
        table_id=p.table.id or 0,
        quantity=p.quantity,
        hours_per_week=p.hours_per_week if unit == BlockUnit.FTE_YEAR else None,
        months=p.months if unit == BlockUnit.FTE_YEAR else None,
        weeks=p.weeks if unit == BlockUnit.INTERNSHIP_YEAR else None,
        bonus_codes=[line["params"]["code"] for line in p.valuation.breakdown() if line["kind"] == "bonus"],
        value_cents=p.valuation.value_cents,
        breakdown=p.valuation.breakdown(),
        status=MatchStatus.PROPOSED,
        note=req.note.strip(),
        created_by_id=actor.id,
        submission_key=req.submission_key or None,
        certificate_id=p.certificate.id if p.certificate else None,
        supplier_id=supplier_id,
        smart_plan_id=p.smart_plan.id if p.smart_plan else None,
    )
    session.add(match)
    try:
        session.flush()
    except IntegrityError as exc:  # the same key arrived twice at the same moment
        raise Conflict(N_("This pledge was already submitted.")) from exc
    if req.placement is not None and unit in PERSON_UNITS:
        placements.store(session, match, req.placement, p.slots)
    record(
        session,
        actor=actor,
        action=action,
        entity_type="match",
        entity_id=match.id or 0,
        after=snapshot(match, AUDIT_FIELDS),
    )
    return match


MAX_PLAN_ITEMS = 50


def create_plan(
    session: Session, *, actor: User, contract_id: int, items: list[PledgeRequest]
) -> list[Match]:
    """Turn a plan into proposed matches in one transaction: all of them, or none.

    Each item is checked as a single pledge would be; a need that appears twice has its capacity
    counted across both. On the first refusal nothing is stored and the error names the item.
    """
    if not items:
        raise ServiceError(N_("The plan has no pledges. Choose at least one."), field="plan")
    if len(items) > MAX_PLAN_ITEMS:
        raise ServiceError(N_("A plan can hold at most %(max)s pledges."), field="plan", max=MAX_PLAN_ITEMS)
    created: list[Match] = []
    for position, item in enumerate(items, start=1):
        req = replace(item, contract_id=contract_id, submission_key=None)
        try:
            created.append(create_pledge(session, actor=actor, req=req, action="match.pledged_from_plan"))
        except ServiceError as exc:
            exc.params = {**exc.params, "item": position}
            exc.field = f"item-{position}:{exc.field or ''}"
            raise
    return created


def _own_match(session: Session, actor: User, match_id: int) -> Match:
    match = load_match(session, match_id)
    contract = session.get(Contract, match.contract_id)
    if actor.role != "company" or contract is None or contract.company_id != actor.company_id:
        raise NotFound(N_("This pledge does not exist."))
    return match


def cancel_pledge(session: Session, *, actor: User, match_id: int, reason: str = "") -> Match:
    """The company withdraws a pledge that is still open (proposed or awaiting its changes)."""
    match = _own_match(session, actor, match_id)
    return transition(
        session,
        match,
        to=MatchStatus.CANCELLED,
        actor=actor,
        action="match.cancelled",
        reason=reason.strip()[:MAX_NOTE],
    )


def resubmit_pledge(session: Session, *, actor: User, match_id: int, req: PledgeRequest) -> Match:
    """Answer a change request: new quantity, block, placement or note, valued again, back to proposed."""
    match = _own_match(session, actor, match_id)
    if match.status != MatchStatus.CHANGES_REQUESTED:
        raise Conflict(N_("Only a pledge with a change request can be resubmitted."))
    req = replace(
        req,
        contract_id=match.contract_id,
        need_id=match.need_id,
        initiative_id=match.initiative_id,
        submission_key=None,
        certificate_id=req.certificate_id or match.certificate_id,
        smart_plan_id=req.smart_plan_id or match.smart_plan_id,
    )
    p = resolve(session, actor=actor, req=req)
    if p.need is not None:
        _lock_need(session, p.need)
        capacity = open_capacity(session, p.need, excluding_match=match.id)
        if p.quantity > capacity:
            raise ServiceError(
                N_("Only %(open)s is still open on this need."), field="quantity", open=capacity
            )
    if p.certificate is not None:
        _pso_once(session, p.contract, excluding=match.id)
    placement = placements.placement_of(session, match.id or 0)
    if placement is not None:
        if req.placement is None or p.block.unit not in PERSON_UNITS:
            raise ServiceError(
                N_("Register the person for this contribution: a placement counts one person."),
                field="placement",
            )
        placements.update(session, placement, req.placement, p.slots)
    elif req.placement is not None and p.block.unit in PERSON_UNITS:
        placements.store(session, match, req.placement, p.slots)
    unit = p.block.unit
    changes = {
        "block_id": p.block.id,
        "quantity": p.quantity,
        "value_cents": p.valuation.value_cents,
        "breakdown": p.valuation.breakdown(),
        "bonus_codes": [
            line["params"]["code"] for line in p.valuation.breakdown() if line["kind"] == "bonus"
        ],
        "hours_per_week": p.hours_per_week if unit == BlockUnit.FTE_YEAR else None,
        "months": p.months if unit == BlockUnit.FTE_YEAR else None,
        "weeks": p.weeks if unit == BlockUnit.INTERNSHIP_YEAR else None,
        "note": req.note.strip(),
        "certificate_id": p.certificate.id if p.certificate else None,
        "smart_plan_id": p.smart_plan.id if p.smart_plan else None,
    }
    return transition(
        session, match, to=MatchStatus.PROPOSED, actor=actor, action="match.resubmitted", changes=changes
    )
