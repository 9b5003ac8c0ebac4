"""Initiatives edit their profile and their social handprint."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from .. import contact
from ..models import LIFE_PHASES, TARGET_GROUPS, HandprintScore, Initiative, User
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import enqueue_search, record, snapshot
from .errors import N_, NotFound, ServiceError

PROFILE_FIELDS = (
    "name",
    "summary",
    "description",
    "municipality",
    "neighbourhood",
    "lat",
    "lon",
    "life_phase",
    "website",
    "contact_email",
    "contact_phone",
    "contact_name",
    "target_groups",
    "kind",
)


@dataclass(frozen=True)
class ProfileInput:
    """What the catalogue shows about an initiative (its kind is not the initiative's own choice)."""

    name: str
    municipality: str
    life_phase: str = "start"
    summary: str = ""
    description: str = ""
    neighbourhood: str = ""
    lat: float | None = None
    lon: float | None = None
    website: str | None = None
    # Contact details to publish; an empty one is not published.
    contact_email: str = ""
    contact_phone: str = ""
    contact_name: str = ""
    target_groups: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class HandprintRow:
    """One theme of the handprint; a row without a score is not served and is dropped."""

    theme: str
    score: int | None
    yearly_value_cents: int | None = None
    indicator: str = ""


def own_initiative(session: Session, actor: User) -> Initiative:
    initiative = session.get(Initiative, actor.initiative_id) if actor.role == "initiative" else None
    if initiative is None:
        raise NotFound(N_("This initiative does not exist."))
    return initiative


def update_profile(session: Session, *, actor: User, data: ProfileInput) -> Initiative:
    """Change what the catalogue shows about the actor's initiative."""
    initiative = own_initiative(session, actor)
    website = v.website(data.website, "website")
    values = {
        "name": v.text(data.name, "name", max_len=200, required=True),
        "summary": v.text(data.summary, "summary", max_len=300),
        "description": v.text(data.description, "description", max_len=10000),
        "municipality": v.text(data.municipality, "municipality", max_len=100, required=True),
        "neighbourhood": v.text(data.neighbourhood, "neighbourhood", max_len=100),
        "lat": v.coordinate(data.lat, "lat", -90, 90),
        "lon": v.coordinate(data.lon, "lon", -180, 180),
        "life_phase": v.choice(data.life_phase, "life_phase", LIFE_PHASES),
        "website": website,
        "contact_email": v.email(data.contact_email, "contact_email"),
        "contact_phone": v.phone(data.contact_phone, "contact_phone"),
        "contact_name": v.text(data.contact_name, "contact_name", max_len=contact.MAX_CONTACT_NAME),
        "target_groups": v.choices(data.target_groups, "target_groups", TARGET_GROUPS),
    }
    before = snapshot(initiative, PROFILE_FIELDS)
    for key, value in values.items():
        setattr(initiative, key, value)
    session.add(initiative)
    record(
        session,
        actor=actor,
        action="initiative.updated",
        entity_type="initiative",
        entity_id=initiative.id or 0,
        before=before,
        after=snapshot(initiative, PROFILE_FIELDS),
    )
    enqueue_search(session, "initiative", initiative.id or 0)
    return initiative


def set_handprint(session: Session, *, actor: User, scores: Sequence[HandprintRow]) -> list[HandprintScore]:
    """Replace the handprint: a score 0-100 per theme, with an optional yearly value and indicator."""
    initiative = own_initiative(session, actor)
    cleaned: dict[str, HandprintRow] = {}
    for row in scores:
        if row.theme not in THEME_CODES:
            raise ServiceError(N_("Unknown theme."), field="theme")
        if row.score is None:
            continue
        cleaned[row.theme] = HandprintRow(
            theme=row.theme,
            score=v.integer(row.score, f"score_{row.theme}", low=0, high=100),
            yearly_value_cents=v.integer(
                row.yearly_value_cents, f"value_{row.theme}", low=0, high=MAX_CENTS, required=False
            ),
            indicator=v.text(row.indicator, f"indicator_{row.theme}", max_len=300),
        )
    existing = {
        h.theme: h
        for h in session.exec(
            select(HandprintScore).where(HandprintScore.initiative_id == initiative.id)
        ).all()
    }
    before = {t: h.score for t, h in existing.items()}
    for theme, old in existing.items():
        if theme not in cleaned:
            session.delete(old)
    out: list[HandprintScore] = []
    for theme, values in cleaned.items():
        score = existing.get(theme) or HandprintScore(initiative_id=initiative.id or 0, theme=theme, score=0)
        score.score = values.score or 0
        score.yearly_value_cents = values.yearly_value_cents
        score.indicator = values.indicator
        session.add(score)
        out.append(score)
    record(
        session,
        actor=actor,
        action="initiative.handprint_updated",
        entity_type="initiative",
        entity_id=initiative.id or 0,
        before=before,
        after={t: r.score for t, r in cleaned.items()},
    )
    enqueue_search(session, "initiative", initiative.id or 0)
    return out
