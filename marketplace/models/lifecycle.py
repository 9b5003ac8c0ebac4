"""The life of a contract after the award: the plan van aanpak, realisation reports with evidence, settlement.

registered (award) -> plan due -> plan approved -> running -> met | settlement -> recovery -> settled.
A contract's `status` holds where it is; the end date, the recovery date and the totals decide what is due
next (services.lifecycle_contracts).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column, utcnow


class ContractStatus(StrEnum):
    PLAN_DUE = "plan_due"
    PLAN_APPROVED = "plan_approved"
    RUNNING = "running"
    MET = "met"
    SETTLEMENT = "settlement"
    RECOVERY = "recovery"
    SETTLED = "settled"


CONTRACT_STATUSES = tuple(ContractStatus)
# While a contract is in one of these, it takes pledges, placements and reports.
OPEN_STATUSES = (
    ContractStatus.PLAN_DUE,
    ContractStatus.PLAN_APPROVED,
    ContractStatus.RUNNING,
    ContractStatus.RECOVERY,
)


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class Plan(SQLModel, table=True):
    """The plan van aanpak of one contract: routes, proposed pledges, intended placements and text."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", unique=True)
    status: str = Field(default=PlanStatus.DRAFT, max_length=20, index=True)
    routes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    text: str = Field(default="")
    # Proposed pledges ({"target", "block", "quantity", ...}) and intended placements
    # ({"target_group", "persons", "months", "hours_per_week"}), as the company wrote them.
    pledges: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    placements: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    officer_reason: str = Field(default="")
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RealisationReport(SQLModel, table=True):
    """What one approved contribution realised in one period, with evidence; the officer accepts or rejects it."""

    __table_args__ = (UniqueConstraint("match_id", "period_start", "attempt"),)
    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", index=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    period_start: date
    period_end: date
    # What was realised in the period, in the block's own unit (hours, days, cents, months of a placement).
    quantity: int = Field(sa_column=cents_column())
    value_cents: int = Field(sa_column=cents_column())
    note: str = Field(default="")
    status: str = Field(default=ReportStatus.SUBMITTED, max_length=20, index=True)
    officer_reason: str = Field(default="")
    # A rejected report can be sent again for the same period: the next attempt.
    attempt: int = 1
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    version: int = 1


class Evidence(SQLModel, table=True):
    """A file that supports a report: a payslip, an employer's statement, an invoice, a signed statement.

    The file lives in the evidence store (marketplace/storage.py), outside the web root, under `storage_key`;
    it is served only to the contract's company and its officers, and deleted after the retention period.
    """

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="realisationreport.id", index=True)
    kind: str = Field(max_length=30)  # payslip | employer_statement | invoice | initiative_statement | other
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=120)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None


class SettlementKind(StrEnum):
    RECOVERY = "recovery"
    BEST_EFFORT = "best_effort"
    FINANCIAL = "financial"


class Settlement(SQLModel, table=True):
    """An officer's decision on a contract that ended short: a recovery period, best effort, or money."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    kind: str = Field(max_length=20)
    reason: str = Field(default="")
    recovery_until: date | None = None
    # Financial: the unrealised part (obligation - verified), to withhold from the final payment or invoice.
    amount_cents: int = Field(default=0, sa_column=cents_column())
    method: str = Field(default="", max_length=20)  # withhold | invoice
    obligation_cents: int = Field(default=0, sa_column=cents_column())
    verified_cents: int = Field(default=0, sa_column=cents_column())
    number: str = Field(default="", max_length=40, unique=True)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime = Field(default_factory=utcnow)


class AdviserGovernment(SQLModel, table=True):
    """A WSP adviser acts, on the officer's side, for each government the WSP serves."""

    __table_args__ = (UniqueConstraint("user_id", "government_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    government_id: int = Field(foreign_key="government.id", index=True)
