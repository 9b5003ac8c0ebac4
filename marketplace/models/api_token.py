"""API tokens (issue 12): personal or organisation tokens with scopes, for `Authorization: Bearer`.

Only the sha256 of a token is stored; the token itself is shown once, when it is made. The rate-limit
counters live in the database (one row per token and window), so every process and every worker counts
the same calls.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from ._base import json_column, utcnow

API_SCOPES = ("read", "pledge", "decide", "report")
TOKEN_KINDS = ("personal", "organisation")


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Who made it; a personal token acts as this user, an organisation token for the organisation.
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(default="personal", max_length=20)
    company_id: int | None = Field(default=None, foreign_key="company.id", index=True)
    government_id: int | None = Field(default=None, foreign_key="government.id", index=True)
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id", index=True)
    name: str = Field(max_length=100)
    scopes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # the first characters, so the owner can tell tokens apart
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by_id: int | None = Field(default=None, foreign_key="user.id")


class ApiRateCounter(SQLModel, table=True):
    """Calls of one token in one fixed window (the window's number: seconds since the epoch // length)."""

    token_id: int = Field(foreign_key="apitoken.id", primary_key=True)
    window_no: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    count: int = 0
