"""Contracts with their frozen policy and table version, and matches (pledges) against them."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column, utcnow


class MatchStatus(StrEnum):
    """Where a pledge is in its lifecycle (services/lifecycle.py holds the allowed moves)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


MATCH_STATUSES = tuple(MatchStatus)
# Statuses whose quantity still holds a need's capacity.
HOLDING_STATUSES = (
    MatchStatus.PROPOSED,
    MatchStatus.CHANGES_REQUESTED,
    MatchStatus.APPROVED,
    MatchStatus.DELIVERED,
)
# Statuses that count toward the obligation.
COMMITTED_STATUSES = (MatchStatus.APPROVED, MatchStatus.DELIVERED)


class ContractKind(StrEnum):
    WORKS = "works"
    SERVICES = "services"
    SUPPLIES = "supplies"


CONTRACT_KINDS = tuple(ContractKind)


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(index=True, unique=True, max_length=60)
    government_id: int = Field(foreign_key="government.id", index=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    title: str = Field(max_length=300)
    kind: str = Field(default=ContractKind.SERVICES, max_length=20)
    sum_cents: int = Field(sa_column=cents_column())
    labour_component_cents: int | None = Field(default=None, sa_column=cents_column(nullable=True))
    award_date: date
    end_date: date
    # Frozen at award: the whole policy in force (marketplace.policy.Policy.as_dict) and the table version.
    table_id: int = Field(foreign_key="valuationtable.id")
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    policy_version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by every change of the contract and by pledges that must be unique per contract (PSO).
    version: int = 1
    # The lifecycle (models.lifecycle.ContractStatus): where it is, and the dates that move it on.
    status: str = Field(default="plan_due", max_length=20, index=True)
    plan_due_on: date | None = None
    recovery_until: date | None = None
    # The day it was met or settled: the retention period of its evidence runs from here.
    closed_on: date | None = None


class Match(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id", index=True)
    need_id: int | None = Field(default=None, foreign_key="need.id", index=True)
    block_id: int = Field(foreign_key="buildingblock.id")
    table_id: int = Field(foreign_key="valuationtable.id")
    quantity: int = Field(sa_column=cents_column())
    hours_per_week: int | None = None
    months: int | None = None
    weeks: int | None = None
    bonus_codes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    value_cents: int = Field(sa_column=cents_column())
    breakdown: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    status: str = Field(default="proposed", max_length=20, index=True)
    note: str = Field(default="")
    evidence: str = Field(default="")
    officer_reason: str = Field(default="")
    delivered_note: str = Field(default="")
    delivered_at: datetime | None = None
    # When it was approved: the committed line of the burn-down (revisions change the value from their date).
    approved_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    # What else the contribution rests on: a PSO certificate, a supplier outside the catalogue, a SMART plan.
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id")
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    smart_plan_id: int | None = Field(default=None, foreign_key="smartplan.id")
    # A double submit carries the same key and is refused by the unique index.
    submission_key: str | None = Field(default=None, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1
