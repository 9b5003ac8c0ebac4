"""Suppliers outside the catalogue: social firms and SW-bedrijven a company buys from, known by KvK number.

A purchase from one counts once the contracting government recognises it (a PSO 30+ certificate, the
government's own list of social enterprises, the social-firm criteria, or being an SW-bedrijf); the officer
checks and decides.
"""

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from ..models import (
    RECOGNITION_BASES,
    SELLER_KINDS,
    Government,
    RecognitionStatus,
    Supplier,
    SupplierRecognition,
    User,
)
from ..models._base import utcnow
from . import validation as v
from .audit import record
from .errors import N_, Conflict, NotFound, ServiceError
from .scope import acts_for

KVK_RE = re.compile(r"^[0-9]{8}$")


@dataclass(frozen=True)
class SupplierInput:
    """A social firm or SW-bedrijf outside the catalogue, by KvK number, and why it counts."""

    kvk: str
    name: str
    kind: str
    basis: str
    evidence: str = ""
    city: str = ""


def for_purchase(session: Session, *, actor: User, government: Government, data: SupplierInput) -> Supplier:
    """The supplier with this KvK number (added when new), with a recognition request for the government."""
    kvk = (data.kvk or "").replace(" ", "").strip()
    if not KVK_RE.match(kvk):
        raise ServiceError(N_("A KvK number has 8 digits."), field="supplier_kvk")
    name = v.text(data.name, "supplier_name", max_len=200, required=True)
    kind = v.choice(data.kind, "supplier_kind", SELLER_KINDS)
    basis = v.choice(data.basis, "supplier_basis", RECOGNITION_BASES)
    evidence = v.text(data.evidence, "supplier_evidence", max_len=2000)
    supplier = session.exec(select(Supplier).where(Supplier.kvk == kvk)).first()
    if supplier is None:
        supplier = Supplier(
            kvk=kvk,
            name=name,
            kind=kind,
            city=v.text(data.city, "supplier_city", max_len=100),
            created_by_id=actor.id,
        )
        session.add(supplier)
        session.flush()
        record(
            session,
            actor=actor,
            action="supplier.added",
            entity_type="supplier",
            entity_id=supplier.id or 0,
            after={"kvk": kvk, "name": name, "kind": kind},
        )
    recognition = session.exec(
        select(SupplierRecognition).where(
            SupplierRecognition.government_id == government.id, SupplierRecognition.supplier_id == supplier.id
        )
    ).first()
    if recognition is None:
        recognition = SupplierRecognition(
            government_id=government.id or 0, supplier_id=supplier.id or 0, basis=basis, evidence=evidence
        )
        session.add(recognition)
        session.flush()
        record(
            session,
            actor=actor,
            action="supplier.recognition_requested",
            entity_type="supplier",
            entity_id=supplier.id or 0,
            after={"government_id": government.id, "basis": basis},
        )
    elif recognition.status == RecognitionStatus.REFUSED:
        raise ServiceError(
            N_("%(government)s does not recognise %(supplier)s: %(note)s"),
            field="supplier_kvk",
            government=government.name,
            supplier=supplier.name,
            note=recognition.note or "—",
        )
    return supplier


def decide_recognition(
    session: Session,
    *,
    actor: User,
    recognition_id: int,
    recognise: bool,
    note: str = "",
    seen_version: int | None = None,
) -> SupplierRecognition:
    """The officer recognises a supplier for their government's contracts, or refuses it with a reason."""
    row = session.get(SupplierRecognition, recognition_id)
    if row is None or not acts_for(session, actor, row.government_id):
        raise NotFound(N_("This supplier does not exist."))
    if seen_version is not None and seen_version != row.version:
        raise Conflict(N_("Someone else changed this in the meantime. Reload the page and try again."))
    if row.status != RecognitionStatus.PENDING:
        raise Conflict(N_("This supplier was decided already."))
    note = v.text(note, "note", max_len=2000, required=not recognise)
    before = {"status": row.status}
    row.status = RecognitionStatus.RECOGNISED if recognise else RecognitionStatus.REFUSED
    row.note, row.decided_by_id, row.decided_at, row.version = note, actor.id, utcnow(), row.version + 1
    session.add(row)
    record(
        session,
        actor=actor,
        action="supplier.recognised" if recognise else "supplier.refused",
        entity_type="supplier",
        entity_id=row.supplier_id,
        before=before,
        after={"status": row.status, "government_id": row.government_id},
        reason=note,
    )
    return row


def recognition_for(session: Session, government_id: int, supplier_id: int) -> SupplierRecognition | None:
    return session.exec(
        select(SupplierRecognition).where(
            SupplierRecognition.government_id == government_id, SupplierRecognition.supplier_id == supplier_id
        )
    ).first()


def add_to_list(
    session: Session, *, actor: User, government_id: int, data: SupplierInput
) -> SupplierRecognition:
    """The officer puts a supplier on the government's own list of recognised social enterprises.

    A supplier new to SRX is added by its KvK number; one waiting for a decision is recognised by this;
    one refused before is recognised now, the earlier refusal kept in the audit trail.
    """
    if not acts_for(session, actor, government_id):
        raise NotFound(N_("This government does not exist."))
    kvk = (data.kvk or "").replace(" ", "").strip()
    if not KVK_RE.match(kvk):
        raise ServiceError(N_("A KvK number has 8 digits."), field="kvk")
    name = v.text(data.name, "name", max_len=200, required=True)
    kind = v.choice(data.kind, "kind", SELLER_KINDS)
    basis = v.choice(data.basis, "basis", RECOGNITION_BASES)
    evidence = v.text(data.evidence, "evidence", max_len=2000)
    city = v.text(data.city, "city", max_len=100)
    supplier = session.exec(select(Supplier).where(Supplier.kvk == kvk)).first()
    if supplier is None:
        supplier = Supplier(kvk=kvk, name=name, kind=kind, city=city, created_by_id=actor.id)
        session.add(supplier)
        session.flush()
        record(
            session,
            actor=actor,
            action="supplier.added",
            entity_type="supplier",
            entity_id=supplier.id or 0,
            after={"kvk": kvk, "name": name, "kind": kind},
        )
    row = recognition_for(session, government_id, supplier.id or 0)
    if row is not None and row.status == RecognitionStatus.RECOGNISED:
        raise ServiceError(N_("%(supplier)s is on the list already."), field="kvk", supplier=supplier.name)
    before = {"status": row.status} if row is not None else None
    if row is None:
        row = SupplierRecognition(government_id=government_id, supplier_id=supplier.id or 0, basis=basis)
    else:
        row.version += 1
    row.basis, row.evidence, row.status = basis, evidence, RecognitionStatus.RECOGNISED
    row.note, row.decided_by_id, row.decided_at = "", actor.id, utcnow()
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="supplier.recognised",
        entity_type="supplier",
        entity_id=supplier.id or 0,
        before=before,
        after={"status": row.status, "government_id": government_id, "basis": basis, "on_list": True},
    )
    return row
