"""Initiatives edit their profile and their social handprint."""

from typing import Any

from sqlmodel import Session, select

from ..models import INITIATIVE_KINDS, LIFE_PHASES, TARGET_GROUPS, HandprintScore, Initiative, User
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import enqueue_search, record, snapshot
from .errors import N_, NotFound, ServiceError

PROFILE_FIELDS = ("name", "summary", "description", "municipality", "neighbourhood", "lat", "lon",
                  "life_phase", "website", "target_groups", "kind")


def own_initiative(session: Session, actor: User) -> Initiative:
    initiative = session.get(Initiative, actor.initiative_id) if actor.role == "initiative" else None
    if initiative is None:
        raise NotFound(N_("This initiative does not exist."))
    return initiative


def update_profile(session: Session, *, actor: User, data: dict[str, Any]) -> Initiative:
    """Change what the catalogue shows about the actor's initiative."""
    initiative = own_initiative(session, actor)
    website = v.text(data, "website", max_len=300) or None
    if website and not website.startswith(("https://", "http://")):
        raise ServiceError(N_("A website starts with https://"), field="website")
    values = {
        "name": v.text(data, "name", max_len=200, required=True),
        "summary": v.text(data, "summary", max_len=300),
        "description": v.text(data, "description", max_len=10000),
        "municipality": v.text(data, "municipality", max_len=100, required=True),
        "neighbourhood": v.text(data, "neighbourhood", max_len=100),
        "lat": v.coordinate(data, "lat", -90, 90),
        "lon": v.coordinate(data, "lon", -180, 180),
        "life_phase": v.choice(data, "life_phase", LIFE_PHASES),
        "kind": v.choice(data, "kind", INITIATIVE_KINDS, default=initiative.kind),
        "website": website,
        "target_groups": v.choices(data, "target_groups", TARGET_GROUPS),
    }
    before = snapshot(initiative, PROFILE_FIELDS)
    for key, value in values.items():
        setattr(initiative, key, value)
    session.add(initiative)
    record(session, actor=actor, action="initiative.updated", entity_type="initiative",
           entity_id=initiative.id or 0, before=before, after=snapshot(initiative, PROFILE_FIELDS))
    enqueue_search(session, "initiative", initiative.id or 0)
    session.commit()
    return initiative


def set_handprint(session: Session, *, actor: User, scores: list[dict[str, Any]]) -> list[HandprintScore]:
    """Replace the handprint: a score 0-100 per theme, with an optional yearly value and indicator."""
    initiative = own_initiative(session, actor)
    cleaned: dict[str, dict[str, Any]] = {}
    for row in scores:
        theme = row.get("theme")
        if theme not in THEME_CODES:
            raise ServiceError(N_("Unknown theme."), field="theme")
        score = v.integer(row, "score", low=0, high=100, required=False)
        if score is None:
            continue
        cleaned[str(theme)] = {
            "score": score,
            "yearly_value_cents": v.integer(row, "yearly_value_cents", low=0, high=MAX_CENTS, required=False),
            "indicator": v.text(row, "indicator", max_len=300),
        }
    existing = {h.theme: h for h in session.exec(
        select(HandprintScore).where(HandprintScore.initiative_id == initiative.id)).all()}
    before = {t: h.score for t, h in existing.items()}
    for theme, row in existing.items():
        if theme not in cleaned:
            session.delete(row)
    out = []
    for theme, values in cleaned.items():
        row = existing.get(theme) or HandprintScore(initiative_id=initiative.id or 0, theme=theme, score=0)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        out.append(row)
    record(session, actor=actor, action="initiative.handprint_updated", entity_type="initiative",
           entity_id=initiative.id or 0, before=before,
           after={t: r["score"] for t, r in cleaned.items()})
    enqueue_search(session, "initiative", initiative.id or 0)
    session.commit()
    return out
