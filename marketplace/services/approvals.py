"""Officer decisions on matches: approve, reject with a reason, or ask for changes.

`decide` is the one path the officer pages and the API share. It checks, in this order, what can be
checked without computing anything (the officer's government, the match's state, the version the officer
saw), then asks `explain` for the recommender's view (stored with the decision as training data), then
moves the match and stores the decision, both in the caller's transaction.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from ..models import (
    BlockUnit,
    BuildingBlock,
    Company,
    Contract,
    Decision,
    Government,
    Initiative,
    Match,
    Need,
    RecognitionStatus,
    User,
)
from ..models._base import utcnow
from ..valuation import MAX_CENTS
from .errors import N_, Conflict, NotFound, ServiceError
from .lifecycle import check_transition, load_match, transition
from .scope import acts_for
from .settlements import ensure_open, note_commitment

MAX_REASON = 2000


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"


# What each outcome needs: the audit action, and whether a reason is required.
_RULES: dict[Outcome, tuple[str, bool]] = {
    Outcome.APPROVED: ("match.approved", False),
    Outcome.REJECTED: ("match.rejected", True),
    Outcome.CHANGES_REQUESTED: ("match.changes_requested", True),
}


@dataclass(frozen=True)
class DecisionInput:
    """One officer decision as the page or the API submitted it."""

    match_id: int
    outcome: Outcome
    reason: str = ""
    agreed_value_cents: int | None = None
    # The version of the match the officer saw; None only for callers that act on the current state (seeds).
    seen_version: int | None = None


@dataclass(frozen=True)
class Explanation:
    """The recommender's view of a match at decision time; stored with the decision."""

    features: Mapping[str, float] | None = None
    score: float | None = None


Explain = Callable[[Match], Explanation]


def officer_match(
    session: Session, actor: User, match_id: int, *, for_update: bool = False
) -> tuple[Match, Contract]:
    """The match, if it belongs to the officer's own government; otherwise it does not exist for them."""
    match = load_match(session, match_id, for_update=for_update)
    contract = session.get(Contract, match.contract_id)
    if contract is None or not acts_for(session, actor, contract.government_id):
        raise NotFound(N_("This pledge does not exist."))
    return match, contract


def _decision(
    session: Session,
    *,
    match: Match,
    contract: Contract,
    actor: User,
    outcome: str,
    reason: str,
    explanation: Explanation,
) -> Decision:
    government = session.get(Government, contract.government_id)
    company = session.get(Company, contract.company_id)
    block = session.get(BuildingBlock, match.block_id)
    initiative = session.get(Initiative, match.initiative_id) if match.initiative_id else None
    need = session.get(Need, match.need_id) if match.need_id else None
    decision = Decision(
        match_id=match.id,
        officer_id=actor.id,
        government=government.slug if government else "",
        contract_reference=contract.reference,
        company_kvk=company.kvk if company else "",
        initiative=initiative.slug if initiative else "",
        need=need.reference if need else "",
        building_block=block.code if block else "",
        route=block.route if block else "",
        quantity=match.quantity,
        outcome=outcome,
        reason=reason,
        features=dict(explanation.features) if explanation.features else None,
        score=explanation.score,
    )
    session.add(decision)
    return decision


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError(N_("Give a reason, so the company knows what to do."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(
            N_("The reason is too long (at most %(max)s characters)."), field="reason", max=MAX_REASON
        )
    return reason


def _agreed_value(match: Match, block: BuildingBlock | None, agreed: int | None) -> dict[str, object]:
    """Blocks valued by agreement, and "at most" blocks: the officer sets the value (up to the maximum)."""
    if block is None or not (block.unit == BlockUnit.BY_AGREEMENT or block.at_most):
        return {}
    if agreed is None:
        raise ServiceError(N_("Set the agreed value for this contribution."), field="agreed_value")
    if agreed < 0 or agreed > MAX_CENTS:
        raise ServiceError(N_("Enter an amount between 0 and one billion euro."), field="agreed_value")
    if block.at_most and agreed > match.value_cents:
        raise ServiceError(
            N_("This contribution is worth at most %(max)s; set a value up to that."),
            field="agreed_value",
            max=f"EUR {match.value_cents / 100:,.2f}",
        )
    lines = [dict(line) for line in match.breakdown]
    for line in lines:
        if line.get("kind") in ("agreement", "at_most"):
            line["value_cents"] = agreed
            line["params"] = {**line.get("params", {}), "agreed": True, "agreed_cents": agreed}
    return {"value_cents": agreed, "breakdown": lines}


def _check_supplier(session: Session, match: Match, contract: Contract) -> None:
    """A purchase from a supplier outside the catalogue counts once the government recognises the supplier."""
    if match.supplier_id is None:
        return
    from .suppliers import recognition_for

    recognition = recognition_for(session, contract.government_id, match.supplier_id)
    if recognition is None or recognition.status != RecognitionStatus.RECOGNISED:
        raise ServiceError(
            N_(
                "Recognise the supplier first: a purchase counts only from a recognised social firm or "
                "SW-bedrijf."
            ),
            field="supplier",
        )


def decide(
    session: Session, *, actor: User, decision: DecisionInput, explain: Explain | None = None
) -> Match:
    """Approve, reject or send back a proposed match, with one audit event and one stored decision.

    The match's row lock comes first: when two officers decide at once, the second waits for the first to
    commit and is refused (409) on the state it then reads, before anything is computed."""
    match, contract = officer_match(session, actor, decision.match_id, for_update=True)
    outcome = Outcome(decision.outcome)
    action, reason_required = _RULES[outcome]
    check_transition(match, outcome)
    if decision.seen_version is not None and decision.seen_version != match.version:
        raise Conflict(
            N_("This pledge changed since you opened it. Look at it again before you decide."),
            match_id=match.id,
        )
    reason = _clean_reason(decision.reason, required=reason_required)
    changes: dict[str, object] = {"officer_reason": reason}
    ensure_open(contract, utcnow().date(), settling=True)
    if outcome == Outcome.APPROVED:
        _check_supplier(session, match, contract)
        changes.update(
            _agreed_value(match, session.get(BuildingBlock, match.block_id), decision.agreed_value_cents)
        )
        changes["approved_at"] = utcnow()
    explanation = explain(match) if explain is not None else Explanation()
    transition(session, match, to=outcome, actor=actor, action=action, reason=reason, changes=changes)
    if outcome == Outcome.APPROVED:
        note_commitment(session, contract, actor)
    _decision(
        session,
        match=match,
        contract=contract,
        actor=actor,
        outcome=outcome,
        reason=reason,
        explanation=explanation,
    )
    return match


def approve_match(
    session: Session,
    *,
    actor: User,
    match_id: int,
    reason: str = "",
    agreed_value_cents: int | None = None,
    seen_version: int | None = None,
    explain: Explain | None = None,
) -> Match:
    """Approve a proposed match: from now on it counts toward the contract's obligation."""
    return decide(
        session,
        actor=actor,
        explain=explain,
        decision=DecisionInput(match_id, Outcome.APPROVED, reason, agreed_value_cents, seen_version),
    )


def reject_match(
    session: Session,
    *,
    actor: User,
    match_id: int,
    reason: str,
    seen_version: int | None = None,
    explain: Explain | None = None,
) -> Match:
    """Reject a proposed match; a reason is required."""
    return decide(
        session,
        actor=actor,
        explain=explain,
        decision=DecisionInput(match_id, Outcome.REJECTED, reason, None, seen_version),
    )


def request_changes(
    session: Session,
    *,
    actor: User,
    match_id: int,
    reason: str,
    seen_version: int | None = None,
    explain: Explain | None = None,
) -> Match:
    """Send a proposed match back to the company with what to change."""
    return decide(
        session,
        actor=actor,
        explain=explain,
        decision=DecisionInput(match_id, Outcome.CHANGES_REQUESTED, reason, None, seen_version),
    )
