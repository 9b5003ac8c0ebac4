"""The register of placed people: pseudonymous keys, the months a person counts, and their release.

A person counts once per calendar month across all contracts. Each placement holds one `PersonMonth` row per
month it counts (from its start month, as many months as the valuation counted); the unique index on
(person, month) refuses a second placement of the same person in any of those months, also when two
registrations arrive at the same moment. A placement that is rejected or withdrawn frees its months; one that
ends early (a revision) frees the months after its new end.
"""

import hashlib
import hmac
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..models import (
    AGE_BANDS,
    EMPLOYMENTS,
    PROOF_KINDS,
    TARGET_GROUPS,
    Contract,
    Match,
    PersonMonth,
    Placement,
)
from ..policy import term_months
from ..valuation import MAX_HOURS_PER_WEEK
from .errors import N_, ServiceError

MAX_REFERENCE = 100


@dataclass(frozen=True)
class PlacementInput:
    """One person placed for paid work, an internship or a work-learning place.

    `person_key` is already pseudonymous (services.placements.person_key): the reference it comes from never
    reaches the service layer.
    """

    person_key: str
    target_group: str
    proof_kind: str
    employment: str
    start_date: date
    end_date: date
    hours_per_week: int
    age_band: str = "under_50"
    statushouder_or_language: bool = False
    after_vso_pro_internship: bool = False
    occupational_disability: bool = False

    @property
    def flags(self) -> frozenset[str]:
        """The person's facts a block or bonus can require (models.placement.PERSON_FLAGS)."""
        named = {
            "statushouder_or_language": self.statushouder_or_language,
            "after_vso_pro_internship": self.after_vso_pro_internship,
            "occupational_disability": self.occupational_disability,
            "permanent_contract": self.employment == "permanent",
        }
        return frozenset(k for k, on in named.items() if on)


def person_key(reference: str, secret: str) -> str:
    """The pseudonymous key of a person: HMAC-SHA256 over the normalised reference, with the instance's secret.

    The reference (a personnel number, the WSP's candidate number) is never stored; without the secret the
    key cannot be turned back into it, nor recomputed from a guessed reference.
    """
    text = unicodedata.normalize("NFKC", reference).strip().upper()
    if not text or len(text) > MAX_REFERENCE:
        raise ServiceError(
            N_("Enter the reference you keep for this person (at most %(max)s characters)."),
            field="person_reference",
            max=MAX_REFERENCE,
        )
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PlacementFacts:
    months: int  # whole months of the period (before any cap)
    weeks: int  # whole weeks, for internships


def check_placement(p: PlacementInput, contract: Contract) -> PlacementFacts:
    """The placement's own rules: known codes, sane hours, a period inside the contract's term."""
    if len(p.person_key) != 64:
        raise ServiceError(
            N_("Enter the reference you keep for this person (at most %(max)s characters)."),
            field="person_reference",
            max=MAX_REFERENCE,
        )
    for value, allowed, name in (
        (p.target_group, TARGET_GROUPS, "target_group"),
        (p.proof_kind, PROOF_KINDS, "proof_kind"),
        (p.employment, EMPLOYMENTS, "employment"),
        (p.age_band, AGE_BANDS, "age_band"),
    ):
        if value not in allowed:
            raise ServiceError(N_("Choose one of the options."), field=name)
    if not 1 <= p.hours_per_week <= MAX_HOURS_PER_WEEK:
        raise ServiceError(
            N_("Enter a number from %(low)s to %(high)s."),
            field="hours_per_week",
            low=1,
            high=MAX_HOURS_PER_WEEK,
        )
    if p.end_date < p.start_date:
        raise ServiceError(N_("The end date is before the start date."), field="end_date")
    if p.start_date < contract.award_date or p.end_date > contract.end_date:
        raise ServiceError(
            N_("A placement counts within the contract's term, %(start)s to %(end)s."),
            field="start_date",
            start=contract.award_date.isoformat(),
            end=contract.end_date.isoformat(),
        )
    months = term_months(p.start_date, p.end_date)
    if months < 1:
        raise ServiceError(
            N_("A placement counts per whole month: this one is shorter than a month."), field="end_date"
        )
    return PlacementFacts(months=months, weeks=max(1, (p.end_date - p.start_date).days // 7))


def counted_slots(start: date, months: int) -> tuple[str, ...]:
    """The calendar months ("YYYY-MM") a placement counts in: `months` of them from its start month."""
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return tuple(out)


def _taken(session: Session, key: str, slots: Sequence[str], *, excluding: int | None = None) -> list[str]:
    stmt = select(PersonMonth.month).where(
        PersonMonth.person_key == key, col(PersonMonth.month).in_(list(slots))
    )
    if excluding is not None:
        stmt = stmt.where(PersonMonth.placement_id != excluding)
    return sorted(session.exec(stmt).all())


def _refuse_overlap(months: Sequence[str]) -> ServiceError:
    return ServiceError(
        N_("This person already counts on a contract in %(months)s: a person counts once per month."),
        field="start_date",
        months=", ".join(months[:6]) + ("…" if len(months) > 6 else ""),
    )


def store(session: Session, match: Match, p: PlacementInput, slots: Sequence[str]) -> Placement:
    """Add the placement of `match` and the months it counts in; refused when the person counts there already."""
    taken = _taken(session, p.person_key, slots)
    if taken:
        raise _refuse_overlap(taken)
    placement = Placement(
        match_id=match.id or 0,
        contract_id=match.contract_id,
        person_key=p.person_key,
        target_group=p.target_group,
        proof_kind=p.proof_kind,
        employment=p.employment,
        start_date=p.start_date,
        end_date=p.end_date,
        hours_per_week=p.hours_per_week,
        age_band=p.age_band,
        statushouder_or_language=p.statushouder_or_language,
        after_vso_pro_internship=p.after_vso_pro_internship,
        occupational_disability=p.occupational_disability,
    )
    session.add(placement)
    session.flush()
    session.add_all(
        PersonMonth(person_key=p.person_key, month=m, placement_id=placement.id or 0) for m in slots
    )
    try:
        session.flush()
    except IntegrityError as exc:  # another registration of the same person took a month just now
        raise _refuse_overlap(list(slots)) from exc
    return placement


def replace_slots(session: Session, placement: Placement, slots: Sequence[str]) -> None:
    """Count the placement in exactly `slots` (after a resubmission or a revision)."""
    taken = _taken(session, placement.person_key, slots, excluding=placement.id)
    if taken:
        raise _refuse_overlap(taken)
    session.execute(delete(PersonMonth).where(col(PersonMonth.placement_id) == placement.id))
    session.add_all(
        PersonMonth(person_key=placement.person_key, month=m, placement_id=placement.id or 0) for m in slots
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise _refuse_overlap(list(slots)) from exc


def update(session: Session, placement: Placement, p: PlacementInput, slots: Sequence[str]) -> Placement:
    """A resubmitted placement: its facts and the months it counts in, as the company now gives them."""
    placement.person_key = p.person_key
    for name in (
        "target_group",
        "proof_kind",
        "employment",
        "start_date",
        "end_date",
        "hours_per_week",
        "age_band",
        "statushouder_or_language",
        "after_vso_pro_internship",
        "occupational_disability",
    ):
        setattr(placement, name, getattr(p, name))
    session.add(placement)
    session.flush()
    replace_slots(session, placement, slots)
    return placement


def release(session: Session, match_id: int) -> None:
    """A rejected or withdrawn placement no longer counts: its months are free again."""
    ids = select(Placement.id).where(Placement.match_id == match_id)
    session.execute(delete(PersonMonth).where(col(PersonMonth.placement_id).in_(ids)))


def placement_of(session: Session, match_id: int) -> Placement | None:
    return session.exec(select(Placement).where(Placement.match_id == match_id)).first()
