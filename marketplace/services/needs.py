"""Initiatives publish, edit and close their needs."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import NEED_KINDS, UNITS_FOR_NEED_KIND, Initiative, Need, NeedStatus, User
from ..models._base import utcnow
from ..queries import open_capacity
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import enqueue_search, record, snapshot
from .errors import N_, NotFound, ServiceError

NEED_FIELDS = ("kind", "title", "description", "themes", "quantity", "unit", "deadline", "status")


@dataclass(frozen=True)
class NeedInput:
    """A need as the initiative publishes it; the quantity is in the unit (cents for money)."""

    kind: str
    title: str
    quantity: int | None
    unit: str | None = None  # None: the kind's first unit
    description: str = ""
    themes: tuple[str, ...] = field(default_factory=tuple)
    deadline: date | None = None


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


# The most a need can ask for, per unit: about 50 full-time years of hours, 10,000 days, 1,000 places,
# EUR 10 million. Above that a typo is more likely than a need.
MAX_BY_UNIT = {"hours": 100_000, "days": 10_000, "places": 1_000, "cents": 1_000_000_000}


def _clean(data: NeedInput, *, today: date | None = None, old_deadline: date | None = None) -> dict[str, Any]:
    kind = v.choice(data.kind, "kind", NEED_KINDS)
    units = UNITS_FOR_NEED_KIND[kind]
    unit = data.unit or units[0]
    if unit not in units:
        raise ServiceError(N_("This unit does not fit this kind of need."), field="unit")
    return {
        "kind": kind,
        "unit": unit,
        "title": v.text(data.title, "title", max_len=200, required=True),
        "description": v.text(data.description, "description", max_len=5000),
        "themes": v.choices(data.themes, "themes", THEME_CODES),
        "quantity": _quantity(data.quantity, unit),
        "deadline": _deadline(data.deadline, today or utcnow().date(), old_deadline),
    }


def _quantity(value: int | None, unit: str) -> int:
    high = MAX_BY_UNIT.get(unit, MAX_CENTS)
    if value is not None and value > high:
        shown = f"EUR {high // 100:,}".replace(",", ".") if unit == "cents" else f"{high:,}".replace(",", ".")
        raise ServiceError(
            N_("At most %(max)s for one need; split a larger need up."), field="quantity", max=shown
        )
    return v.integer(value, "quantity", low=1, high=high) or 0


def _deadline(value: date | None, today: date, old: date | None) -> date | None:
    """A deadline lies ahead; one already stored may stay as it is when other fields change."""
    day = v.day(value, "deadline")
    if day is not None and day < today and day != old:
        raise ServiceError(
            N_("The deadline cannot be in the past (today is %(today)s)."),
            field="deadline",
            today=today.isoformat(),
        )
    return day


def _next_reference(session: Session, initiative: Initiative) -> str:
    base = initiative.slug[:50]
    n = (
        int(
            session.exec(
                select(func.count()).select_from(Need).where(Need.initiative_id == initiative.id)
            ).one()
        )
        + 1
    )
    while session.exec(select(Need.id).where(Need.reference == f"{base}-{n}")).first() is not None:
        n += 1
    return f"{base}-{n}"


def _reindex(session: Session, need: Need) -> None:
    enqueue_search(session, "need", need.id or 0)
    enqueue_search(session, "initiative", need.initiative_id)


def create_need(session: Session, *, actor: User, data: NeedInput) -> Need:
    """Publish a new open need for the actor's initiative."""
    initiative = _own_initiative(session, actor)
    values = _clean(data)
    need = Need(
        initiative_id=initiative.id or 0,
        reference=_next_reference(session, initiative),
        status=NeedStatus.OPEN,
        **values,
    )
    session.add(need)
    session.flush()
    record(
        session,
        actor=actor,
        action="need.created",
        entity_type="need",
        entity_id=need.id or 0,
        after=snapshot(need, NEED_FIELDS),
    )
    _reindex(session, need)
    return need


def update_need(session: Session, *, actor: User, need_id: int, data: NeedInput) -> Need:
    """Edit a need; its quantity cannot drop below what pledges already hold."""
    need = _own_need(session, actor, need_id)
    values = _clean(data, old_deadline=need.deadline)
    held = need.quantity - open_capacity(session, need)
    if values["quantity"] < held:
        raise ServiceError(
            N_("Pledges already hold %(held)s; the quantity cannot be lower."), field="quantity", held=held
        )
    if held and values["unit"] != need.unit:
        raise ServiceError(N_("The unit cannot change while pledges hold part of this need."), field="unit")
    before = snapshot(need, NEED_FIELDS)
    for key, value in values.items():
        setattr(need, key, value)
    session.add(need)
    record(
        session,
        actor=actor,
        action="need.updated",
        entity_type="need",
        entity_id=need.id or 0,
        before=before,
        after=snapshot(need, NEED_FIELDS),
    )
    _reindex(session, need)
    return need


def set_need_status(session: Session, *, actor: User, need_id: int, status: str) -> Need:
    """Close a need (no new pledges) or open it again."""
    need = _own_need(session, actor, need_id)
    status = v.choice(status, "status", tuple(NeedStatus))
    before = snapshot(need, NEED_FIELDS)
    need.status = status
    session.add(need)
    record(
        session,
        actor=actor,
        action=f"need.{'closed' if status == NeedStatus.CLOSED else 'reopened'}",
        entity_type="need",
        entity_id=need.id or 0,
        before=before,
        after=snapshot(need, NEED_FIELDS),
    )
    _reindex(session, need)
    return need
