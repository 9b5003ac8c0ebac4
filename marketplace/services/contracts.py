"""Registering an awarded contract, with its policy and valuation table frozen at award."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from ..models import CONTRACT_KINDS, Company, Contract, ContractStatus, Government, User, ValuationTable
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .policies import policy_in_force
from .scope import acts_for

CONTRACT_FIELDS = (
    "reference",
    "title",
    "kind",
    "sum_cents",
    "labour_component_cents",
    "award_date",
    "end_date",
    "table_id",
    "policy_version",
    "policy",
    "status",
    "plan_due_on",
)


@dataclass(frozen=True)
class ContractInput:
    """An award as the officer registers it; the company by id or by KvK number."""

    reference: str
    title: str
    sum_cents: int | None
    award_date: date | None
    end_date: date | None
    company_id: int | None = None
    company_kvk: str | None = None
    labour_component_cents: int | None = None
    kind: str = "services"


def table_in_force(session: Session, government_id: int, day: date) -> ValuationTable | None:
    tables = session.exec(
        select(ValuationTable)
        .where(ValuationTable.government_id == government_id)
        .order_by(col(ValuationTable.version).desc())
    ).all()
    return next((t for t in tables if t.in_force_on(day)), None)


def register_contract(
    session: Session, *, actor: User | None, government: Government, data: ContractInput
) -> Contract:
    """Record an award; the government's current policy and the table in force at award are frozen."""
    if actor is not None and actor.role != "admin" and not acts_for(session, actor, government.id):
        raise NotFound(N_("This government does not exist."))
    reference = v.text(data.reference, "reference", max_len=60, required=True).upper()
    if session.exec(select(Contract.id).where(Contract.reference == reference)).first() is not None:
        raise ServiceError(N_("A contract with this reference already exists."), field="reference")
    company = None
    if data.company_id is not None:
        company = session.get(Company, data.company_id)
    elif data.company_kvk:
        company = session.exec(select(Company).where(Company.kvk == data.company_kvk)).first()
    if company is None:
        raise ServiceError(N_("Choose the company that won the contract."), field="company_id")
    award = v.day(data.award_date, "award_date", required=True)
    end = v.day(data.end_date, "end_date", required=True)
    assert award is not None and end is not None
    if end < award:
        raise ServiceError(N_("The end date is before the award date."), field="end_date")
    kind = v.choice(data.kind, "kind", CONTRACT_KINDS)
    policy = policy_in_force(session, government.id or 0, award)
    if policy is None:
        raise ServiceError(
            N_("No policy of %(government)s was in force on the award date."),
            field="award_date",
            government=government.name,
        )
    table = table_in_force(session, government.id or 0, award)
    if table is None:
        raise ServiceError(
            N_("No valuation table of %(government)s was in force on the award date."),
            field="award_date",
            government=government.name,
        )
    contract = Contract(
        reference=reference,
        government_id=government.id or 0,
        company_id=company.id or 0,
        kind=kind,
        title=v.text(data.title, "title", max_len=300, required=True),
        sum_cents=v.integer(data.sum_cents, "sum_cents", low=1, high=MAX_CENTS) or 0,
        labour_component_cents=v.integer(
            data.labour_component_cents, "labour_component_cents", low=0, high=MAX_CENTS, required=False
        ),
        award_date=award,
        end_date=end,
        table_id=table.id or 0,
        policy=dict(policy.policy),
        policy_version=policy.version,
        status=ContractStatus.PLAN_DUE,
        # The plan van aanpak is due the policy's number of days after the award (7 in WSP regio Amersfoort).
        plan_due_on=award + timedelta(days=int(policy.policy.get("plan_deadline_days", 7))),
    )
    _check_labour(contract)
    session.add(contract)
    session.flush()
    record(
        session,
        actor=actor,
        action="contract.registered",
        entity_type="contract",
        entity_id=contract.id or 0,
        after=snapshot(contract, CONTRACT_FIELDS),
    )
    return contract


def _check_labour(contract: Contract) -> None:
    if contract.labour_component_cents is not None and contract.labour_component_cents > contract.sum_cents:
        raise ServiceError(
            N_("The labour component cannot be more than the contract sum."), field="labour_component_cents"
        )


@dataclass(frozen=True)
class CompletionInput:
    """What an officer fills in so that a contract's obligation can be computed."""

    contract_id: int
    labour_component_cents: int | None
    seen_version: int | None = None


def complete_contract(session: Session, *, actor: User, data: CompletionInput) -> Contract:
    """Give an incomplete contract what its frozen policy needs (today: the labour component)."""
    from ..counting import contract_obligation

    contract = session.get(Contract, data.contract_id)
    if contract is None or not acts_for(session, actor, contract.government_id):
        raise NotFound(N_("This contract does not exist."))
    if data.seen_version is not None and data.seen_version != contract.version:
        raise Conflict(
            N_("Someone else changed this contract in the meantime. Reload the page and try again.")
        )
    before = snapshot(contract, CONTRACT_FIELDS)
    contract.labour_component_cents = v.integer(
        data.labour_component_cents, "labour_component_cents", low=0, high=MAX_CENTS
    )
    _check_labour(contract)
    if not contract_obligation(contract).computable:
        raise ServiceError(N_("The obligation still cannot be computed."), field="labour_component_cents")
    contract.version += 1
    session.add(contract)
    record(
        session,
        actor=actor,
        action="contract.completed",
        entity_type="contract",
        entity_id=contract.id or 0,
        before=before,
        after=snapshot(contract, CONTRACT_FIELDS),
    )
    return contract
