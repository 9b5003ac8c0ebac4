"""Officers decide which initiatives and social firms count for their government."""

from sqlmodel import Session, select

from ..models import Eligibility, Initiative, User
from ..models._base import utcnow
from . import validation as v
from .audit import enqueue_search, record
from .errors import N_, NotFound

MAX_NOTE = 500


def set_eligibility(
    session: Session, *, actor: User, initiative_id: int, eligible: bool, note: str = ""
) -> Eligibility:
    """Admit or withdraw an initiative for the officer's own government."""
    if actor.role != "officer" or actor.government_id is None:
        raise NotFound(N_("This initiative does not exist."))
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise NotFound(N_("This initiative does not exist."))
    note = v.text(note, "note", max_len=MAX_NOTE)
    row = session.exec(
        select(Eligibility).where(
            Eligibility.government_id == actor.government_id, Eligibility.initiative_id == initiative_id
        )
    ).first()
    before = {"active": row.active} if row else None
    if row is None:
        row = Eligibility(
            government_id=actor.government_id,
            initiative_id=initiative_id,
            since=utcnow().date(),
            decided_by_id=actor.id,
            active=eligible,
            note=note,
        )
    else:
        if row.active != eligible:
            row.since = utcnow().date()
        row.active, row.decided_by_id, row.note = eligible, actor.id, note
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="eligibility.granted" if eligible else "eligibility.withdrawn",
        entity_type="initiative",
        entity_id=initiative_id,
        before=before,
        after={"active": eligible, "government_id": actor.government_id},
        reason=note,
    )
    enqueue_search(session, "initiative", initiative_id)
    return row
