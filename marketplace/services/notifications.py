"""Who is told what: notifications from audit events and reminders, read marks, preferences.

`on_event` is the one place that decides who hears of a state change. `audit.record` calls it for every event
it writes, inside the same transaction: a change that rolls back tells nobody. Mail is never sent here: a
notification that wants mail now is `pending`, the transaction marks the "notify" topic, and after the commit
the boundary hands delivery to the job queue (marketplace/jobs.py).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from ..db import mark_topic
from ..models import (
    AdviserGovernment,
    AuditEvent,
    BuildingBlock,
    Company,
    Contract,
    Delivery,
    Initiative,
    MailState,
    Match,
    Need,
    Notification,
    NotificationKind,
    NotificationPreference,
    User,
)
from ..models._base import utcnow
from ..models.notification import DELIVERIES, NOTIFICATION_KINDS
from .errors import N_, ServiceError

NOTIFY_TOPIC = "notify"
K = NotificationKind
OFFICER_SIDE = ("officer", "adviser")
# What the mail of each delivery choice starts as.
_STATE = {
    Delivery.IMMEDIATELY: MailState.PENDING,
    Delivery.DIGEST: MailState.DIGEST,
    Delivery.OFF: MailState.OFF,
}


# -- recipients ---------------------------------------------------------------------------------------------


def company_users(session: Session, company_id: int) -> list[User]:
    return list(
        session.exec(
            select(User).where(
                User.company_id == company_id, User.role == "company", col(User.active).is_(True)
            )
        ).all()
    )


def company_and_initiative_users(session: Session, company_id: int, initiative_id: int | None) -> list[User]:
    """`company_users` and then `initiative_users`, in one select."""
    if initiative_id is None:
        return company_users(session, company_id)
    rows = session.exec(
        select(User)
        .where(
            or_(
                and_(col(User.company_id) == company_id, col(User.role) == "company"),
                and_(col(User.initiative_id) == initiative_id, col(User.role) == "initiative"),
            ),
            col(User.active).is_(True),
        )
        .order_by(col(User.role), col(User.id))
    ).all()
    return list(rows)


def officers_of(session: Session, government_id: int) -> list[User]:
    """The government's officers and the WSP advisers who act for it."""
    officers = session.exec(
        select(User).where(
            User.government_id == government_id, User.role == "officer", col(User.active).is_(True)
        )
    ).all()
    advisers = session.exec(
        select(User)
        .join(AdviserGovernment, col(AdviserGovernment.user_id) == User.id)
        .where(AdviserGovernment.government_id == government_id, col(User.active).is_(True))
    ).all()
    return [*officers, *advisers]


def initiative_users(session: Session, initiative_id: int | None) -> list[User]:
    if initiative_id is None:
        return []
    return list(
        session.exec(
            select(User).where(
                User.initiative_id == initiative_id, User.role == "initiative", col(User.active).is_(True)
            )
        ).all()
    )


# -- creating notifications ---------------------------------------------------------------------------------


def preferences_of(session: Session, user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(NotificationPreference).where(col(NotificationPreference.user_id).in_(ids))
    ).all()
    return {(p.user_id, p.kind): p.delivery for p in rows}


def notify(
    session: Session,
    users: Sequence[User],
    kind: str,
    *,
    subject_type: str,
    subject_id: int,
    params: Mapping[str, Any],
    once_key: str | None = None,
    event: AuditEvent | None = None,
    exclude: User | None = None,
) -> list[Notification]:
    """One notification per user (without `exclude`, the one who acted), its mail set by their preference.

    With `once_key` (reminders), a user who already has the notification of that key gets nothing new: the
    key is per user, so a job that runs twice creates and mails nothing twice.
    """
    seen: set[int] = set()
    wanted = []
    for u in users:
        if u.id is None or u.id in seen or (exclude is not None and u.id == exclude.id):
            continue
        seen.add(u.id)
        wanted.append(u)
    if not wanted:
        return []
    if once_key is not None:
        keys = {f"{once_key}:u{u.id}": u for u in wanted}
        taken = set(
            session.exec(select(Notification.once_key).where(col(Notification.once_key).in_(keys))).all()
        )
        wanted = [u for k, u in keys.items() if k not in taken]
        if not wanted:
            return []
    prefs = preferences_of(session, [u.id or 0 for u in wanted])
    if event is not None and event.id is None:
        session.flush()
    created = []
    for u in wanted:
        delivery = prefs.get((u.id or 0, kind), Delivery.IMMEDIATELY)
        n = Notification(
            user_id=u.id or 0,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            params=dict(params),
            once_key=f"{once_key}:u{u.id}" if once_key is not None else None,
            event_id=event.id if event is not None else None,
            mail_state=_STATE.get(Delivery(delivery), MailState.PENDING),
        )
        session.add(n)
        created.append(n)
    # A parallel run that took a key first makes this flush fail: that transaction rolls back, the other tells.
    session.flush()
    if any(n.mail_state == MailState.PENDING for n in created):
        mark_topic(session, NOTIFY_TOPIC)
    return created


def _match_params(session: Session, match: Match, contract: Contract) -> dict[str, Any]:
    need = session.get(Need, match.need_id) if match.need_id else None
    initiative = session.get(Initiative, match.initiative_id) if match.initiative_id else None
    company = session.get(Company, contract.company_id)
    what = need.title if need else (initiative.name if initiative else "")
    block = session.get(BuildingBlock, match.block_id) if not what else None
    return {
        # Without a need or initiative (hiring, a purchase): the block, in both languages.
        "block": {"nl": block.label, "en": block.label_en or block.label} if block else None,
        "reference": contract.reference,
        "contract_id": contract.id,
        "match_id": match.id,
        "what": what,
        "initiative": initiative.name if initiative else "",
        "company": company.name if company else "",
        "value_cents": match.value_cents,
    }


def _contract_params(contract: Contract) -> dict[str, Any]:
    return {"reference": contract.reference, "contract_id": contract.id, "title": contract.title}


def on_event(session: Session, event: AuditEvent, actor: User | None) -> list[Notification]:
    """Tell whoever should hear of this event; every state change passes here (audit.record)."""
    action = event.action
    if event.entity_type == "match" and action.startswith(("match.", "report.")):
        return _on_match_event(session, event, actor)
    if event.entity_type == "contract" and action.startswith(("plan.", "contract.")):
        return _on_contract_event(session, event, actor)
    return []


_MATCH_ACTIONS = {
    "match.pledged",
    "match.pledged_from_plan",
    "match.resubmitted",
    "match.approved",
    "match.rejected",
    "match.changes_requested",
    "match.delivered",
    "report.submitted",
    "report.accepted",
    "report.rejected",
}


def _on_match_event(session: Session, event: AuditEvent, actor: User | None) -> list[Notification]:
    action = event.action
    if action not in _MATCH_ACTIONS:
        return []
    match = session.get(Match, event.entity_id)
    contract = session.get(Contract, match.contract_id) if match else None
    if match is None or contract is None:
        return []
    params = _match_params(session, match, contract)
    if event.reason:
        params["reason"] = event.reason
    common: dict[str, Any] = {
        "subject_type": "match",
        "subject_id": match.id or 0,
        "event": event,
        "exclude": actor,
    }
    if action in ("match.pledged", "match.pledged_from_plan", "match.resubmitted"):
        if actor is not None and actor.role in OFFICER_SIDE:  # pledges an officer creates from a plan
            return []
        return notify(
            session, officers_of(session, contract.government_id), K.PLEDGE_PROPOSED, params=params, **common
        )
    if action in ("match.approved", "match.rejected"):
        params["outcome"] = action.split(".")[1]
        # The company hears of both outcomes, the initiative of an approval: one select, one notify.
        users = (
            company_and_initiative_users(session, contract.company_id, match.initiative_id)
            if action == "match.approved"
            else company_users(session, contract.company_id)
        )
        return notify(session, users, K.PLEDGE_DECIDED, params=params, **common)
    if action == "match.changes_requested":
        return notify(
            session, company_users(session, contract.company_id), K.CHANGES_REQUESTED, params=params, **common
        )
    if action == "match.delivered":
        return notify(
            session,
            company_users(session, contract.company_id),
            K.DELIVERY_CONFIRMED,
            params=params,
            **common,
        )
    after = event.after or {}
    params["period_start"] = after.get("period_start")
    params["period_end"] = after.get("period_end")
    if action == "report.submitted":
        return notify(
            session, officers_of(session, contract.government_id), K.REPORT_SUBMITTED, params=params, **common
        )
    params["outcome"] = action.split(".")[1]
    return notify(
        session, company_users(session, contract.company_id), K.REPORT_CHECKED, params=params, **common
    )


def _on_contract_event(session: Session, event: AuditEvent, actor: User | None) -> list[Notification]:
    action = event.action
    contract = session.get(Contract, event.entity_id)
    if contract is None:
        return []
    params = _contract_params(contract)
    if event.reason:
        params["reason"] = event.reason
    common: dict[str, Any] = {
        "subject_type": "contract",
        "subject_id": contract.id or 0,
        "event": event,
        "exclude": actor,
    }
    if action == "plan.submitted":
        return notify(
            session, officers_of(session, contract.government_id), K.PLAN_SUBMITTED, params=params, **common
        )
    if action in ("plan.approved", "plan.changes_requested"):
        params["outcome"] = "approved" if action == "plan.approved" else "changes_requested"
        return notify(
            session, company_users(session, contract.company_id), K.PLAN_DECIDED, params=params, **common
        )
    if action in ("contract.settlement", "contract.recovery") or action.startswith("contract.settled_"):
        params["outcome"] = action.split(".", 1)[1]
        if contract.recovery_until:
            params["recovery_until"] = contract.recovery_until.isoformat()
        users = company_users(session, contract.company_id)
        if action == "contract.settlement":  # ended short: the officers decide what follows
            users += officers_of(session, contract.government_id)
        return notify(session, users, K.SETTLEMENT, params=params, **common)
    return []


# -- reading ------------------------------------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    """One statement: the bell's figure."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user_id,
                col(Notification.read_at).is_(None),
                Notification.kind != K.DIGEST,
            )
        ).one()
    )


def mark_read(session: Session, *, actor: User, notification_id: int | None = None) -> int:
    """Mark one of the actor's notifications (or all of them) as read; a second submit changes nothing."""
    stmt = update(Notification).where(
        col(Notification.user_id) == actor.id, col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(col(Notification.id) == notification_id)
    result = session.execute(stmt.values(read_at=utcnow()))
    n = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if n:
        from .audit import record

        record(
            session,
            actor=actor,
            action="notifications.read",
            entity_type="user",
            entity_id=actor.id or 0,
            after={"notification_id": notification_id, "count": n},
        )
    return n


@dataclass(frozen=True)
class PreferencesInput:
    """The delivery per kind ("immediately", "digest" or "off"); kinds not given stay as they are."""

    deliveries: Mapping[str, str]


def delivery_for(session: Session, user_id: int) -> dict[str, str]:
    prefs = preferences_of(session, [user_id])
    return {k: prefs.get((user_id, k), Delivery.IMMEDIATELY) for k in NOTIFICATION_KINDS}


def set_preferences(session: Session, *, actor: User, data: PreferencesInput) -> dict[str, str]:
    for kind, delivery in data.deliveries.items():
        if kind not in NOTIFICATION_KINDS:
            raise ServiceError(N_("Unknown kind of notification."), field=kind)
        if delivery not in DELIVERIES:
            raise ServiceError(N_("Choose one of the options."), field=kind)
    before = delivery_for(session, actor.id or 0)
    rows = {
        p.kind: p
        for p in session.exec(
            select(NotificationPreference).where(NotificationPreference.user_id == actor.id)
        ).all()
    }
    for kind, delivery in data.deliveries.items():
        row = rows.get(kind) or NotificationPreference(user_id=actor.id or 0, kind=kind)
        row.delivery = delivery
        session.add(row)
    session.flush()
    after = delivery_for(session, actor.id or 0)
    if after != before:
        from .audit import record

        record(
            session,
            actor=actor,
            action="user.notification_preferences",
            entity_type="user",
            entity_id=actor.id or 0,
            before=before,
            after=after,
        )
    return after


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return None
