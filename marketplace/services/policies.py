"""Versions of a government's social-return policy; a contract freezes the version in force at its award."""

from datetime import date

from sqlmodel import Session, col, select

from ..models import CONTRACT_KINDS, PSO_LEVELS, ROUTES, Government, PolicyVersion, User
from ..policy import REPORT_PERIODS, Basis, Policy, SmallRule
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import record
from .errors import N_, Conflict, Forbidden, NotFound, ServiceError
from .guard import CHANGED


def policy_in_force(session: Session, government_id: int, day: date) -> PolicyVersion | None:
    """The newest version that took effect on or before `day`."""
    return session.exec(
        select(PolicyVersion)
        .where(PolicyVersion.government_id == government_id, PolicyVersion.effective_from <= day)
        .order_by(col(PolicyVersion.effective_from).desc(), col(PolicyVersion.version).desc())
    ).first()


def current_policy(session: Session, government_id: int, today: date) -> Policy:
    version = policy_in_force(session, government_id, today)
    return Policy.from_dict(version.policy if version else None)


def check_policy(p: Policy) -> Policy:
    """Every figure within its range and every code known; the field of the first problem is named."""
    v.integer(p.percentage_bp, "percentage_bp", low=0, high=10_000)
    v.integer(p.threshold_cents, "threshold_cents", low=0, high=MAX_CENTS)
    for kind, cents in p.thresholds_by_kind.items():
        v.choice(kind, "thresholds_by_kind", CONTRACT_KINDS)
        v.integer(cents, f"threshold_{kind}", low=0, high=MAX_CENTS)
    v.integer(p.min_term_months, "min_term_months", low=1, high=600, required=False)
    v.integer(p.cap_cents, "cap_cents", low=0, high=MAX_CENTS, required=False)
    v.choice(p.basis, "basis", tuple(Basis))
    if p.basis == Basis.FIXED_AMOUNT:
        v.integer(p.fixed_amount_cents, "fixed_amount_cents", low=0, high=MAX_CENTS)
    if (p.low_labour_share_bp is None) != (p.low_labour_percentage_bp is None):
        raise ServiceError(
            N_("Give both the labour share and the lower percentage, or neither."),
            field="low_labour_share_bp",
        )
    v.integer(p.low_labour_share_bp, "low_labour_share_bp", low=1, high=10_000, required=False)
    v.integer(p.low_labour_percentage_bp, "low_labour_percentage_bp", low=0, high=10_000, required=False)
    v.integer(p.annual_minimum_cents, "annual_minimum_cents", low=0, high=MAX_CENTS, required=False)
    v.choice(p.small_contract_rule, "small_contract_rule", tuple(SmallRule))
    v.integer(p.small_activity_min_cents, "small_activity_min_cents", low=0, high=MAX_CENTS)
    v.choices(p.small_activity_routes, "small_activity_routes", ROUTES)
    for level, bp in p.pso_discount_bp.items():
        v.choice(level, "pso_discount_bp", PSO_LEVELS)
        v.integer(bp, f"pso_{level}", low=0, high=10_000)
    if sorted(p.route_order) != sorted(ROUTES):
        raise ServiceError(N_("Put every route on the ladder once."), field="route_order")
    for route, regions in p.route_regions.items():
        v.choice(route, "route_regions", ROUTES)
        for region in regions:
            v.text(region, "route_regions", max_len=100, required=True)
    v.choices(p.smart_plan_routes, "smart_plan_routes", ROUTES)
    v.choices(p.priority_themes, "priority_themes", THEME_CODES)
    v.integer(p.plan_deadline_days, "plan_deadline_days", low=1, high=365)
    v.choice(p.report_period, "report_period", REPORT_PERIODS)
    v.integer(p.recovery_days, "recovery_days", low=1, high=730)
    return p


def add_policy_version(
    session: Session,
    *,
    actor: User | None,
    government_id: int,
    effective_from: date | None,
    policy: Policy,
    note: str = "",
    seen_version: int | None = None,
) -> PolicyVersion:
    """A new version of the government's policy from `effective_from`; contracts awarded earlier keep theirs.

    `seen_version` is the newest version the admin's form started from (0: none); a version added since
    refuses this one, and nothing is stored.
    """
    if actor is not None and actor.role != "admin":
        raise Forbidden(N_("You may not do this."))
    gov = session.get(Government, government_id)
    if gov is None:
        raise NotFound(N_("This government does not exist."))
    start = v.day(effective_from, "effective_from", required=True)
    assert start is not None
    check_policy(policy)
    versions = session.exec(select(PolicyVersion).where(PolicyVersion.government_id == government_id)).all()
    if seen_version is not None and seen_version != max((pv.version for pv in versions), default=0):
        raise Conflict(CHANGED)
    if any(pv.effective_from > start for pv in versions):
        raise ServiceError(N_("A new version must start after the latest one."), field="effective_from")
    version = PolicyVersion(
        government_id=government_id,
        version=max((pv.version for pv in versions), default=0) + 1,
        effective_from=start,
        policy=policy.as_dict(),
        note=v.text(note, "note", max_len=2000),
        created_by_id=actor.id if actor else None,
    )
    session.add(version)
    session.flush()
    record(
        session,
        actor=actor,
        action="policy.version_added",
        entity_type="government",
        entity_id=government_id,
        after={"version": version.version, "effective_from": start.isoformat(), "policy": version.policy},
    )
    return version
