"""Companies edit their profile: the sector (an SBI section), place, profile text, interests and site.

The recommender reads all of it: the sector for what companies of that sector deliver well, the profile text
and interests for the fit of a need, the coordinates for the distance.
"""

from dataclasses import dataclass, field

from sqlmodel import Session

from matching.sectors import SECTOR_CODES

from ..models import Company, User
from ..themes import THEME_CODES
from . import validation as v
from .audit import record, snapshot
from .errors import N_, NotFound

PROFILE_FIELDS = ("sector", "city", "profile", "interests", "lat", "lon")
MAX_PROFILE = 10_000


@dataclass(frozen=True)
class CompanyProfileInput:
    """What a company says about itself; its name and KvK number are not its own to change here."""

    sector: str = ""  # an SBI section letter (matching.sectors.SECTORS), "" for none given
    city: str = ""
    profile: str = ""
    interests: tuple[str, ...] = field(default_factory=tuple)  # theme codes
    lat: float | None = None
    lon: float | None = None


def own_company(session: Session, actor: User) -> Company:
    company = session.get(Company, actor.company_id) if actor.role == "company" and actor.company_id else None
    if company is None:
        raise NotFound(N_("This company does not exist."))
    return company


def update_company_profile(session: Session, *, actor: User, data: CompanyProfileInput) -> Company:
    """Change the actor's own company profile, with one audit event; the caller's transaction commits."""
    company = own_company(session, actor)
    values = {
        "sector": v.choice(data.sector or "", "sector", ("", *SECTOR_CODES)),
        "city": v.text(data.city, "city", max_len=100),
        "profile": v.text(data.profile, "profile", max_len=MAX_PROFILE),
        "interests": v.choices(data.interests, "interests", THEME_CODES),
        "lat": v.coordinate(data.lat, "lat", -90, 90),
        "lon": v.coordinate(data.lon, "lon", -180, 180),
    }
    before = snapshot(company, PROFILE_FIELDS)
    for key, value in values.items():
        setattr(company, key, value)
    company.version += 1  # an admin's form opened before this edit is stale now
    session.add(company)
    session.flush()
    record(
        session,
        actor=actor,
        action="company.updated",
        entity_type="company",
        entity_id=company.id or 0,
        before=before,
        after=snapshot(company, PROFILE_FIELDS),
    )
    return company
