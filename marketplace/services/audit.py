"""Audit events and outbox rows, written inside the caller's transaction; the check of the audit chain."""

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from ..db import mark_topic
from ..models import AuditEvent, AuditVerification, Decision, Outbox, User

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
    from .notifications import on_event

    # Who is told is decided in one place; the notifications join this transaction.
    on_event(session, event, actor)
    return event


def enqueue_search(session: Session, entity_type: str, entity_id: int) -> None:
    """Ask the search sync to refresh one entity; written in the same transaction as the change."""
    session.add(Outbox(topic=SEARCH_TOPIC, entity_type=entity_type, entity_id=entity_id))
    mark_topic(session, SEARCH_TOPIC)


def verify_chain(session: Session, *, expect_head: tuple[int, str] | None = None) -> AuditVerification:
    """Check the audit trail's hash chain (marketplace/audit_chain.py) and store the result.

    Besides the chain itself, the head of the last successful verification (and `expect_head`, a head copied
    elsewhere) must still be in the chain: that is how removing the newest rows together with the head shows.
    """
    from sqlalchemy import union_all

    from .. import audit_chain

    conn = session.connection()
    result = audit_chain.verify(conn, audit_chain.key_for(conn.engine))
    anchors: list[tuple[int, str, str]] = []
    last = session.exec(
        select(AuditVerification)
        .where(col(AuditVerification.ok).is_(True))
        .order_by(col(AuditVerification.id).desc())
    ).first()
    if last is not None and last.head_seq > 0:
        anchors.append((last.head_seq, last.head_hash, f"the verification of {last.at:%Y-%m-%d %H:%M} UTC"))
    if expect_head is not None:
        anchors.append((expect_head[0], expect_head[1], "the head you gave"))
    if result.ok:
        for seq, digest, source in anchors:
            found = session.execute(
                union_all(
                    select(AuditEvent.row_hash).where(AuditEvent.chain_seq == seq),
                    select(Decision.row_hash).where(Decision.chain_seq == seq),
                )
            ).first()
            if found is None or found[0] != digest:
                result.ok = False
                result.message = (
                    f"position {seq} of {source} is no longer in the chain as it was: rows were removed "
                    "from the end or rewritten."
                )
                break
    stored = AuditVerification(
        ok=result.ok,
        row_count=result.rows,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        message=result.message[:2000],
    )
    session.add(stored)
    session.flush()
    return stored


def last_verification(session: Session) -> AuditVerification | None:
    return session.exec(select(AuditVerification).order_by(col(AuditVerification.id).desc())).first()
