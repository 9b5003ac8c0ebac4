"""Officer decisions on matches: approve, reject with a reason, or ask for changes."""

from collections.abc import Mapping

from sqlmodel import Session

from ..models import BuildingBlock, Company, Contract, Decision, Government, Initiative, Match, Need, User
from ..valuation import MAX_CENTS
from .errors import N_, Conflict, NotFound, ServiceError
from .lifecycle import load_match, transition

MAX_REASON = 2000


def _officer_match(session: Session, actor: User, match_id: int) -> tuple[Match, Contract]:
    """The match, if it belongs to the officer's own government; otherwise it does not exist for them."""
    match = load_match(session, match_id)
    contract = session.get(Contract, match.contract_id)
    if actor.role != "officer" or contract is None or contract.government_id != actor.government_id:
        raise NotFound(N_("This pledge does not exist."))
    return match, contract


def _decision(session: Session, *, match: Match, contract: Contract, actor: User, outcome: str, reason: str,
              features: Mapping[str, float] | None, score: float | None) -> Decision:
    government = session.get(Government, contract.government_id)
    company = session.get(Company, contract.company_id)
    block = session.get(BuildingBlock, match.block_id)
    initiative = session.get(Initiative, match.initiative_id) if match.initiative_id else None
    need = session.get(Need, match.need_id) if match.need_id else None
    decision = Decision(
        match_id=match.id, officer_id=actor.id, government=government.slug if government else "",
        contract_reference=contract.reference, company_kvk=company.kvk if company else "",
        initiative=initiative.slug if initiative else "", need=need.reference if need else "",
        building_block=block.code if block else "", route=block.route if block else "",
        quantity=match.quantity, outcome=outcome, reason=reason,
        features=dict(features) if features else None, score=score,
    )
    session.add(decision)
    return decision


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError(N_("Give a reason, so the company knows what to do."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(N_("The reason is too long (at most %(max)s characters)."), field="reason",
                           max=MAX_REASON)
    return reason


def _decide(session: Session, *, actor: User, match_id: int, to: str, action: str, reason: str,
            required: bool, features: Mapping[str, float] | None, score: float | None,
            agreed_value_cents: int | None = None) -> Match:
    match, contract = _officer_match(session, actor, match_id)
    if match.status != "proposed":
        raise Conflict(N_("A pledge that is %(status)s cannot be changed this way."), status=match.status)
    reason = _clean_reason(reason, required=required)
    changes: dict[str, object] = {"officer_reason": reason}
    block = session.get(BuildingBlock, match.block_id)
    if to == "approved" and block is not None and block.unit == "by_agreement":
        if agreed_value_cents is None:
            raise ServiceError(N_("Set the agreed value for this contribution."), field="agreed_value")
        if agreed_value_cents < 0 or agreed_value_cents > MAX_CENTS:
            raise ServiceError(N_("Enter an amount between 0 and one billion euro."), field="agreed_value")
        lines = [dict(line) for line in match.breakdown]
        for line in lines:
            if line.get("kind") == "agreement":
                line["value_cents"] = agreed_value_cents
                line["params"] = {**line.get("params", {}), "agreed": True}
        changes.update(value_cents=agreed_value_cents, breakdown=lines)
    # The decision row rides in the same transaction as the transition.
    _decision(session, match=match, contract=contract, actor=actor, outcome=to, reason=reason,
              features=features, score=score)
    return transition(session, match, to=to, actor=actor, action=action, reason=reason, changes=changes)


def approve_match(session: Session, *, actor: User, match_id: int, reason: str = "",
                  agreed_value_cents: int | None = None, features: Mapping[str, float] | None = None,
                  score: float | None = None) -> Match:
    """Approve a proposed match: from now on it counts toward the contract's obligation."""
    return _decide(session, actor=actor, match_id=match_id, to="approved", action="match.approved",
                   reason=reason, required=False, features=features, score=score,
                   agreed_value_cents=agreed_value_cents)


def reject_match(session: Session, *, actor: User, match_id: int, reason: str,
                 features: Mapping[str, float] | None = None, score: float | None = None) -> Match:
    """Reject a proposed match; a reason is required."""
    return _decide(session, actor=actor, match_id=match_id, to="rejected", action="match.rejected",
                   reason=reason, required=True, features=features, score=score)


def request_changes(session: Session, *, actor: User, match_id: int, reason: str,
                    features: Mapping[str, float] | None = None, score: float | None = None) -> Match:
    """Send a proposed match back to the company with what to change."""
    return _decide(session, actor=actor, match_id=match_id, to="changes_requested",
                   action="match.changes_requested", reason=reason, required=True, features=features,
                   score=score)
