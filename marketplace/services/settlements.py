"""The end of a contract: met, or settlement (a recovery period, best effort accepted, or money), then settled.

The state machine (models.lifecycle.ContractStatus)::

    plan_due -> plan_approved -> running -> met
                                         -> settlement -> recovery -> met | settlement
                                                       -> settled

- the plan's approval moves plan_due to plan_approved (services.plans), the first approved contribution
  moves it on to running (`note_commitment`);
- after the end date, `advance` moves a contract to met when what the officer verified reaches the
  obligation, and otherwise to settlement; after a recovery date the same check runs again;
- in settlement the officer decides with a reason (`settle`): a recovery period (one, to a new date; the
  contract stays open until then), best effort accepted (nothing owed), or a financial settlement of the
  unrealised part (obligation - verified), withheld from the final payment or invoiced. The last two settle
  the contract; a met or settled contract is read-only.

Every transition is one guarded UPDATE (the contract's version) with one audit event.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from ..counting import contract_obligation, counts_as_activity, policy_of
from ..models import (
    Contract,
    ContractStatus,
    Government,
    Match,
    RealisationReport,
    ReportStatus,
    Settlement,
    SettlementKind,
    User,
)
from ..models._base import utcnow
from ..policy import ObligationState
from . import validation as v
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .guard import check_seen, guarded_update
from .scope import acts_for

CS = ContractStatus
CLOSED = (CS.MET, CS.SETTLED)
# Reports may still come in, and be checked, while the officer settles.
REPORTING = (CS.PLAN_DUE, CS.PLAN_APPROVED, CS.RUNNING, CS.RECOVERY, CS.SETTLEMENT)
TRANSITIONS: dict[str, frozenset[str]] = {
    CS.PLAN_DUE: frozenset({CS.PLAN_APPROVED, CS.MET, CS.SETTLEMENT}),
    CS.PLAN_APPROVED: frozenset({CS.RUNNING, CS.MET, CS.SETTLEMENT}),
    CS.RUNNING: frozenset({CS.MET, CS.SETTLEMENT}),
    CS.SETTLEMENT: frozenset({CS.RECOVERY, CS.SETTLED}),
    CS.RECOVERY: frozenset({CS.MET, CS.SETTLEMENT}),
    CS.MET: frozenset(),
    CS.SETTLED: frozenset(),
}
FIELDS = ("status", "recovery_until", "closed_on", "version")
METHODS = ("withhold", "invoice")
MAX_RECOVERY_DAYS = 366


def ensure_open(contract: Contract, today: date, *, settling: bool = False) -> None:
    """Refuse changes to a closed contract; pledges (settling=False) also need its term (or recovery) to run."""
    if contract.status in CLOSED:
        raise Conflict(
            N_("This contract is closed (%(status)s); it can no longer change."), status=contract.status
        )
    if settling:
        return
    last = contract.recovery_until if contract.status == CS.RECOVERY and contract.recovery_until else None
    if today > (last or contract.end_date) or contract.status == CS.SETTLEMENT:
        raise ServiceError(
            N_("This contract ended on %(end)s: pledges are no longer possible."),
            field="contract",
            end=(last or contract.end_date).isoformat(),
        )


def move(
    session: Session,
    contract: Contract,
    to: str,
    *,
    actor: User | None,
    action: str,
    reason: str = "",
    **values: object,
) -> None:
    """One guarded transition of the contract, with its audit event."""
    if to not in TRANSITIONS.get(contract.status, frozenset()):
        raise Conflict(
            N_("A contract that is %(status)s cannot be changed this way."), status=contract.status
        )
    before = snapshot(contract, FIELDS)
    guarded_update(session, contract, status=to, **values)
    record(
        session,
        actor=actor,
        action=action,
        entity_type="contract",
        entity_id=contract.id or 0,
        before=before,
        after=snapshot(contract, FIELDS),
        reason=reason,
    )


def note_commitment(session: Session, contract: Contract, actor: User) -> None:
    """An approved contribution sets a contract whose plan is approved running."""
    if contract.status == CS.PLAN_APPROVED:
        move(session, contract, CS.RUNNING, actor=actor, action="contract.running")


@dataclass(frozen=True)
class Standing:
    """What the officer verified against the obligation: the basis of met or short at the end."""

    obligation_cents: int
    verified_cents: int
    computable: bool
    small: bool
    activities_verified: int

    @property
    def met(self) -> bool:
        if not self.computable:
            return False
        if self.small:
            return self.activities_verified >= 1
        return self.verified_cents >= self.obligation_cents

    @property
    def shortfall_cents(self) -> int:
        return max(0, self.obligation_cents - self.verified_cents)


def standing(session: Session, contract: Contract) -> Standing:
    ob = contract_obligation(contract)
    rows = session.exec(
        select(RealisationReport.match_id, func.sum(RealisationReport.value_cents))
        .where(
            RealisationReport.contract_id == contract.id, RealisationReport.status == ReportStatus.ACCEPTED
        )
        .group_by(col(RealisationReport.match_id))
    ).all()
    verified = sum(int(value or 0) for _m, value in rows)
    activities = 0
    small = ob.state == ObligationState.SMALL
    if small and rows:
        from ..models import BuildingBlock

        policy = policy_of(contract)
        by_match = {m: int(value or 0) for m, value in rows}
        for match, block in session.exec(
            select(Match, BuildingBlock)
            .join(BuildingBlock, col(BuildingBlock.id) == Match.block_id)
            .where(col(Match.id).in_(list(by_match)))
        ).all():
            if counts_as_activity(policy, by_match[match.id or 0], block.route):
                activities += 1
    # Under the small-contract rule the money at stake is the value one social activity should have had.
    amount = policy_of(contract).small_activity_min_cents if small else ob.amount_cents
    return Standing(amount, verified, ob.computable, small, activities)


def advance(session: Session, *, today: date, actor: User | None = None) -> dict[str, int]:
    """Move every contract whose end date or recovery date passed to met or settlement. Idempotent."""
    moved = {CS.MET.value: 0, CS.SETTLEMENT.value: 0}
    due = session.exec(
        select(Contract)
        .where(
            (
                col(Contract.status).in_((CS.PLAN_DUE, CS.PLAN_APPROVED, CS.RUNNING))
                & (col(Contract.end_date) < today)
            )
            | ((col(Contract.status) == CS.RECOVERY) & (col(Contract.recovery_until) < today))
        )
        .order_by(col(Contract.id))
    ).all()
    for contract in due:
        to = CS.MET if standing(session, contract).met else CS.SETTLEMENT
        if to == CS.MET:
            move(session, contract, to, actor=actor, action="contract.met", closed_on=today)
        else:
            move(session, contract, to, actor=actor, action="contract.settlement")
        moved[to] += 1
    return moved


@dataclass(frozen=True)
class SettlementInput:
    contract_id: int
    kind: str
    reason: str
    recovery_until: date | None = None
    method: str = ""
    seen_version: int | None = None


def _number(session: Session, contract: Contract, today: date) -> str:
    """The statement's number: the government's slug, the year, and a sequence within them."""
    government = session.get(Government, contract.government_id)
    prefix = f"SRX-{(government.slug if government else 'x').upper()}-{today.year}-"
    count = session.exec(
        select(func.count()).select_from(Settlement).where(col(Settlement.number).startswith(prefix))
    ).one()
    return f"{prefix}{int(count) + 1:04d}"


def settle(session: Session, *, actor: User, data: SettlementInput, today: date | None = None) -> Settlement:
    """The officer's decision on a contract in settlement, with a reason."""
    today = today or utcnow().date()
    contract = session.get(Contract, data.contract_id)
    if contract is None or not acts_for(session, actor, contract.government_id):
        raise NotFound(N_("This contract does not exist."))
    check_seen(
        contract, data.seen_version, N_("This contract changed since you opened it. Look at it again.")
    )
    if contract.status != CS.SETTLEMENT:
        raise Conflict(N_("Only a contract in settlement can be settled."))
    kind = v.choice(data.kind, "kind", tuple(SettlementKind))
    reason = v.text(data.reason, "reason", max_len=4000, required=True)
    st = standing(session, contract)
    if not st.computable:
        raise ServiceError(
            N_("Complete the contract first: its obligation cannot be computed."), field="kind"
        )
    settlement = Settlement(
        contract_id=contract.id or 0,
        kind=kind,
        reason=reason,
        decided_by_id=actor.id,
        obligation_cents=st.obligation_cents,
        verified_cents=st.verified_cents,
    )
    if kind == SettlementKind.RECOVERY:
        had = session.exec(
            select(Settlement.id).where(
                Settlement.contract_id == contract.id, Settlement.kind == SettlementKind.RECOVERY
            )
        ).first()
        if had is not None:
            raise ServiceError(N_("This contract had its recovery period; settle it now."), field="kind")
        until = v.day(data.recovery_until, "recovery_until", required=True)
        assert until is not None
        if until <= today or (until - today).days > MAX_RECOVERY_DAYS:
            raise ServiceError(N_("Choose a date after today and within a year."), field="recovery_until")
        settlement.recovery_until = until
        settlement.number = _number(session, contract, today)
        move(
            session,
            contract,
            CS.RECOVERY,
            actor=actor,
            action="contract.recovery",
            reason=reason,
            recovery_until=until,
        )
    else:
        if kind == SettlementKind.FINANCIAL:
            settlement.method = v.choice(data.method, "method", METHODS)
            settlement.amount_cents = st.shortfall_cents
        settlement.number = _number(session, contract, today)
        move(
            session,
            contract,
            CS.SETTLED,
            actor=actor,
            action=f"contract.settled_{kind}",
            reason=reason,
            closed_on=today,
        )
    session.add(settlement)
    session.flush()
    return settlement


def settlements_of(session: Session, contract_id: int) -> list[Settlement]:
    return list(
        session.exec(
            select(Settlement)
            .where(Settlement.contract_id == contract_id)
            .order_by(col(Settlement.decided_at), col(Settlement.id))
        ).all()
    )


def visible_settlement(session: Session, actor: User, settlement_id: int) -> tuple[Settlement, Contract]:
    settlement = session.get(Settlement, settlement_id)
    contract = session.get(Contract, settlement.contract_id) if settlement else None
    ok = contract is not None and (
        (actor.role == "company" and contract.company_id == actor.company_id)
        or acts_for(session, actor, contract.government_id)
    )
    if settlement is None or contract is None or not ok:
        raise NotFound(N_("This settlement does not exist."))
    return settlement, contract
