"""SMART plans for social-domain contributions, and revisions of approved contributions."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column, utcnow


class SmartPlanStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class SmartPlan(SQLModel, table=True):
    """A concise SMART plan the officer assesses before a social-domain contribution counts (Amsterdam)."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    goal: str = Field(max_length=2000)
    target_group: str = Field(max_length=1000)
    roots: str = Field(max_length=2000)  # how the initiative is rooted in the neighbourhood
    participants: str = Field(max_length=2000)  # who takes part
    status: str = Field(default=SmartPlanStatus.SUBMITTED, max_length=20, index=True)
    officer_reason: str = Field(default="")
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    version: int = 1


class RevisionKind(StrEnum):
    ENDED_EARLY = "ended_early"
    INVOICED_LOWER = "invoiced_lower"
    DID_NOT_HAPPEN = "did_not_happen"
    OTHER = "other"


class RevisionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


REVISION_KINDS = tuple(RevisionKind)


class Revision(SQLModel, table=True):
    """A change to an approved contribution's value; the officer approves it and the history stays."""

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", index=True)
    kind: str = Field(max_length=20)
    reason: str = Field(max_length=2000)
    old_value_cents: int = Field(sa_column=cents_column())
    new_value_cents: int = Field(sa_column=cents_column())
    # What changes beside the value: a placement's new end date, a purchase's new invoice amount.
    new_end_date: date | None = None
    new_quantity: int | None = Field(default=None, sa_column=cents_column(nullable=True))
    new_breakdown: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    status: str = Field(default=RevisionStatus.PROPOSED, max_length=20, index=True)
    proposed_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decision_reason: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
