"""The register of placed people: who counts for paid work, internships and work-learning places.

SRX stores no name and no BSN. A person is a pseudonymous key: an HMAC of a reference the company keeps
(its personnel number, or the WSP's candidate number), so SRX can see the same person twice without knowing
who it is. `PersonMonth` holds one row per person per calendar month counted; its unique index is what makes
"a person counts once per month across all contracts" hold, even when two companies register at once.
Details are deleted a set time after settlement (docs/privacy.md); the counts on the match stay.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import utcnow


class ProofKind(StrEnum):
    """How the target group is shown: the document the company keeps (SRX stores only which kind)."""

    UWV_REGISTER = "uwv_doelgroepregister"
    BENEFIT_LETTER = "benefit_letter"
    SCHOOL = "school"
    WSP_STATEMENT = "wsp_statement"


class Employment(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    INTERNSHIP = "internship"
    WORK_LEARNING = "work_learning"


class AgeBand(StrEnum):
    """Only what the bonuses ask: no date of birth."""

    UNDER_50 = "under_50"
    FROM_50 = "50_54"
    FROM_55 = "55_plus"


PROOF_KINDS = tuple(ProofKind)
EMPLOYMENTS = tuple(Employment)
AGE_BANDS = tuple(AgeBand)
# Conditions a block or bonus can require of a person (BuildingBlock.conditions["requires"]).
PERSON_FLAGS = (
    "permanent_contract",
    "statushouder_or_language",
    "after_vso_pro_internship",
    "occupational_disability",
)


class Placement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", unique=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    # HMAC-SHA256 of the company's reference, hex; emptied when the details are deleted (retention).
    person_key: str = Field(default="", max_length=64, index=True)
    target_group: str = Field(max_length=40)
    proof_kind: str = Field(max_length=30)
    employment: str = Field(max_length=20)
    start_date: date
    end_date: date
    hours_per_week: int
    age_band: str = Field(default=AgeBand.UNDER_50, max_length=10)
    statushouder_or_language: bool = False
    after_vso_pro_internship: bool = False
    occupational_disability: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    details_deleted_at: datetime | None = None


class PersonMonth(SQLModel, table=True):
    """One calendar month in which a person counts; at most one row per person and month, anywhere."""

    __table_args__ = (UniqueConstraint("person_key", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    person_key: str = Field(max_length=64)
    month: str = Field(max_length=7)  # YYYY-MM
    placement_id: int = Field(foreign_key="placement.id", index=True)
