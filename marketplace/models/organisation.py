"""Companies, initiatives and social firms, their handprint, needs and eligibility."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import cents_column, json_column, utcnow


class InitiativeKind(StrEnum):
    INITIATIVE = "initiative"
    SOCIAL_FIRM = "social_firm"
    SW_COMPANY = "sw_company"


class LifePhase(StrEnum):
    PLAN = "plan"
    START = "start"
    GROWTH = "growth"


class NeedKind(StrEnum):
    MONEY = "money"
    HOURS = "hours"
    EXPERTISE = "expertise"
    GOODS = "goods"
    INTERNSHIP = "internship"
    JOB = "job"
    PURCHASE = "purchase"


class NeedUnit(StrEnum):
    CENTS = "cents"
    HOURS = "hours"
    DAYS = "days"
    PLACES = "places"


class NeedStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


INITIATIVE_KINDS = tuple(InitiativeKind)
# The kinds a company can buy from: a purchase counts only from these.
SELLER_KINDS = (InitiativeKind.SOCIAL_FIRM, InitiativeKind.SW_COMPANY)
LIFE_PHASES = tuple(LifePhase)
NEED_KINDS = tuple(NeedKind)
NEED_UNITS = tuple(NeedUnit)
NEED_STATUSES = tuple(NeedStatus)
# Which units a need of each kind may be expressed in (the first is the default).
UNITS_FOR_NEED_KIND = {
    "money": ("cents",),
    "goods": ("cents",),
    "purchase": ("cents",),
    "hours": ("hours", "days"),
    "expertise": ("hours", "days"),
    "internship": ("places",),
    "job": ("places",),
}
# The target groups of domain.md; each is its own group (WIA/WAO, WGA, IOAW and IOAZ are distinct schemes).
TARGET_GROUPS = (
    "participatiewet",
    "banenafspraak",
    "ww",
    "wia",
    "wga",
    "ioaw",
    "ioaz",
    "zonder_uitkering",
    "voortijdig_schoolverlaters",
    "bol_bbl",
    "vso_pro",
    "statushouders",
)


class Company(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=80)
    name: str = Field(max_length=200)
    kvk: str = Field(index=True, unique=True, max_length=8)
    sector: str = Field(default="", max_length=100)
    city: str = Field(default="", max_length=100)
    lat: float | None = None
    lon: float | None = None
    profile: str = Field(default="")
    interests: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    pso_level: str | None = Field(default=None, max_length=20)
    # Bumped by every edit (the admin's form and the company's own profile): a stale form stores nothing.
    version: int = 1


class Initiative(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=80)
    kind: str = Field(default="initiative", max_length=20, index=True)
    name: str = Field(max_length=200)
    summary: str = Field(default="", max_length=300)
    description: str = Field(default="")
    municipality: str = Field(default="", max_length=100, index=True)
    neighbourhood: str = Field(default="", max_length=100)
    lat: float | None = None
    lon: float | None = None
    life_phase: str = Field(default="start", max_length=10)
    website: str | None = Field(default=None, max_length=300)
    # Contact details the initiative publishes on its public page; an empty field is not published.
    contact_email: str = Field(default="", max_length=254, sa_column_kwargs={"server_default": ""})
    contact_phone: str = Field(default="", max_length=30, sa_column_kwargs={"server_default": ""})
    contact_name: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    target_groups: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    published: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class HandprintScore(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("initiative_id", "theme"),)
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    theme: str = Field(max_length=40)
    score: int
    # Private to the initiative and officers.
    yearly_value_cents: int | None = Field(default=None, sa_column=cents_column(nullable=True))
    indicator: str = Field(default="", max_length=300)


class Need(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(index=True, unique=True, max_length=60)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    kind: str = Field(max_length=20, index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="")
    themes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    quantity: int = Field(sa_column=cents_column())
    unit: str = Field(max_length=10)
    deadline: date | None = None
    status: str = Field(default="open", max_length=10, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by every pledge against the need: the row lock that serialises capacity checks.
    lock_version: int = 0


class Eligibility(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("government_id", "initiative_id"),)
    id: int | None = Field(default=None, primary_key=True)
    government_id: int = Field(foreign_key="government.id", index=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    since: date
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    active: bool = True
    note: str = Field(default="", max_length=500)
