"""Governments, their social-return policy and their versioned valuation tables (bouwblokken)."""

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column


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


class PolicyBasis(StrEnum):
    CONTRACT_SUM = "contract_sum"
    LABOUR_COMPONENT = "labour_component"


class SmallContractRule(StrEnum):
    ONE_SOCIAL_ACTIVITY = "one_social_activity"
    NONE = "none"


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
    # Policy: percentage in basis points (500 = 5%), threshold and cap in cents.
    percentage_bp: int = 500
    threshold_cents: int = Field(default=0, sa_column=cents_column())
    cap_cents: int | None = Field(default=None, sa_column=cents_column(nullable=True))
    basis: str = Field(default="contract_sum", max_length=20)
    small_contract_rule: str = Field(default="one_social_activity", max_length=30)
    pso_reduction_bp: dict[str, int] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    priority_themes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    route_order: list[str] = Field(
        default_factory=lambda: list(ROUTES), sa_column=json_column(nullable=False)
    )
    regions: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    notes: str = Field(default="")


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "route": self.route,
            "label": self.label,
            "unit": self.unit,
            "value_cents": self.value_cents,
            "percentage_bp": self.percentage_bp,
            "max_months": self.max_months,
            "target_group": self.target_group,
        }
