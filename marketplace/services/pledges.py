"""Pledging: preview a valuation, create a match, cancel it, answer a change request.

Everything here adds and flushes inside the caller's transaction; the boundary commits (marketplace/db.py).
"""

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..counting import contract_obligation
from ..models import (
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
from ..queries import is_eligible, open_capacity
from ..valuation import Block, PledgeInput, Valuation, ValuationError, value_pledge
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .lifecycle import AUDIT_FIELDS, load_match, transition

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
    )


def requires_initiative(block: BuildingBlock) -> bool:
    """Help, days and donations go to an initiative; purchases to a social firm."""
    if block.route == "social_domain" and block.unit != "by_agreement":
        return True
    return block.route == "labour_participation" and block.unit == "euro_spent"


def resolve(session: Session, *, actor: User, req: PledgeRequest) -> Pledgeable:
    """Check a pledge request against the rules and value it; writes nothing."""
    contract = session.get(Contract, req.contract_id)
    if contract is None or actor.role != "company" or contract.company_id != actor.company_id:
        raise NotFound(N_("This contract does not exist."))
    government = session.get(Government, contract.government_id)
    company = session.get(Company, contract.company_id)
    table = session.get(ValuationTable, contract.table_id)
    assert government is not None and company is not None and table is not None
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
    if initiative is not None:
        if not is_eligible(session, government.id or 0, initiative.id or 0):
            raise ServiceError(
                N_("%(initiative)s does not count for %(government)s's contracts."),
                field="need",
                initiative=initiative.name,
                government=government.name,
            )
        if (
            block.route == Route.LABOUR_PARTICIPATION
            and block.unit == BlockUnit.EURO_SPENT
            and initiative.kind not in SELLER_KINDS
        ):
            raise ServiceError(
                N_("A purchase counts only from a social firm or SW company."), field="initiative"
            )
    elif requires_initiative(block):
        raise ServiceError(
            N_("Choose the initiative or social firm this contribution goes to."), field="need"
        )

    obligation, _small = contract_obligation(contract)
    pso_bp = None
    if block.unit == "certificate" and company.pso_level:
        pso_bp = (government.pso_reduction_bp or {}).get(company.pso_level)
    pledge = PledgeInput(
        quantity=req.quantity if req.quantity is not None else 0,
        hours_per_week=req.hours_per_week,
        months=req.months,
        weeks=req.weeks,
        bonuses=tuple(req.bonuses),
    )
    if req.quantity is None:
        raise ServiceError(N_("This field is required."), field="quantity")
    try:
        valuation = value_pledge(
            block_spec(block),
            pledge,
            bonuses={c: block_spec(b) for c, b in by_code.items() if b.unit == "bonus"},
            obligation_cents=obligation,
            pso_reduction_bp=pso_bp,
        )
    except ValuationError as exc:
        raise ServiceError(exc.message, field=exc.field, **exc.params) from exc
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
    )


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


def create_pledge(
    session: Session, *, actor: User, req: PledgeRequest, action: str = "match.pledged"
) -> Match:
    """Add a proposed match; its value is frozen now from the contract's table version.

    A double submit carries the same submission key and is refused: by the look-up when the first one is
    committed, by the unique index when both arrive at once.
    """
    if req.submission_key:
        existing = session.exec(select(Match.id).where(Match.submission_key == req.submission_key)).first()
        if existing is not None:
            raise Conflict(N_("This pledge was already submitted."), match_id=existing)
    p = resolve(session, actor=actor, req=req)
    if p.need is not None:
        _lock_need(session, p.need)
        capacity = open_capacity(session, p.need)
        if (req.quantity or 0) > capacity:
            raise ServiceError(
                N_("Only %(open)s is still open on this need."), field="quantity", open=capacity
            )
    unit = p.block.unit
    match = Match(
        contract_id=p.contract.id or 0,
        initiative_id=p.initiative.id if p.initiative else None,
        need_id=p.need.id if p.need else None,
        block_id=p.block.id or 0,
        table_id=p.table.id or 0,
        quantity=req.quantity or 0,
        hours_per_week=req.hours_per_week if unit == BlockUnit.FTE_YEAR else None,
        months=req.months if unit == BlockUnit.FTE_YEAR else None,
        weeks=req.weeks if unit == BlockUnit.INTERNSHIP_YEAR else None,
        bonus_codes=list(req.bonuses),
        value_cents=p.valuation.value_cents,
        breakdown=p.valuation.breakdown(),
        status=MatchStatus.PROPOSED,
        note=req.note.strip(),
        created_by_id=actor.id,
        submission_key=req.submission_key or None,
    )
    session.add(match)
    try:
        session.flush()
    except IntegrityError as exc:  # the same key arrived twice at the same moment
        raise Conflict(N_("This pledge was already submitted.")) from exc
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
    """Answer a change request: new quantity, block or note, valued again, back to proposed."""
    match = _own_match(session, actor, match_id)
    if match.status != MatchStatus.CHANGES_REQUESTED:
        raise Conflict(N_("Only a pledge with a change request can be resubmitted."))
    req = replace(
        req,
        contract_id=match.contract_id,
        need_id=match.need_id,
        initiative_id=match.initiative_id,
        submission_key=None,
    )
    p = resolve(session, actor=actor, req=req)
    if p.need is not None:
        _lock_need(session, p.need)
        capacity = open_capacity(session, p.need, excluding_match=match.id)
        if (req.quantity or 0) > capacity:
            raise ServiceError(
                N_("Only %(open)s is still open on this need."), field="quantity", open=capacity
            )
    changes = {
        "block_id": p.block.id,
        "quantity": req.quantity,
        "value_cents": p.valuation.value_cents,
        "breakdown": p.valuation.breakdown(),
        "bonus_codes": list(req.bonuses),
        "hours_per_week": req.hours_per_week if p.block.unit == BlockUnit.FTE_YEAR else None,
        "months": req.months if p.block.unit == BlockUnit.FTE_YEAR else None,
        "weeks": req.weeks if p.block.unit == BlockUnit.INTERNSHIP_YEAR else None,
        "note": req.note.strip(),
    }
    return transition(
        session, match, to=MatchStatus.PROPOSED, actor=actor, action="match.resubmitted", changes=changes
    )
