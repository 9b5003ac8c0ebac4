"""Whom an officer-side user acts for: an officer for their government, a WSP adviser for each government the
WSP serves. Every officer-side check asks `acts_for`; lists filter on `government_ids`."""

from sqlmodel import Session, select

from ..models import AdviserGovernment, User

OFFICER_SIDE = ("officer", "adviser")
_KEY = "srx.scope"


def government_ids(session: Session, actor: User) -> frozenset[int]:
    """The governments the user acts for (none for companies, initiatives and admins)."""
    if actor.role == "officer":
        return frozenset({actor.government_id}) if actor.government_id else frozenset()
    if actor.role != "adviser":
        return frozenset()
    cache: dict[int, frozenset[int]] = session.info.setdefault(_KEY, {})
    if actor.id not in cache:
        cache[actor.id or 0] = frozenset(
            session.exec(
                select(AdviserGovernment.government_id).where(AdviserGovernment.user_id == actor.id)
            ).all()
        )
    return cache[actor.id or 0]


def acts_for(session: Session, actor: User, government_id: int | None) -> bool:
    return government_id is not None and government_id in government_ids(session, actor)
