"""Shared column helpers for the table models."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column


def utcnow() -> datetime:
    """Aware UTC now; SQLModel stores it as UTC on SQLite and PostgreSQL alike."""
    return datetime.now(UTC)


def json_column(**kw: Any) -> Any:
    """A JSON column; each call builds a new Column (SQLAlchemy columns cannot be shared)."""
    return Column(JSON, **kw)


def cents_column(nullable: bool = False, **kw: Any) -> Any:
    """Money in integer euro cents; BIGINT so multi-million contracts fit."""
    return Column(BigInteger, nullable=nullable, **kw)
