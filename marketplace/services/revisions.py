"""Revisions of approved contributions: a placement that ended early, a purchase invoiced lower, an activity
that did not happen. The company or the officer proposes one with a reason; the officer approves it; the value
changes from then on and every earlier value stays in the history (the revisions and the audit trail).

A revision only lowers a value: more than was approved is a new pledge. The new value is computed the way the
pledge was valued, from the contract's frozen table (a placement's new end date gives its new months).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ..models import (
    BlockUnit,
    BuildingBlock,
    Contract,
    Match,
    MatchStatus,
    Placement,
    Revision,
    RevisionKind,
    RevisionStatus,
    User,
    ValuationTable,
)
from ..models._base import utcnow
from ..policy import term_months
from ..valuation import MAX_CENTS, Person, PledgeInput, Valuation, ValuationError, value_pledge
from . import validation as v
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .lifecycle import guarded_change, load_match
from .placements import counted_slots, placement_of, replace_slots
from .scope import acts_for
from .settlements import ensure_open

REVISABLE = (MatchStatus.APPROVED, MatchStatus.DELIVERED)
FIELDS = ("kind", "reason", "old_value_cents", "new_value_cents", "new_end_date", "new_quantity", "status")


@dataclass(frozen=True)
class RevisionInput:
    match_id: int
    kind: str
    reason: str
    new_end_date: date | None = None  # placements that ended early
    new_quantity: int | None = None  # hours, days, or the invoiced amount in cents
    new_value_cents: int | None = None  # blocks valued by agreement or "at most"


def _visible(session: Session, actor: User, match_id: int) -> tuple[Match, Contract]:
    match = load_match(session, match_id)
    contract = session.get(Contract, match.contract_id)
    ok = contract is not None and (
        (actor.role == "company" and contract.company_id == actor.company_id)
        or acts_for(session, actor, contract.government_id)
    )
    if not ok or contract is None:
        raise NotFound(N_("This pledge does not exist."))
    return match, contract


def _person(p: Placement) -> Person:
    flags = {
        "permanent_contract": p.employment == "permanent",
        "statushouder_or_language": p.statushouder_or_language,
        "after_vso_pro_internship": p.after_vso_pro_internship,
        "occupational_disability": p.occupational_disability,
    }
    return Person(
        target_group=p.target_group, age_band=p.age_band, flags=frozenset(k for k, on in flags.items() if on)
    )


def revalue(
    session: Session,
    match: Match,
    *,
    quantity: int | None = None,
    end_date: date | None = None,
    value_cents: int | None = None,
) -> tuple[Valuation, dict[str, Any], tuple[str, ...]]:
    """The contribution valued again with a changed quantity, end date or agreed value: (valuation, match
    changes, the months a placement then counts in)."""
    from .pledges import block_spec

    block = session.get(BuildingBlock, match.block_id)
    table = session.get(ValuationTable, match.table_id)
    assert block is not None and table is not None
    bonuses = {
        b.code: block_spec(b)
        for b in session.exec(
            select(BuildingBlock).where(
                BuildingBlock.table_id == table.id, BuildingBlock.unit == BlockUnit.BONUS
            )
        ).all()
    }
    placement = placement_of(session, match.id or 0)
    changes: dict[str, Any] = {}
    slots: tuple[str, ...] = ()
    if value_cents is not None:
        line = {
            "kind": "agreement",
            "label": block.label,
            "value_cents": value_cents,
            "params": {"estimate_cents": match.value_cents, "agreed": True, "revised": True},
        }
        return Valuation(value_cents, ()), {"value_cents": value_cents, "breakdown": [line]}, ()
    pledge = PledgeInput(
        quantity=match.quantity, hours_per_week=match.hours_per_week, months=match.months, weeks=match.weeks
    )
    if placement is not None and end_date is not None:
        if end_date < placement.start_date:
            raise ServiceError(N_("The end date is before the start date."), field="new_end_date")
        months = term_months(placement.start_date, end_date)
        weeks = max(1, (end_date - placement.start_date).days // 7)
        pledge = PledgeInput(
            quantity=1,
            hours_per_week=placement.hours_per_week,
            months=max(1, months),
            weeks=weeks,
            person=_person(placement),
        )
        changes.update(
            months=pledge.months if block.unit == BlockUnit.FTE_YEAR else None,
            weeks=weeks if block.unit == BlockUnit.INTERNSHIP_YEAR else None,
        )
    elif quantity is not None:
        pledge = PledgeInput(
            quantity=quantity, hours_per_week=match.hours_per_week, months=match.months, weeks=match.weeks
        )
        changes["quantity"] = quantity
    try:
        valuation = value_pledge(
            block_spec(block), pledge, bonuses=bonuses, group_caps=dict(table.group_caps or {})
        )
    except ValuationError as exc:
        raise ServiceError(
            exc.message, field="new_quantity" if exc.field == "quantity" else exc.field, **exc.params
        ) from exc
    if placement is not None and end_date is not None:
        base = next((ln for ln in valuation.lines if ln.kind == "base"), None)
        counted = int(base.params.get("months", 0)) if base is not None and "months" in base.params else 0
        slots = counted_slots(placement.start_date, counted) if counted else ()
        if term_months(placement.start_date, end_date) < 1:
            valuation, slots = Valuation(0, ()), ()
    changes.update(value_cents=valuation.value_cents, breakdown=valuation.breakdown())
    return valuation, changes, slots


def _not_below_reported(session: Session, match: Match, new_value: int) -> None:
    """Committed stays at or above what was reported (and so verified) of the contribution."""
    from .reports import reported_of

    reported = reported_of(session, [match.id or 0]).get(match.id or 0)
    if reported is not None and new_value < reported.value_cents:
        raise ServiceError(
            N_("The new value cannot be below what was reported already (%(value)s)."),
            field="new_value_cents",
            value=f"EUR {reported.value_cents / 100:,.2f}",
        )


def propose_revision(session: Session, *, actor: User, data: RevisionInput) -> Revision:
    """Propose a lower value for an approved contribution, with the reason; the officer decides."""
    match, contract = _visible(session, actor, data.match_id)
    ensure_open(contract, utcnow().date(), settling=True)
    if match.status not in REVISABLE:
        raise Conflict(N_("Only an approved or delivered contribution can be revised."))
    open_one = session.exec(
        select(Revision.id).where(Revision.match_id == match.id, Revision.status == RevisionStatus.PROPOSED)
    ).first()
    if open_one is not None:
        raise Conflict(N_("A revision of this contribution is already waiting for the officer."))
    kind = v.choice(data.kind, "kind", tuple(RevisionKind))
    reason = v.text(data.reason, "reason", max_len=2000, required=True)
    placement = placement_of(session, match.id or 0)
    if placement is not None and kind not in (RevisionKind.ENDED_EARLY, RevisionKind.DID_NOT_HAPPEN):
        raise ServiceError(
            N_("A placement is revised by its new end date, or as not having happened."), field="kind"
        )
    if kind == RevisionKind.DID_NOT_HAPPEN:
        new_value, changes = (
            0,
            {
                "value_cents": 0,
                "breakdown": [{"kind": "revised_zero", "label": "", "value_cents": 0, "params": {}}],
            },
        )
    elif kind == RevisionKind.ENDED_EARLY:
        if placement is None:
            raise ServiceError(
                N_("Only a placement ends early; choose another kind of revision."), field="kind"
            )
        end = v.day(data.new_end_date, "new_end_date", required=True)
        assert end is not None
        if end >= placement.end_date:
            raise ServiceError(
                N_("The new end date must be before the current one (%(end)s)."),
                field="new_end_date",
                end=placement.end_date.isoformat(),
            )
        valuation, changes, _slots = revalue(session, match, end_date=end)
        new_value = valuation.value_cents
    elif data.new_value_cents is not None:
        new_value = v.integer(data.new_value_cents, "new_value_cents", low=0, high=MAX_CENTS) or 0
        _valuation, changes, _slots = revalue(session, match, value_cents=new_value)
    else:
        quantity = v.integer(data.new_quantity, "new_quantity", low=0, high=MAX_CENTS)
        if quantity is None or quantity >= match.quantity:
            raise ServiceError(
                N_("Enter less than the %(old)s now counted."), field="new_quantity", old=match.quantity
            )
        valuation, changes, _slots = (
            revalue(session, match, quantity=quantity)
            if quantity
            else (Valuation(0, ()), {"value_cents": 0, "quantity": 0, "breakdown": []}, ())
        )
        new_value = valuation.value_cents
    _not_below_reported(session, match, new_value)
    if new_value >= match.value_cents:
        raise ServiceError(
            N_("A revision lowers the value (now %(value)s); more is a new pledge."),
            field="new_value_cents",
            value=f"EUR {match.value_cents / 100:,.2f}",
        )
    revision = Revision(
        match_id=match.id or 0,
        kind=kind,
        reason=reason,
        old_value_cents=match.value_cents,
        new_value_cents=new_value,
        new_end_date=data.new_end_date if placement else None,
        new_quantity=changes.get("quantity"),
        new_breakdown=list(changes.get("breakdown") or []),
        proposed_by_id=actor.id,
    )
    session.add(revision)
    session.flush()
    record(
        session,
        actor=actor,
        action="revision.proposed",
        entity_type="match",
        entity_id=match.id or 0,
        after=snapshot(revision, FIELDS),
        reason=reason,
    )
    return revision


def decide_revision(
    session: Session, *, actor: User, revision_id: int, approve: bool, reason: str = ""
) -> Revision:
    """The officer approves a revision (the value changes from now on) or rejects it with a reason."""
    revision = session.get(Revision, revision_id)
    if revision is None or actor.role not in ("officer", "adviser"):
        raise NotFound(N_("This revision does not exist."))
    match, _contract = _visible(session, actor, revision.match_id)
    if revision.status != RevisionStatus.PROPOSED:
        raise Conflict(N_("This revision was decided already."))
    reason = v.text(reason, "reason", max_len=2000, required=not approve)
    before = snapshot(revision, FIELDS)
    if approve:
        if match.value_cents != revision.old_value_cents:
            raise Conflict(N_("The contribution changed since this revision was proposed; propose it again."))
        ensure_open(_contract, utcnow().date(), settling=True)
        _not_below_reported(session, match, revision.new_value_cents)
        placement = placement_of(session, match.id or 0)
        slots: tuple[str, ...] = ()
        changes: dict[str, Any] = {
            "value_cents": revision.new_value_cents,
            "breakdown": revision.new_breakdown,
        }
        if revision.new_quantity is not None:
            changes["quantity"] = revision.new_quantity
        if placement is not None and revision.new_end_date is not None:
            _valuation, recomputed, slots = revalue(session, match, end_date=revision.new_end_date)
            changes.update({k: recomputed[k] for k in ("months", "weeks") if k in recomputed})
        guarded_change(
            session, match, actor=actor, action="match.revised", reason=revision.reason, changes=changes
        )
        if placement is not None:
            if revision.new_end_date is not None:
                placement.end_date = revision.new_end_date
                session.add(placement)
            replace_slots(session, placement, slots if revision.new_end_date is not None else ())
    revision.status = RevisionStatus.APPROVED if approve else RevisionStatus.REJECTED
    revision.decided_by_id, revision.decided_at, revision.decision_reason = actor.id, utcnow(), reason
    session.add(revision)
    record(
        session,
        actor=actor,
        action="revision.approved" if approve else "revision.rejected",
        entity_type="match",
        entity_id=match.id or 0,
        before=before,
        after=snapshot(revision, FIELDS),
        reason=reason,
    )
    return revision


def revisions_of(session: Session, match_ids: list[int]) -> dict[int, list[Revision]]:
    out: dict[int, list[Revision]] = {}
    if match_ids:
        for r in session.exec(
            select(Revision)
            .where(col(Revision.match_id).in_(match_ids))
            .order_by(col(Revision.created_at), col(Revision.id))
        ).all():
            out.setdefault(r.match_id, []).append(r)
    return out
