"""Audit events and outbox rows, written inside the caller's transaction."""

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from ..db import mark_topic
from ..models import AuditEvent, Outbox, User

SEARCH_TOPIC = "search"


def snapshot(obj: SQLModel, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-safe copy of some fields, for the before/after of an audit event."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, list | tuple):
            value = list(value)
        out[name] = value
    return out


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit event to the caller's transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(event)
    return event


def enqueue_search(session: Session, entity_type: str, entity_id: int) -> None:
    """Ask the search sync to refresh one entity; written in the same transaction as the change."""
    session.add(Outbox(topic=SEARCH_TOPIC, entity_type=entity_type, entity_id=entity_id))
    mark_topic(session, SEARCH_TOPIC)
