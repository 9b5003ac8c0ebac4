"""SQLModel tables, one module per aggregate; importing this package registers them all."""

from .audit import AuditEvent, Decision, Outbox
from .contract import COMMITTED_STATUSES, HOLDING_STATUSES, MATCH_STATUSES, Contract, Match, MatchStatus
from .government import (
    BLOCK_UNITS,
    GOVERNMENT_KINDS,
    POLICY_BASES,
    PSO_LEVELS,
    ROUTES,
    SMALL_CONTRACT_RULES,
    VALUED_UNITS,
    BlockUnit,
    BuildingBlock,
    Government,
    GovernmentKind,
    PolicyBasis,
    PsoLevel,
    Route,
    SmallContractRule,
    ValuationTable,
)
from .organisation import (
    INITIATIVE_KINDS,
    LIFE_PHASES,
    NEED_KINDS,
    NEED_STATUSES,
    NEED_UNITS,
    SELLER_KINDS,
    TARGET_GROUPS,
    UNITS_FOR_NEED_KIND,
    Company,
    Eligibility,
    HandprintScore,
    Initiative,
    InitiativeKind,
    LifePhase,
    Need,
    NeedKind,
    NeedStatus,
    NeedUnit,
)
from .user import LOCALES, ROLES, LoginAttempt, Role, User

__all__ = [
    "AuditEvent", "BLOCK_UNITS", "BlockUnit", "BuildingBlock", "COMMITTED_STATUSES", "Company", "Contract",
    "Decision", "Eligibility", "GOVERNMENT_KINDS", "Government", "GovernmentKind", "HOLDING_STATUSES",
    "HandprintScore", "INITIATIVE_KINDS", "Initiative", "InitiativeKind", "LIFE_PHASES", "LOCALES", "LifePhase",
    "LoginAttempt", "MATCH_STATUSES", "Match", "MatchStatus", "NEED_KINDS", "NEED_STATUSES", "NEED_UNITS", "Need",
    "NeedKind", "NeedStatus", "NeedUnit", "Outbox", "POLICY_BASES", "PSO_LEVELS", "PolicyBasis", "PsoLevel",
    "ROLES", "ROUTES", "Role", "Route", "SELLER_KINDS", "SMALL_CONTRACT_RULES", "SmallContractRule",
    "TARGET_GROUPS", "UNITS_FOR_NEED_KIND", "User", "VALUED_UNITS", "ValuationTable",
]
