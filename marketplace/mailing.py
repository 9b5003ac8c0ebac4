"""Notification mail: build it in the recipient's language, send it once, keep its state.

A notification's `mail_state` is the record: `pending` (to send; after a failure again at `mail_next_at`),
`sending` (claimed by one job), `sent`, `digest` (waits for the daily e-mail), `in_digest`, `off`. A job claims
a notification with a guarded UPDATE before it sends, so two jobs (a retry and the sweep) never both send it;
a claim older than ten minutes (a worker that died mid-send) is taken again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from . import mail
from .models import LOCALES, MailState, Notification, NotificationKind, User
from .models._base import utcnow
from .notifications import link_of, text_of

CLAIM_MINUTES = 10


def due_for_mail(session: Session, limit: int = 500) -> list[int]:
    """Notifications whose mail should go now: new, retried after their backoff, or stuck in a dead claim."""
    now = utcnow()
    rows = session.exec(
        select(Notification.id)
        .where(
            or_(
                (col(Notification.mail_state) == MailState.PENDING)
                & (col(Notification.mail_next_at).is_(None) | (col(Notification.mail_next_at) <= now)),
                (col(Notification.mail_state) == MailState.SENDING) & (col(Notification.mail_next_at) <= now),
            )
        )
        .order_by(col(Notification.id))
        .limit(limit)
    ).all()
    return [int(i) for i in rows if i is not None]


def _claim(session: Session, notification_id: int) -> bool:
    now = utcnow()
    result = session.execute(
        update(Notification)
        .where(
            col(Notification.id) == notification_id,
            or_(
                col(Notification.mail_state) == MailState.PENDING,
                (col(Notification.mail_state) == MailState.SENDING) & (col(Notification.mail_next_at) <= now),
            ),
        )
        .values(mail_state=MailState.SENDING, mail_next_at=now + timedelta(minutes=CLAIM_MINUTES))
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _set(session: Session, notification_id: int, **values: Any) -> None:
    session.execute(update(Notification).where(col(Notification.id) == notification_id).values(**values))
    session.commit()


def send_notification(app: Flask, session: Session, notification_id: int) -> str:
    """Send the mail of one notification if it still waits for it: 'sent', 'skipped' or 'off'.

    A refusing or hanging mail server raises (after the notification went back to `pending` with the error
    and its next attempt), so the job queue retries it with backoff; nothing is lost and nothing sent twice.
    """
    from .jobs import next_attempt

    if not _claim(session, notification_id):
        return "skipped"
    n = session.get(Notification, notification_id)
    user = session.get(User, n.user_id) if n else None
    if n is None or user is None or not user.active or not user.email:
        _set(session, notification_id, mail_state=MailState.OFF)
        return "off"
    message = build_message(app, session, n, user)
    try:
        mail.send(
            message,
            url=app.config.get("MAIL_URL"),
            sender=app.config.get("MAIL_FROM") or mail.DEFAULT_SENDER,
            timeout=float(app.config.get("MAIL_TIMEOUT", 10)),
        )
    except Exception as exc:
        attempts = n.mail_attempts + 1
        _set(
            session,
            notification_id,
            mail_state=MailState.PENDING,
            mail_attempts=attempts,
            mail_error=f"{exc.__class__.__name__}: {exc}"[:500],
            mail_next_at=utcnow() + next_attempt(attempts),
        )
        raise
    _set(session, notification_id, mail_state=MailState.SENT, mailed_at=utcnow(), mail_error="")
    return "sent"


def _locale(user: User) -> str:
    return user.locale if user.locale in LOCALES else "nl"


def build_message(app: Flask, session: Session, n: Notification, user: User) -> mail.Message:
    """The mail in the recipient's language, with absolute links and the unsubscribe line."""
    base = app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    with app.test_request_context("/", base_url=base), force_locale(_locale(user)):
        prefs = url_for("notifications.preferences", _external=True)
        if n.kind == NotificationKind.DIGEST:
            subject, lines = _digest_lines(session, n, user)
        else:
            text = text_of(n)
            subject = text.title
            lines = [text.body, "", _("Open it in SRX: %(link)s", link=link_of(n, user, external=True))]
        greeting = _("Hello %(name)s,", name=user.name or user.email)
        footer = _(
            "You receive this e-mail because of your notification settings in SRX. "
            "To get fewer e-mails or none, change them here: %(link)s",
            link=prefs,
        )
        body = "\n".join([greeting, "", *lines, "", "-- ", footer, ""])
        return mail.Message(
            to=user.email,
            subject=f"SRX: {subject}",
            text=body,
            headers={
                "List-Unsubscribe": f"<{prefs}>",
                "Auto-Submitted": "auto-generated",
                "Content-Language": _locale(user),
                "X-SRX-Notification": str(n.id),
            },
        )


def _digest_lines(session: Session, digest: Notification, user: User) -> tuple[str, list[str]]:
    from .formatting import day
    from .services.notifications import as_date

    p = digest.params or {}
    lines: list[str] = []
    waiting = p.get("waiting") or {}
    if any(waiting.values()):
        lines.append(_("Waiting for you:"))
        labels = {
            "pledges": _("pledges to decide on: %(num)s"),
            "plans": _("plans van aanpak to check: %(num)s"),
            "reports": _("realisation reports to check: %(num)s"),
        }
        for key, label in labels.items():
            if waiting.get(key):
                lines.append("- " + label % {"num": waiting[key]})
        lines.append(_("The queue: %(link)s", link=url_for("officer.queue", _external=True)))
        lines.append("")
    ids = [int(i) for i in p.get("ids") or []]
    if ids:
        lines.append(_("Since your last e-mail:"))
        for n in session.exec(
            select(Notification).where(col(Notification.id).in_(ids)).order_by(col(Notification.id))
        ):
            text = text_of(n)
            lines.append(f"- {text.title}: {text.body}")
            lines.append(f"  {link_of(n, user, external=True)}")
    subject = _("Your summary of %(day)s", day=day(as_date(p.get("date"))))
    return subject, lines
