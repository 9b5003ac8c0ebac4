"""Append-only audit trail, the outbox that drives search sync, and officer decisions.

Audit events and decisions form one hash chain (marketplace/audit_chain.py): each row holds its position, the
hash of the row before it and its own hash, set when it is flushed.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column, utcnow


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=60)
    entity_type: str = Field(max_length=40)
    entity_id: int = Field(index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    reason: str = Field(default="")
    chain_seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, index=True, nullable=True)
    )
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The last position and hash of the chain (one row); its lock serialises the writers of the chain."""

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)


class AuditVerification(SQLModel, table=True):
    """One run of `srx audit verify`: shown on the admin page; its head is a copy to check truncation against."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    ok: bool
    row_count: int = 0
    head_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    head_hash: str = Field(default="", max_length=64)
    message: str = Field(default="")


class Outbox(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    topic: str = Field(max_length=40, index=True)  # e.g. "search"
    entity_type: str = Field(max_length=40)
    entity_id: int
    processed_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str = Field(default="")


class Decision(SQLModel, table=True):
    """One officer decision with the features shown at that moment: the training data."""

    id: int | None = Field(default=None, primary_key=True)
    decided_at: datetime = Field(default_factory=utcnow, index=True)
    match_id: int | None = Field(default=None, foreign_key="match.id", index=True)
    officer_id: int | None = Field(default=None, foreign_key="user.id")
    government: str = Field(max_length=60)
    contract_reference: str = Field(max_length=60)
    company_kvk: str = Field(max_length=8)
    initiative: str = Field(default="", max_length=80)
    need: str = Field(default="", max_length=60)
    building_block: str = Field(max_length=60)
    route: str = Field(default="", max_length=30)
    # Same range as Match.quantity (cents for money blocks).
    quantity: int = Field(default=0, sa_column=cents_column())
    outcome: str = Field(max_length=20)  # approved | rejected | changes_requested | withdrawn (undone)
    reason: str = Field(default="")
    score: float | None = None
    features: dict[str, float] | None = Field(default=None, sa_column=json_column(nullable=True))
    source: str = Field(default="app", max_length=20)  # app | import
    chain_seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, index=True, nullable=True)
    )
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)


def not_withdrawn(table: Any = None) -> Any:
    """Decisions that still stand: not an approval a later `withdrawn` row of the same match undid.

    Decisions are append-only (they are links of the audit chain), so an undo adds a `withdrawn` row instead of
    changing the approval; training, evaluation, the approval rates and the export leave both out.
    """
    from sqlalchemy import exists

    table = table if table is not None else Decision.__table__  # type: ignore[attr-defined]
    later = Decision.__table__.alias("withdrawal")  # type: ignore[attr-defined]
    return ~exists().where(
        later.c.match_id == table.c.match_id, later.c.outcome == "withdrawn", later.c.id > table.c.id
    )
