"""SQLModel tables, one module per aggregate; importing this package registers them all."""

from .audit import AuditEvent, Decision, Outbox
from .contract import HOLDING_STATUSES, MATCH_STATUSES, Contract, Match
from .government import (
    BLOCK_UNITS,
    GOVERNMENT_KINDS,
    PSO_LEVELS,
    ROUTES,
    BuildingBlock,
    Government,
    ValuationTable,
)
from .organisation import (
    INITIATIVE_KINDS,
    LIFE_PHASES,
    NEED_KINDS,
    NEED_STATUSES,
    NEED_UNITS,
    TARGET_GROUPS,
    UNITS_FOR_NEED_KIND,
    Company,
    Eligibility,
    HandprintScore,
    Initiative,
    Need,
)
from .user import ROLES, LoginAttempt, User

__all__ = [
    "AuditEvent", "BLOCK_UNITS", "BuildingBlock", "Company", "Contract", "Decision", "Eligibility",
    "GOVERNMENT_KINDS", "Government", "HOLDING_STATUSES", "HandprintScore", "INITIATIVE_KINDS", "Initiative",
    "LIFE_PHASES", "LoginAttempt", "MATCH_STATUSES", "Match", "NEED_KINDS", "NEED_STATUSES", "NEED_UNITS",
    "Need", "Outbox", "PSO_LEVELS", "ROLES", "ROUTES", "TARGET_GROUPS", "UNITS_FOR_NEED_KIND", "User",
    "ValuationTable",
]
