"""Notifications (what a user is told, in the app and by e-mail) and each user's preference per kind."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._base import json_column, utcnow


class NotificationKind(StrEnum):
    PLEDGE_PROPOSED = "pledge_proposed"  # to the government's officers
    PLEDGE_DECIDED = "pledge_decided"  # to the company (approved or rejected, with the reason)
    CHANGES_REQUESTED = "changes_requested"  # to the company
    DELIVERY_CONFIRMED = "delivery_confirmed"  # to the company
    PLAN_SUBMITTED = "plan_submitted"  # to the officers
    PLAN_DUE = "plan_due"  # reminder to the company: due tomorrow
    PLAN_OVERDUE = "plan_overdue"  # to the company and the officers
    PLAN_DECIDED = "plan_decided"  # to the company
    REPORT_SUBMITTED = "report_submitted"  # to the officers
    REPORT_DUE = "report_due"  # reminder to the company
    REPORT_CHECKED = "report_checked"  # to the company (accepted or rejected)
    END_DATE = "end_date"  # the contract ends in 60, 30 or 7 days, to the company and the officers
    SETTLEMENT = "settlement"  # ended short, a recovery period, or settled
    DIGEST = "digest"  # the daily digest mail itself (not shown in the list)


NOTIFICATION_KINDS = tuple(k for k in NotificationKind if k != NotificationKind.DIGEST)


class Delivery(StrEnum):
    """A user's choice per kind."""

    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    OFF = "off"


DELIVERIES = tuple(Delivery)


class MailState(StrEnum):
    PENDING = "pending"  # a job sends it (now, or after a failed attempt at mail_next_at)
    SENDING = "sending"  # claimed by a job
    DIGEST = "digest"  # waits for the user's daily digest
    SENT = "sent"
    IN_DIGEST = "in_digest"  # went out in a digest
    OFF = "off"  # the user wants no mail for this kind


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=30)
    # What it is about (a match, a contract), and what the text needs (reference, reason, amounts).
    subject_type: str = Field(max_length=40)
    subject_id: int
    params: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None
    # One notification per key: a reminder job that runs twice creates (and mails) nothing twice.
    once_key: str | None = Field(default=None, max_length=160, unique=True)
    event_id: int | None = Field(default=None, foreign_key="auditevent.id")
    mail_state: str = Field(default=MailState.PENDING, max_length=20, index=True)
    mail_attempts: int = 0
    mail_error: str = Field(default="")
    mail_next_at: datetime | None = None
    mailed_at: datetime | None = None


class NotificationPreference(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=30)
    delivery: str = Field(default=Delivery.IMMEDIATELY, max_length=20)
