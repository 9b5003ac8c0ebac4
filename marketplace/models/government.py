"""Governments, their social-return policy and their versioned valuation tables (bouwblokken)."""

from datetime import date
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column

GOVERNMENT_KINDS = ("municipality", "province", "region", "ministry")
ROUTES = ("paid_work", "labour_participation", "social_domain", "social_enterprise")
BLOCK_UNITS = (
    "fte_year", "internship_year", "hour", "day", "euro_spent", "by_agreement", "certificate", "bonus",
)
POLICY_BASES = ("contract_sum", "labour_component")
SMALL_CONTRACT_RULES = ("one_social_activity", "none")
PSO_LEVELS = ("aspirant", "trede_1", "trede_2", "trede_3", "30plus")


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
    route_order: list[str] = Field(default_factory=lambda: list(ROUTES), sa_column=json_column(nullable=False))
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
            "code": self.code, "route": self.route, "label": self.label, "unit": self.unit,
            "value_cents": self.value_cents, "percentage_bp": self.percentage_bp,
            "max_months": self.max_months, "target_group": self.target_group,
        }
