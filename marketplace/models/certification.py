"""PSO certificates of companies, and social firms or SW-bedrijven outside the catalogue (suppliers)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import utcnow


class Certificate(SQLModel, table=True):
    """A company's PSO certificate (Prestatieladder Socialer Ondernemen); valid for at most two years."""

    __table_args__ = (UniqueConstraint("company_id", "level"),)
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    level: str = Field(max_length=20)
    number: str = Field(default="", max_length=60)
    issued_on: date
    valid_until: date
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)

    def valid_on(self, day: date) -> bool:
        return self.issued_on <= day <= self.valid_until


class RecognitionBasis(StrEnum):
    """Why a supplier counts: a PSO 30+ certificate, the government's own list, or the firm criteria."""

    PSO_30PLUS = "pso_30plus"
    GOVERNMENT_LIST = "government_list"
    SOCIAL_FIRM_CRITERIA = "social_firm_criteria"
    SW_COMPANY = "sw_company"


class RecognitionStatus(StrEnum):
    PENDING = "pending"
    RECOGNISED = "recognised"
    REFUSED = "refused"


RECOGNITION_BASES = tuple(RecognitionBasis)


class Supplier(SQLModel, table=True):
    """A social firm or SW-bedrijf a company buys from, known by its KvK number; no catalogue profile."""

    id: int | None = Field(default=None, primary_key=True)
    kvk: str = Field(unique=True, max_length=8)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # social_firm | sw_company
    city: str = Field(default="", max_length=100)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class SupplierRecognition(SQLModel, table=True):
    """Whether a government counts purchases from a supplier; the officer decides."""

    __table_args__ = (UniqueConstraint("government_id", "supplier_id"),)
    id: int | None = Field(default=None, primary_key=True)
    government_id: int = Field(foreign_key="government.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    basis: str = Field(max_length=30)
    evidence: str = Field(default="", max_length=2000)
    status: str = Field(default=RecognitionStatus.PENDING, max_length=20)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    note: str = Field(default="", max_length=2000)
    version: int = 1
