"""A company's PSO certificates: one per level, valid for at most two years (TNO's Prestatieladder)."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..models import PSO_LEVELS, Certificate, Company, User
from . import validation as v
from .audit import record, snapshot
from .errors import N_, NotFound, ServiceError

MAX_VALIDITY_DAYS = 731  # two years, a leap day included
FIELDS = ("level", "number", "issued_on", "valid_until")


@dataclass(frozen=True)
class CertificateInput:
    level: str
    issued_on: date | None
    valid_until: date | None
    number: str = ""


def _clean(data: CertificateInput) -> tuple[str, str, date, date]:
    level = v.choice(data.level, "level", PSO_LEVELS)
    issued = v.day(data.issued_on, "issued_on", required=True)
    until = v.day(data.valid_until, "valid_until", required=True)
    assert issued is not None and until is not None
    if until < issued:
        raise ServiceError(N_("The certificate ends before it was issued."), field="valid_until")
    if (until - issued).days > MAX_VALIDITY_DAYS:
        raise ServiceError(N_("A PSO certificate is valid for at most two years."), field="valid_until")
    return level, v.text(data.number, "number", max_len=60), issued, until


def add_certificate(
    session: Session, *, actor: User, data: CertificateInput, company_id: int | None = None
) -> Certificate:
    """Register the company's certificate of a level; a second one of the same level renews the first.

    A company registers its own; an admin registers one for `company_id` (sent in by the company, or a
    correction). The audit event keeps the certificate as it was before a renewal.
    """
    if actor.role == "company" and actor.company_id is not None:
        company_id = actor.company_id
    elif actor.role != "admin" or company_id is None or session.get(Company, company_id) is None:
        raise NotFound(N_("This company does not exist."))
    level, number, issued, until = _clean(data)
    cert = session.exec(
        select(Certificate).where(Certificate.company_id == company_id, Certificate.level == level)
    ).first()
    before = snapshot(cert, FIELDS) if cert else None
    if cert is None:
        cert = Certificate(
            company_id=company_id,
            level=level,
            number=number,
            issued_on=issued,
            valid_until=until,
            created_by_id=actor.id,
        )
    else:
        cert.number, cert.issued_on, cert.valid_until = number, issued, until
    session.add(cert)
    session.flush()
    record(
        session,
        actor=actor,
        action="certificate.renewed" if before else "certificate.added",
        entity_type="certificate",
        entity_id=cert.id or 0,
        before=before,
        after=snapshot(cert, FIELDS),
    )
    return cert


def certificates_of(session: Session, company_id: int) -> list[Certificate]:
    return list(
        session.exec(
            select(Certificate)
            .where(Certificate.company_id == company_id)
            .order_by(Certificate.valid_until.desc())
        ).all()
    )  # type: ignore[attr-defined]
