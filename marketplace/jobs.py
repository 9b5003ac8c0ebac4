"""The job queue: Huey, with its SQLite storage in the instance folder, or Redis when REDIS_URL is set.

    srx jobs worker            # the consumer: runs queued jobs and the periodic ones (reminders, digests)
    srx jobs run TASK          # run one job now, in this process (advance, deliver, reminders, digests,
                               # search_sync)
    srx jobs status            # what is queued and scheduled, and which mails wait or failed

Requests never send mail or talk to a slow service: they write rows in their transaction (notifications, the
search outbox), and after the commit `enqueue` hands the work to the queue. The rows are the truth, the queue
only the trigger: a periodic sweep picks up whatever a lost trigger or a failed attempt left, so nothing is
lost when Redis, the consumer or the mail server is away for a while.

Tests run the queue in immediate mode (`JOBS_IMMEDIATE=1`, or the app setting): a job runs right where it
is enqueued, in memory, and a failed job's retry lands in Huey's in-memory schedule.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger("srx.jobs")
ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def make_huey() -> Huey:
    """RedisHuey when REDIS_URL is set, else SqliteHuey in the instance folder (JOBS_SQLITE_PATH)."""
    immediate = _bool(os.environ.get("JOBS_IMMEDIATE"))
    name = os.environ.get("JOBS_QUEUE_NAME", "srx")
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url, immediate=immediate, results=False)
    path = Path(os.environ.get("JOBS_SQLITE_PATH", str(ROOT / "instance" / "jobs.sqlite3")))
    if not immediate:
        path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), immediate=immediate, results=False)


huey = make_huey()
_apps: list[Flask] = []


def init_app(app: Flask) -> None:
    """Remember the app for the worker's jobs; the app setting JOBS_IMMEDIATE switches immediate mode on."""
    if app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True
    _apps[:] = [app]
    from .db import on_commit
    from .services.notifications import NOTIFY_TOPIC

    on_commit(app, NOTIFY_TOPIC, lambda _app: enqueue(deliver))


def backend_name() -> str:
    return "immediate" if huey.immediate else ("redis" if isinstance(huey, RedisHuey) else "sqlite")


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app inside a request or command (immediate mode); the worker's app otherwise."""
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if not _apps:
        from . import create_app

        create_app()
    app = _apps[0]
    with app.app_context():
        yield app


def enqueue(task: Any, *args: Any) -> None:
    """Hand a job to the queue; if the queue itself is unreachable, the periodic sweep does it later."""
    try:
        task(*args)
    except Exception:
        log.warning(
            "could not enqueue %s; the periodic sweep will pick the work up", task.name, exc_info=True
        )


def _session(app: Flask) -> Any:
    from sqlmodel import Session

    return Session(app.extensions["srx.engine"], expire_on_commit=False)


# -- mail ---------------------------------------------------------------------------------------------------

# Retries with backoff: 30 s, 1, 2, 4, 8, 16 min; after that the sweep keeps trying (mail_next_at).
MAIL_RETRIES = 6
MAIL_RETRY_DELAY = 30


@huey.task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY, retry_backoff=2, name="send_mail")
def send_mail(notification_id: int) -> str:
    """Send one notification's mail (or a digest); raises on a refusing or hanging server, so Huey retries."""
    from .mailing import send_notification

    with app_context() as app, _session(app) as session:
        return send_notification(app, session, notification_id)


@huey.task(name="deliver")
def deliver() -> int:
    """Queue the mail of every notification that waits for it (new ones, and failed ones whose time came)."""
    from .mailing import due_for_mail

    with app_context() as app, _session(app) as session:
        ids = due_for_mail(session)
    for nid in ids:
        enqueue(send_mail, nid)
    return len(ids)


@huey.periodic_task(crontab(minute="*/5"), name="deliver_sweep")
def deliver_sweep() -> int:
    return deliver.call_local()


# -- reminders and digests ----------------------------------------------------------------------------------


def _today(value: str | None = None) -> date:
    return date.fromisoformat(value) if value else datetime.now().astimezone().date()


@huey.task(name="reminders")
def reminders(today: str | None = None) -> dict[str, int]:
    """Plan due tomorrow or overdue, report due, end date in 60/30/7 days: once each (once keys)."""
    from .reminders import send_reminders

    with app_context() as app, _session(app) as session:
        # Its commit hands the new notifications' mail to `deliver`.
        return send_reminders(session, today=_today(today))


@huey.periodic_task(crontab(minute="0", hour="5"), name="reminders_daily")
def reminders_daily() -> dict[str, int]:
    return reminders.call_local()


@huey.task(name="digests")
def digests(today: str | None = None) -> int:
    """The daily e-mail: what each user chose to get in a digest, and for officers what waits for them."""
    from .reminders import build_digests

    with app_context() as app, _session(app) as session:
        return build_digests(session, today=_today(today))


@huey.periodic_task(crontab(minute="30", hour="5"), name="digests_daily")
def digests_daily() -> int:
    return digests.call_local()


@huey.task(name="advance")
def advance(today: str | None = None) -> dict[str, int]:
    """End dates and recovery dates passed: met or settlement (`srx contracts advance`); tells the company."""
    from .db import unit_of_work
    from .services.settlements import advance as advance_contracts

    with app_context() as app, _session(app) as session, unit_of_work(session):
        return advance_contracts(session, today=_today(today))


@huey.periodic_task(crontab(minute="30", hour="4"), name="advance_nightly")
def advance_nightly() -> dict[str, int]:
    return advance.call_local()


# -- search -------------------------------------------------------------------------------------------------


@huey.task(retries=3, retry_delay=10, retry_backoff=2, name="search_sync")
def search_sync() -> tuple[int, int]:
    """Apply pending search outbox rows (SEARCH_SYNC_QUEUE); rows stay pending while the index is down."""
    from .search_sync import get_backend, sync_pending

    with app_context() as app, _session(app) as session:
        applied, pending = sync_pending(session, get_backend(app), limit=1000)
    return applied, pending


@huey.periodic_task(crontab(minute="*"), name="search_sync_sweep")
def search_sync_sweep() -> tuple[int, int]:
    with app_context() as app:
        if not app.config.get("SEARCH_SYNC_QUEUE"):
            return 0, 0
    return search_sync.call_local()


# What `srx jobs run` accepts.
TASKS: dict[str, Callable[..., Any]] = {
    "advance": advance.call_local,
    "deliver": deliver.call_local,
    "reminders": reminders.call_local,
    "digests": digests.call_local,
    "search_sync": search_sync.call_local,
}


def status(session: Any) -> dict[str, Any]:
    """Queue and mail figures for `srx jobs status`."""
    from sqlalchemy import func
    from sqlmodel import select

    from .models import Notification

    states = dict(
        session.exec(select(Notification.mail_state, func.count()).group_by(Notification.mail_state)).all()
    )
    failed = session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.mail_attempts > 0, Notification.mail_state == "pending")
    ).one()
    try:
        queued, scheduled = huey.pending_count(), huey.scheduled_count()
    except Exception as exc:  # the queue is unreachable: say so
        queued = scheduled = f"unreachable ({exc.__class__.__name__})"
    return {
        "backend": backend_name(),
        "queued": queued,
        "scheduled": scheduled,
        "periodic": sorted(t.name for t in huey._registry.periodic_tasks),
        "mail": states,
        "mail_retrying": int(failed),
    }


def next_attempt(attempts: int) -> timedelta:
    """The sweep's backoff after `attempts` failed sends: 1, 2, 4 ... minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(0, attempts - 1), 360))
