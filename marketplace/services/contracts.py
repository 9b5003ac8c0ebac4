"""Registering an awarded contract, with its policy and valuation table frozen at award."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ..models import Company, Contract, Government, User, ValuationTable
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import record, snapshot
from .errors import N_, NotFound, ServiceError

CONTRACT_FIELDS = (
    "reference",
    "title",
    "sum_cents",
    "award_date",
    "end_date",
    "table_id",
    "percentage_bp",
    "threshold_cents",
    "cap_cents",
    "basis",
    "small_contract_rule",
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
    if actor is not None and actor.role == "officer" and actor.government_id != government.id:
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
        title=v.text(data.title, "title", max_len=300, required=True),
        sum_cents=v.integer(data.sum_cents, "sum_cents", low=1, high=MAX_CENTS) or 0,
        labour_component_cents=v.integer(
            data.labour_component_cents, "labour_component_cents", low=0, high=MAX_CENTS, required=False
        ),
        award_date=award,
        end_date=end,
        table_id=table.id or 0,
        percentage_bp=government.percentage_bp,
        threshold_cents=government.threshold_cents,
        cap_cents=government.cap_cents,
        basis=government.basis,
        small_contract_rule=government.small_contract_rule,
    )
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
