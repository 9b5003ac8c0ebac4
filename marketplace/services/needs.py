"""Initiatives publish, edit and close their needs."""

from typing import Any

from sqlmodel import Session, select

from ..models import NEED_KINDS, UNITS_FOR_NEED_KIND, Initiative, Need, User
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import enqueue_search, record, snapshot
from .errors import N_, NotFound, ServiceError
from .pledges import open_capacity

NEED_FIELDS = ("kind", "title", "description", "themes", "quantity", "unit", "deadline", "status")


def _own_initiative(session: Session, actor: User) -> Initiative:
    initiative = session.get(Initiative, actor.initiative_id) if actor.role == "initiative" else None
    if initiative is None:
        raise NotFound(N_("This initiative does not exist."))
    return initiative


def _own_need(session: Session, actor: User, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None or actor.role != "initiative" or need.initiative_id != actor.initiative_id:
        raise NotFound(N_("This need does not exist."))
    return need


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    kind = v.choice(data, "kind", NEED_KINDS)
    units = UNITS_FOR_NEED_KIND[kind]
    unit = data.get("unit") or units[0]
    if unit not in units:
        raise ServiceError(N_("This unit does not fit this kind of need."), field="unit")
    return {
        "kind": kind, "unit": unit,
        "title": v.text(data, "title", max_len=200, required=True),
        "description": v.text(data, "description", max_len=5000),
        "themes": v.choices(data, "themes", THEME_CODES),
        "quantity": v.integer(data, "quantity", low=1, high=MAX_CENTS),
        "deadline": v.day(data, "deadline"),
    }


def _next_reference(session: Session, initiative: Initiative) -> str:
    base = initiative.slug[:50]
    count = len(session.exec(select(Need.id).where(Need.initiative_id == initiative.id)).all())
    n = count + 1
    while session.exec(select(Need.id).where(Need.reference == f"{base}-{n}")).first() is not None:
        n += 1
    return f"{base}-{n}"


def create_need(session: Session, *, actor: User, data: dict[str, Any]) -> Need:
    """Publish a new open need for the actor's initiative."""
    initiative = _own_initiative(session, actor)
    values = _clean(data)
    need = Need(initiative_id=initiative.id or 0, reference=_next_reference(session, initiative),
                status="open", **values)
    session.add(need)
    session.flush()
    record(session, actor=actor, action="need.created", entity_type="need", entity_id=need.id or 0,
           after=snapshot(need, NEED_FIELDS))
    enqueue_search(session, "need", need.id or 0)
    enqueue_search(session, "initiative", initiative.id or 0)
    session.commit()
    return need


def update_need(session: Session, *, actor: User, need_id: int, data: dict[str, Any]) -> Need:
    """Edit a need; its quantity cannot drop below what pledges already hold."""
    need = _own_need(session, actor, need_id)
    values = _clean(data)
    held = need.quantity - open_capacity(session, need)
    if values["quantity"] < held:
        raise ServiceError(N_("Pledges already hold %(held)s; the quantity cannot be lower."),
                           field="quantity", held=held)
    if held and values["unit"] != need.unit:
        raise ServiceError(N_("The unit cannot change while pledges hold part of this need."), field="unit")
    before = snapshot(need, NEED_FIELDS)
    for key, value in values.items():
        setattr(need, key, value)
    session.add(need)
    record(session, actor=actor, action="need.updated", entity_type="need", entity_id=need.id or 0,
           before=before, after=snapshot(need, NEED_FIELDS))
    enqueue_search(session, "need", need.id or 0)
    enqueue_search(session, "initiative", need.initiative_id)
    session.commit()
    return need


def set_need_status(session: Session, *, actor: User, need_id: int, status: str) -> Need:
    """Close a need (no new pledges) or open it again."""
    need = _own_need(session, actor, need_id)
    if status not in ("open", "closed"):
        raise ServiceError(N_("Choose one of the options."), field="status")
    before = snapshot(need, NEED_FIELDS)
    need.status = status
    session.add(need)
    record(session, actor=actor, action=f"need.{'closed' if status == 'closed' else 'reopened'}",
           entity_type="need", entity_id=need.id or 0, before=before, after=snapshot(need, NEED_FIELDS))
    enqueue_search(session, "need", need.id or 0)
    enqueue_search(session, "initiative", need.initiative_id)
    session.commit()
    return need
