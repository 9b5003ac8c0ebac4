"""Confirming that an approved contribution was actually received."""

from sqlmodel import Session

from ..models import Contract, Match, User
from ..models._base import utcnow
from .errors import N_, NotFound, ServiceError
from .lifecycle import load_match, transition

MAX_NOTE = 2000


def confirm_delivery(session: Session, *, actor: User, match_id: int, note: str = "") -> Match:
    """The receiving initiative confirms delivery; without an initiative (hiring), the company does."""
    match = load_match(session, match_id)
    if match.initiative_id is not None:
        allowed = actor.role == "initiative" and actor.initiative_id == match.initiative_id
    else:
        contract = session.get(Contract, match.contract_id)
        allowed = actor.role == "company" and contract is not None and contract.company_id == actor.company_id
    if not allowed:
        raise NotFound(N_("This pledge does not exist."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ServiceError(
            N_("The note is too long (at most %(max)s characters)."), field="note", max=MAX_NOTE
        )
    return transition(
        session,
        match,
        to="delivered",
        actor=actor,
        action="match.delivered",
        reason=note,
        changes={"delivered_note": note, "delivered_at": utcnow()},
    )
