"""Reminders (plan due or overdue, report due, end date near) and the daily digests, run by the job queue.

Each reminder carries a once key (what, which contract, which date or threshold), and the notification's
unique `once_key` holds it per user: a job that runs twice, or two workers at once, tell nobody twice.
Each run is one transaction of its own (a boundary, like a command).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from .db import commit
from .models import (
    Contract,
    ContractStatus,
    MailState,
    Match,
    Notification,
    NotificationKind,
    Plan,
    PlanStatus,
    RealisationReport,
    ReportStatus,
    User,
)
from .queries_lifecycle import periodic_check
from .services import notifications as svc

K = NotificationKind
END_THRESHOLDS = (60, 30, 7)  # days before the end date
OPEN = (
    ContractStatus.PLAN_DUE,
    ContractStatus.PLAN_APPROVED,
    ContractStatus.RUNNING,
    ContractStatus.RECOVERY,
)


def _app() -> object | None:
    from flask import current_app, has_app_context

    return current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]


def send_reminders(session: Session, *, today: date) -> dict[str, int]:
    """Create today's reminders; returns how many notifications of each kind were created."""
    counts: Counter[str] = Counter()
    contracts = session.exec(
        select(Contract).where(col(Contract.status).in_(OPEN)).order_by(col(Contract.id))
    ).all()
    plans = (
        {
            p.contract_id: p
            for p in session.exec(
                select(Plan).where(col(Plan.contract_id).in_([c.id for c in contracts]))
            ).all()
        }
        if contracts
        else {}
    )
    for c in contracts:
        params = {"reference": c.reference, "contract_id": c.id, "title": c.title}
        common: dict[str, Any] = {"subject_type": "contract", "subject_id": c.id or 0}
        # The plan van aanpak: due tomorrow, or overdue (once per due date).
        plan = plans.get(c.id or 0)
        due = c.plan_due_on
        waiting_for_plan = c.status == ContractStatus.PLAN_DUE and (
            plan is None or plan.status in (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED)
        )
        if due is not None and waiting_for_plan:
            p = {**params, "due": due.isoformat()}
            if due == today + timedelta(days=1):
                counts[K.PLAN_DUE] += len(
                    svc.notify(
                        session,
                        svc.company_users(session, c.company_id),
                        K.PLAN_DUE,
                        params=p,
                        once_key=f"plan_due:{c.id}:{due.isoformat()}",
                        **common,
                    )
                )
            elif due < today:
                users = svc.company_users(session, c.company_id) + svc.officers_of(session, c.government_id)
                counts[K.PLAN_OVERDUE] += len(
                    svc.notify(
                        session,
                        users,
                        K.PLAN_OVERDUE,
                        params=p,
                        once_key=f"plan_overdue:{c.id}:{due.isoformat()}",
                        **common,
                    )
                )
        # The end date: one reminder per threshold passed (a day the job did not run is caught up).
        days_left = (c.end_date - today).days
        passed = [t for t in END_THRESHOLDS if 0 <= days_left <= t]
        if passed:
            threshold = min(passed)
            from .queries import contract_totals

            totals = contract_totals(session, [c])[c.id or 0]
            p = {
                **params,
                "days": days_left,
                "threshold": threshold,
                "end_date": c.end_date.isoformat(),
                "open_cents": max(0, totals.remaining_cents),
            }
            users = svc.company_users(session, c.company_id) + svc.officers_of(session, c.government_id)
            counts[K.END_DATE] += len(
                svc.notify(
                    session,
                    users,
                    K.END_DATE,
                    params=p,
                    once_key=f"end_date:{c.id}:{c.end_date.isoformat()}:{threshold}",
                    **common,
                )
            )
    # Reports: the last closed period of a contribution without a report (the periodic check's rule).
    government_ids = sorted({c.government_id for c in contracts})
    for item in periodic_check(session, government_ids, today=today):
        period = item.missing_period
        if period is None:
            continue
        c = item.progress.contract
        p = {
            "reference": c.reference,
            "contract_id": c.id,
            "title": c.title,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
        }
        counts[K.REPORT_DUE] += len(
            svc.notify(
                session,
                svc.company_users(session, c.company_id),
                K.REPORT_DUE,
                params=p,
                subject_type="contract",
                subject_id=c.id or 0,
                once_key=f"report_due:{c.id}:{period.start.isoformat()}",
            )
        )
    commit(session, _app())  # type: ignore[arg-type]
    return dict(counts)


def waiting_for(session: Session, government_ids: list[int]) -> dict[str, int]:
    """What waits for an officer of these governments: pledges, plans and reports to decide on."""
    if not government_ids:
        return {"pledges": 0, "plans": 0, "reports": 0}
    contracts = select(Contract.id).where(col(Contract.government_id).in_(government_ids))
    pledges = session.exec(
        select(func.count())
        .select_from(Match)
        .where(col(Match.contract_id).in_(contracts), Match.status == "proposed")
    ).one()
    plans = session.exec(
        select(func.count())
        .select_from(Plan)
        .where(col(Plan.contract_id).in_(contracts), Plan.status == PlanStatus.SUBMITTED)
    ).one()
    reports = session.exec(
        select(func.count())
        .select_from(RealisationReport)
        .where(
            col(RealisationReport.contract_id).in_(contracts),
            RealisationReport.status == ReportStatus.SUBMITTED,
        )
    ).one()
    return {"pledges": int(pledges), "plans": int(plans), "reports": int(reports)}


def build_digests(session: Session, *, today: date) -> int:
    """One digest per user who has something in it: notifications they chose to get daily, and for officers
    what waits for them. Once per user and day (the digest's once key)."""
    from .services.scope import government_ids

    held: dict[int, list[int]] = {}
    for nid, uid in session.exec(
        select(Notification.id, Notification.user_id)
        .where(Notification.mail_state == MailState.DIGEST)
        .order_by(col(Notification.id))
    ).all():
        held.setdefault(uid, []).append(nid or 0)
    officers = session.exec(
        select(User).where(col(User.role).in_(("officer", "adviser")), col(User.active).is_(True))
    ).all()
    waiting = {u.id or 0: waiting_for(session, sorted(government_ids(session, u))) for u in officers}
    wanted = set(held) | {uid for uid, w in waiting.items() if any(w.values())}
    made = 0
    for uid in sorted(wanted):
        user = session.get(User, uid)
        if user is None or not user.active:
            continue
        ids = held.get(uid, [])
        created = svc.notify(
            session,
            [user],
            K.DIGEST,
            subject_type="user",
            subject_id=uid,
            params={"date": today.isoformat(), "ids": ids, "waiting": waiting.get(uid, {})},
            once_key=f"digest:{today.isoformat()}",
        )
        if not created:
            continue  # already sent today: a second run adds nothing
        created[0].mail_state = MailState.PENDING  # the digest itself is always mailed
        if ids:
            session.execute(
                Notification.__table__.update()  # type: ignore[attr-defined]
                .where(col(Notification.id).in_(ids))
                .values(mail_state=MailState.IN_DIGEST)
            )
        made += 1
    commit(session, _app())  # type: ignore[arg-type]
    return made
