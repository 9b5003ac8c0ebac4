"""Officer decisions on matches: approve, reject with a reason, or ask for changes.

`decide` is the one path the officer pages and the API share. It checks, in this order, what can be
checked without computing anything (the officer's government, the match's state, the version the officer
saw), then asks `explain` for the recommender's view (stored with the decision as training data), then
moves the match and stores the decision, both in the caller's transaction.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from ..models import (
    BlockUnit,
    BuildingBlock,
    Company,
    Contract,
    Decision,
    Government,
    Initiative,
    Match,
    MatchStatus,
    Need,
    RealisationReport,
    RecognitionStatus,
    Revision,
    User,
)
from ..models._base import utcnow
from ..valuation import MAX_CENTS
from .errors import N_, Conflict, NotFound, ServiceError
from .lifecycle import check_transition, guarded_change, load_match, transition
from .scope import acts_for
from .settlements import ensure_open, note_commitment

MAX_REASON = 2000
# How long the officer who approved a pledge can take the approval back (APPROVAL_UNDO_MINUTES).
UNDO_MINUTES = 10
# The outcome of the decision row an undo adds; the approval it undoes no longer counts (models.not_withdrawn).
WITHDRAWN = "withdrawn"
CHANGED = N_("This pledge changed since you opened it. Look at it again before you decide.")


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
    # The version and value of the match the officer saw; None only for callers that act on the current
    # state (seeds, tests of other rules). The pages and the API always send them.
    seen_version: int | None = None
    seen_value_cents: int | None = None


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
            # The company's estimate (or the maximum) stays in the line: an undo puts it back.
            estimate = line.get("params", {}).get("estimate_cents", line.get("value_cents"))
            line["value_cents"] = agreed
            line["params"] = {
                **line.get("params", {}),
                "agreed": True,
                "agreed_cents": agreed,
                "estimate_cents": estimate,
            }
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


@dataclass
class Checked:
    """A decision that passed every check: what `decide` will write (nothing is written yet)."""

    match: Match
    contract: Contract
    outcome: Outcome
    action: str
    reason: str
    changes: dict[str, object] = field(default_factory=dict)

    @property
    def value_cents(self) -> int:
        """The value the pledge counts at once approved (the agreed value, for blocks valued by agreement)."""
        value = self.changes.get("value_cents", self.match.value_cents)
        return int(value) if isinstance(value, int) else self.match.value_cents


def check_decision(
    session: Session, *, actor: User, decision: DecisionInput, for_update: bool = False
) -> Checked:
    """Every check `decide` makes, in its order, writing nothing: the confirmation page asks this first."""
    match, contract = officer_match(session, actor, decision.match_id, for_update=for_update)
    outcome = Outcome(decision.outcome)
    action, reason_required = _RULES[outcome]
    check_transition(match, outcome)
    if (decision.seen_version is not None and decision.seen_version != match.version) or (
        decision.seen_value_cents is not None and decision.seen_value_cents != match.value_cents
    ):
        raise Conflict(CHANGED, match_id=match.id)
    reason = _clean_reason(decision.reason, required=reason_required)
    changes: dict[str, object] = {"officer_reason": reason}
    ensure_open(contract, utcnow().date(), settling=True)
    if outcome == Outcome.APPROVED:
        _check_supplier(session, match, contract)
        changes.update(
            _agreed_value(match, session.get(BuildingBlock, match.block_id), decision.agreed_value_cents)
        )
        changes["approved_at"] = utcnow()
    return Checked(match, contract, outcome, action, reason, changes)


def decide(
    session: Session, *, actor: User, decision: DecisionInput, explain: Explain | None = None
) -> Match:
    """Approve, reject or send back a proposed match, with one audit event and one stored decision.

    The match's row lock comes first: when two officers decide at once, the second waits for the first to
    commit and is refused (409) on the state it then reads, before anything is computed."""
    checked = check_decision(session, actor=actor, decision=decision, for_update=True)
    match, contract, outcome = checked.match, checked.contract, checked.outcome
    explanation = explain(match) if explain is not None else Explanation()
    transition(
        session,
        match,
        to=outcome,
        actor=actor,
        action=checked.action,
        reason=checked.reason,
        changes=checked.changes,
    )
    if outcome == Outcome.APPROVED:
        note_commitment(session, contract, actor)
    _decision(
        session,
        match=match,
        contract=contract,
        actor=actor,
        outcome=outcome,
        reason=checked.reason,
        explanation=explanation,
    )
    return match


# --- undo ------------------------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def undo_until(match: Match, minutes: int) -> datetime | None:
    """Until when an approval of `match` can still be undone (None when it is not approved)."""
    if match.status != MatchStatus.APPROVED or match.approved_at is None or minutes <= 0:
        return None
    return _as_utc(match.approved_at) + timedelta(minutes=minutes)


def _approval_of(session: Session, match_id: int) -> Decision | None:
    from ..models.audit import not_withdrawn

    return session.exec(
        select(Decision)
        .where(Decision.match_id == match_id, Decision.outcome == Outcome.APPROVED, not_withdrawn())
        .order_by(col(Decision.id).desc())
    ).first()


def undoable(session: Session, actor: User, match: Match, minutes: int, now: datetime | None = None) -> bool:
    """Whether `actor` may still undo the approval of `match` (the page shows the button only then)."""
    until = undo_until(match, minutes)
    if until is None or (now or utcnow()) >= until:
        return False
    approval = _approval_of(session, match.id or 0)
    return approval is not None and approval.officer_id == actor.id


def _without_agreement(match: Match, before_value: int) -> dict[str, Any]:
    """The value and breakdown as the company proposed them, before an agreed value replaced them."""
    lines: list[dict[str, Any]] = []
    agreed = False
    for line in match.breakdown:
        line = dict(line)
        params = dict(line.get("params", {}))
        if params.get("agreed") and not params.get("revised"):
            agreed = True
            line["value_cents"] = params.get("estimate_cents", before_value)
            params["agreed"] = False
            params.pop("agreed_cents", None)
            line["params"] = params
        lines.append(line)
    return {"value_cents": before_value, "breakdown": lines} if agreed else {}


def withdraw_approval(
    session: Session,
    *,
    actor: User,
    match_id: int,
    seen_version: int | None,
    minutes: int = UNDO_MINUTES,
    now: datetime | None = None,
) -> Match:
    """Undo an approval within `minutes`: the pledge is proposed again and a `withdrawn` decision is added.

    Only the officer who approved can undo, only while nothing rests on the approval yet (no delivery, no
    revision, no realisation report); later a revision corrects an approved contribution (docs/decisions.md).
    """
    match, _contract = officer_match(session, actor, match_id, for_update=True)
    if match.status != MatchStatus.APPROVED:
        raise Conflict(N_("A pledge that is %(status)s cannot be changed this way."), status=match.status)
    if seen_version is not None and seen_version != match.version:
        raise Conflict(CHANGED, match_id=match.id)
    approval = _approval_of(session, match.id or 0)
    if approval is None or approval.officer_id != actor.id:
        raise Conflict(N_("Only the officer who approved this pledge can undo the approval."))
    until = undo_until(match, minutes)
    if until is None or (now or utcnow()) >= until:
        raise Conflict(
            N_(
                "The approval can be undone only within %(minutes)s minutes. Propose a revision to correct "
                "the contribution."
            ),
            minutes=minutes,
        )
    for table in (Revision, RealisationReport):
        if session.exec(select(table.id).where(table.match_id == match.id)).first() is not None:
            raise Conflict(
                N_("Work rests on this approval already; propose a revision to correct the contribution.")
            )
    from ..models import AuditEvent

    approved_event = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "match",
            AuditEvent.entity_id == match.id,
            AuditEvent.action == "match.approved",
        )
        .order_by(col(AuditEvent.id).desc())
    ).first()
    before_value = (approved_event.before or {}).get("value_cents") if approved_event else None
    restored = _without_agreement(match, int(before_value)) if isinstance(before_value, int) else {}
    guarded_change(
        session,
        match,
        actor=actor,
        action="match.approval_withdrawn",
        changes={"status": MatchStatus.PROPOSED, "approved_at": None, "officer_reason": "", **restored},
    )
    # Decisions are append-only links of the audit chain: the undo is a row of its own, the approval stays.
    session.add(
        Decision(
            match_id=match.id,
            officer_id=actor.id,
            government=approval.government,
            contract_reference=approval.contract_reference,
            company_kvk=approval.company_kvk,
            initiative=approval.initiative,
            need=approval.need,
            building_block=approval.building_block,
            route=approval.route,
            quantity=approval.quantity,
            outcome=WITHDRAWN,
            reason="",
        )
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
