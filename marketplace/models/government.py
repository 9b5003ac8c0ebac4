"""Governments, their social-return policy and their versioned valuation tables (bouwblokken)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ..policy import Basis as PolicyBasis
from ..policy import SmallRule as SmallContractRule
from ._base import cents_column, json_column, utcnow


class GovernmentKind(StrEnum):
    MUNICIPALITY = "municipality"
    PROVINCE = "province"
    REGION = "region"
    MINISTRY = "ministry"


class Route(StrEnum):
    """The four routes of social return (domain.md), in the default ladder order."""

    PAID_WORK = "paid_work"
    LABOUR_PARTICIPATION = "labour_participation"
    SOCIAL_DOMAIN = "social_domain"
    SOCIAL_ENTERPRISE = "social_enterprise"


class BlockUnit(StrEnum):
    FTE_YEAR = "fte_year"
    INTERNSHIP_YEAR = "internship_year"
    HOUR = "hour"
    DAY = "day"
    EURO_SPENT = "euro_spent"
    BY_AGREEMENT = "by_agreement"
    CERTIFICATE = "certificate"
    BONUS = "bonus"


class PsoLevel(StrEnum):
    ASPIRANT = "aspirant"
    TREDE_1 = "trede_1"
    TREDE_2 = "trede_2"
    TREDE_3 = "trede_3"
    THIRTY_PLUS = "30plus"


GOVERNMENT_KINDS = tuple(GovernmentKind)
ROUTES = tuple(Route)
BLOCK_UNITS = tuple(BlockUnit)
POLICY_BASES = tuple(PolicyBasis)
SMALL_CONTRACT_RULES = tuple(SmallContractRule)
PSO_LEVELS = tuple(PsoLevel)
# Units whose blocks are worth a fixed value per unit, so a block of them needs value_cents.
VALUED_UNITS = (BlockUnit.FTE_YEAR, BlockUnit.INTERNSHIP_YEAR, BlockUnit.HOUR, BlockUnit.DAY, BlockUnit.BONUS)


class Government(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=60)
    name: str = Field(max_length=200)
    kind: str = Field(default="municipality", max_length=20)
    municipality: str = Field(default="", max_length=100)
    lat: float | None = None
    lon: float | None = None
    notes: str = Field(default="")
    # Bumped by every edit: a form opened on an older version stores nothing (services.guard).
    version: int = 1


class PolicyVersion(SQLModel, table=True):
    """One version of a government's social-return policy (marketplace.policy.Policy); never edited.

    A contract takes the version in force on its award date and keeps a frozen copy.
    """

    __table_args__ = (UniqueConstraint("government_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    government_id: int = Field(foreign_key="government.id", index=True)
    version: int
    effective_from: date
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    note: str = Field(default="")
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ValuationTable(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("government_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    government_id: int = Field(foreign_key="government.id", index=True)
    version: int
    name: str = Field(max_length=200)
    effective_from: date
    effective_to: date | None = None
    source: str = Field(default="")
    # Set when the figures are a placeholder rather than the government's own (shown in the demo).
    assumption: str | None = None
    # Target group -> the most months a candidate counts ("*" for every other group; None: no limit).
    # Haaglanden's rule: 12 months, 24 for WIA, VSO, PrO and Participatiewet, Banenafspraak without limit.
    group_caps: dict[str, int | None] = Field(default_factory=dict, sa_column=json_column(nullable=False))

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class BuildingBlock(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("table_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(foreign_key="valuationtable.id", index=True)
    code: str = Field(max_length=60)
    route: str = Field(max_length=30)
    label: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    value_cents: int | None = Field(default=None, sa_column=cents_column(nullable=True))
    percentage_bp: int | None = None
    max_months: int | None = None
    target_group: str | None = Field(default=None, max_length=40)
    # The value per unit is a maximum: the officer sets the value up to it when approving (Leiden's day).
    at_most: bool = False
    # Who a person block or bonus applies to: {"min_age": 55, "requires": ["permanent_contract", ...]}.
    conditions: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    # The label in English (the table's own label is the government's, usually Dutch).
    label_en: str = Field(default="", max_length=200)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "route": self.route,
            "label": self.label,
            "label_en": self.label_en,
            "unit": self.unit,
            "value_cents": self.value_cents,
            "percentage_bp": self.percentage_bp,
            "max_months": self.max_months,
            "target_group": self.target_group,
            "at_most": self.at_most,
            "conditions": dict(self.conditions or {}),
        }
