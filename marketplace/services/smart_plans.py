"""SMART plans: the company's short plan for a social-domain contribution, assessed by the officer first.

Amsterdam asks it before a contribution to a social initiative counts: the goal, the target group, how the
initiative is rooted in the neighbourhood, and who takes part. Only a pledge that names an approved plan of
its contract and initiative is accepted on a route that needs one (services.pledges).
"""

from dataclasses import dataclass

from sqlmodel import Session

from ..models import Contract, Initiative, SmartPlan, SmartPlanStatus, User
from ..models._base import utcnow
from ..queries import is_eligible
from . import validation as v
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .scope import acts_for

FIELDS = ("goal", "target_group", "roots", "participants", "status", "officer_reason", "version")


@dataclass(frozen=True)
class SmartPlanInput:
    contract_id: int
    initiative_id: int
    goal: str
    target_group: str
    roots: str
    participants: str


def submit_smart_plan(session: Session, *, actor: User, data: SmartPlanInput) -> SmartPlan:
    """The company submits a plan for one initiative on one of its contracts; the officer assesses it."""
    contract = session.get(Contract, data.contract_id)
    if contract is None or actor.role != "company" or contract.company_id != actor.company_id:
        raise NotFound(N_("This contract does not exist."))
    initiative = session.get(Initiative, data.initiative_id)
    if initiative is None or not is_eligible(session, contract.government_id, initiative.id or 0):
        raise ServiceError(N_("Choose an initiative that counts for this contract."), field="initiative_id")
    plan = SmartPlan(
        contract_id=contract.id or 0,
        initiative_id=initiative.id or 0,
        created_by_id=actor.id,
        goal=v.text(data.goal, "goal", max_len=2000, required=True),
        target_group=v.text(data.target_group, "target_group", max_len=1000, required=True),
        roots=v.text(data.roots, "roots", max_len=2000, required=True),
        participants=v.text(data.participants, "participants", max_len=2000, required=True),
    )
    session.add(plan)
    session.flush()
    record(
        session,
        actor=actor,
        action="smart_plan.submitted",
        entity_type="smart_plan",
        entity_id=plan.id or 0,
        after=snapshot(plan, FIELDS),
    )
    return plan


def decide_smart_plan(
    session: Session,
    *,
    actor: User,
    plan_id: int,
    approve: bool,
    reason: str = "",
    seen_version: int | None = None,
) -> SmartPlan:
    """The officer approves a submitted plan, or sends it back with what to change."""
    plan = session.get(SmartPlan, plan_id)
    contract = session.get(Contract, plan.contract_id) if plan else None
    if plan is None or contract is None or not acts_for(session, actor, contract.government_id):
        raise NotFound(N_("This plan does not exist."))
    if plan.status != SmartPlanStatus.SUBMITTED or (
        seen_version is not None and seen_version != plan.version
    ):
        raise Conflict(N_("This plan changed since you opened it. Look at it again before you decide."))
    reason = v.text(reason, "reason", max_len=2000, required=not approve)
    before = snapshot(plan, FIELDS)
    plan.status = SmartPlanStatus.APPROVED if approve else SmartPlanStatus.CHANGES_REQUESTED
    plan.officer_reason, plan.decided_by_id, plan.decided_at = reason, actor.id, utcnow()
    plan.version += 1
    session.add(plan)
    record(
        session,
        actor=actor,
        action="smart_plan.approved" if approve else "smart_plan.changes_requested",
        entity_type="smart_plan",
        entity_id=plan.id or 0,
        before=before,
        after=snapshot(plan, FIELDS),
        reason=reason,
    )
    return plan


def resubmit_smart_plan(session: Session, *, actor: User, plan_id: int, data: SmartPlanInput) -> SmartPlan:
    """The company answers a change request; the plan goes back to the officer."""
    plan = session.get(SmartPlan, plan_id)
    contract = session.get(Contract, plan.contract_id) if plan else None
    if plan is None or contract is None or actor.role != "company" or contract.company_id != actor.company_id:
        raise NotFound(N_("This plan does not exist."))
    if plan.status != SmartPlanStatus.CHANGES_REQUESTED:
        raise Conflict(N_("Only a plan with a change request can be resubmitted."))
    before = snapshot(plan, FIELDS)
    plan.goal = v.text(data.goal, "goal", max_len=2000, required=True)
    plan.target_group = v.text(data.target_group, "target_group", max_len=1000, required=True)
    plan.roots = v.text(data.roots, "roots", max_len=2000, required=True)
    plan.participants = v.text(data.participants, "participants", max_len=2000, required=True)
    plan.status, plan.version = SmartPlanStatus.SUBMITTED, plan.version + 1
    session.add(plan)
    record(
        session,
        actor=actor,
        action="smart_plan.resubmitted",
        entity_type="smart_plan",
        entity_id=plan.id or 0,
        before=before,
        after=snapshot(plan, FIELDS),
    )
    return plan
