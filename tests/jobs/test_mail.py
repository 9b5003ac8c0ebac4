"""Notification mail through the job queue to a real SMTP server: texts, links, retries, reminders, digests."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import select

from marketplace import jobs
from marketplace.models import Notification, NotificationPreference
from marketplace.models._base import utcnow
from marketplace.services import approvals
from tests.conftest import World, add_user
from tests.jobs.conftest import Inbox


def _approve(app: Any, world: World, match_id: int) -> None:
    """The officer approves, with the app's boundary: commit, then the job queue."""
    with app.app_context():
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match_id)


def _notes(world: World, key: str) -> list[Notification]:
    world.session.expire_all()
    uid = world.users[key].id
    return list(world.session.exec(select(Notification).where(Notification.user_id == uid)).all())


def test_an_approval_mails_the_company_in_each_readers_language(app: Any, world: World, inbox: Inbox) -> None:
    dutch = add_user(world.session, "inkoop-a@test.nl", "company", company_id=world.company_a.id, locale="nl")
    world.session.commit()
    m = world.pledge()
    inbox.messages.clear()  # the officers' mails about the new pledge
    _approve(app, world, m.id)
    (english,) = inbox.to("company-a@test.nl")
    (nl,) = inbox.to(dutch.email)
    assert english["Subject"] == "SRX: Pledge approved on A-001"
    assert nl["Subject"] == "SRX: Bijdrage goedgekeurd op A-001"
    assert nl["From"] == "SRX <noreply@srx.example.nl>" and nl["Content-Language"] == "nl"
    assert nl["Auto-Submitted"] == "auto-generated" and nl["Message-ID"] and nl["Date"]
    assert nl["List-Unsubscribe"] == "<https://srx.example.nl/settings/notifications>"
    body = nl.get_content()
    assert "Beste inkoop-a," in body or "Hallo inkoop-a," in body
    assert "“Chauffeurs” (€\xa01.000,00) is goedgekeurd en telt mee voor de verplichting." in body
    assert f"https://srx.example.nl/company/matches/{m.id}" in body
    assert "https://srx.example.nl/settings/notifications" in body.split("-- ")[-1]  # the unsubscribe line
    english_body = english.get_content()
    assert "“Chauffeurs” (€1,000.00) was approved" in english_body
    assert (
        "To get fewer e-mails or none, change them here: https://srx.example.nl/settings/notifications"
        in english_body
    )
    assert all(n.mail_state == "sent" for n in _notes(world, "company_a"))


def test_a_new_pledge_mails_the_governments_officers(app: Any, world: World, inbox: Inbox) -> None:
    with app.app_context():
        m = world.pledge()
    (mail,) = inbox.to("officer-a@test.nl")
    assert mail["Subject"] == "SRX: New pledge to decide on A-001"
    assert f"https://srx.example.nl/officer/matches/{m.id}" in mail.get_content()
    assert inbox.to("officer-b@test.nl") == []  # another government's officer hears nothing


def test_mail_waits_for_the_queue_not_the_request(app: Any, world: World, inbox: Inbox) -> None:
    m = world.pledge()
    inbox.messages.clear()
    jobs.huey.immediate = False
    jobs.huey.storage = jobs.huey.get_immediate_storage()  # a queue in memory that nobody consumes yet
    try:
        _approve(app, world, m.id)
        assert inbox.messages == [] and jobs.huey.pending_count() == 1  # committed, mail queued, not sent
        with app.app_context():
            while (task := jobs.huey.dequeue()) is not None:  # what the consumer does
                jobs.huey.execute(task)
    finally:
        jobs.huey.immediate = True
    # The company's mail, and the officers' of the pledge made outside any request: the rows are the truth,
    # `deliver` sends whatever waits.
    assert "company-a@test.nl" in [m["To"] for m in inbox.messages]
    assert len(inbox.to("company-a@test.nl")) == 1


def _retry_of(n: Notification) -> Any:
    """Take the notification's retry from Huey's schedule, as the consumer's scheduler does when it is due."""
    (retry,) = [t for t in jobs.huey.read_schedule(datetime(9999, 1, 1)) if t.args == (n.id,)]
    return retry


def _run_when_due(task: Any) -> None:
    """Run a scheduled job as the consumer does once its time has come."""
    jobs.huey.execute(task, timestamp=task.eta)


def test_a_refusing_server_is_retried_with_backoff_and_nothing_is_lost(
    app: Any, world: World, inbox: Inbox
) -> None:
    with app.app_context():
        m = world.pledge()
    inbox.messages.clear()
    inbox.mode = "refuse"
    _approve(app, world, m.id)
    (n,) = _notes(world, "company_a")
    assert inbox.messages == []
    assert n.mail_state == "pending" and n.mail_attempts == 1 and "Refused for the test" in n.mail_error
    (waiting,) = [t for t in jobs.huey.scheduled() if t.args == (n.id,)]  # Huey's retry, 30 s later
    assert waiting.name == "send_mail" and waiting.retries == jobs.MAIL_RETRIES - 1
    assert waiting.retry_delay == 2 * jobs.MAIL_RETRY_DELAY  # the next one waits twice as long
    assert waiting.eta > utcnow().replace(tzinfo=None)
    retry = _retry_of(n)
    with app.app_context():
        _run_when_due(retry)  # still refused: back in the schedule, one try fewer
        again = _retry_of(n)
        assert again.retries == jobs.MAIL_RETRIES - 2 and _notes(world, "company_a")[0].mail_attempts == 2
        inbox.mode = "accept"
        _run_when_due(again)
        jobs.deliver.call_local()  # the sweep afterwards sends nothing twice
        assert jobs.send_mail.call_local(n.id) == "skipped"  # nor does a late duplicate of the job
    assert len(inbox.to("company-a@test.nl")) == 1
    (n,) = _notes(world, "company_a")
    assert n.mail_state == "sent" and n.mailed_at is not None


def test_a_hanging_server_times_out_and_the_mail_goes_later(app: Any, world: World, inbox: Inbox) -> None:
    with app.app_context():
        m = world.pledge()
    inbox.messages.clear()
    inbox.mode, inbox.hang_seconds = "hang", 3.0
    _approve(app, world, m.id)  # MAIL_TIMEOUT is 1 s: the job gives up and is rescheduled
    (n,) = _notes(world, "company_a")
    assert n.mail_state == "pending" and "timed out" in n.mail_error.lower()
    with app.app_context():
        assert jobs.deliver.call_local() == 0  # the sweep leaves it to its backoff (next attempt in a minute)
        inbox.mode = "accept"
        _run_when_due(_retry_of(n))
    assert len(inbox.to("company-a@test.nl")) == 1


def test_a_plan_due_tomorrow_is_reminded_once_even_when_the_job_runs_twice(
    app: Any, world: World, inbox: Inbox
) -> None:
    today = date(2026, 3, 9)
    world.contract_a.plan_due_on = today + timedelta(days=1)
    world.contract_a.end_date = date(2029, 12, 31)
    world.session.add(world.contract_a)
    world.session.commit()
    with app.app_context():
        first = jobs.reminders.call_local(today=today.isoformat())
        second = jobs.reminders.call_local(today=today.isoformat())
    assert first.get("plan_due") == 1 and not second.get("plan_due")
    (mail,) = [m for m in inbox.to("company-a@test.nl") if "due tomorrow" in m["Subject"]]
    assert mail["Subject"] == "SRX: Plan van aanpak due tomorrow for A-001"
    assert "by 10 Mar 2026" in mail.get_content()
    assert f"https://srx.example.nl/company/contracts/{world.contract_a.id}" in mail.get_content()
    assert [n.kind for n in _notes(world, "company_a")].count("plan_due") == 1


def test_an_end_date_near_says_what_is_still_open(app: Any, world: World, inbox: Inbox) -> None:
    world.contract_a.end_date = date(2026, 3, 9) + timedelta(days=30)
    world.session.add(world.contract_a)
    world.session.commit()
    with app.app_context():
        jobs.reminders.call_local(today="2026-03-09")
        jobs.reminders.call_local(today="2026-03-10")  # 29 days: the 30-day reminder was sent already
    mails = [m for m in inbox.to("company-a@test.nl") if "ends in" in m["Subject"]]
    assert [m["Subject"] for m in mails] == ["SRX: A-001 ends in 30 days"]
    assert "€100,000.00 of the obligation is still open." in mails[0].get_content()
    assert any("ends in 30 days" in m["Subject"] for m in inbox.to("officer-a@test.nl"))


def test_preference_off_means_no_mail_but_the_bell_still_shows_it(
    app: Any, world: World, inbox: Inbox
) -> None:
    world.session.add(
        NotificationPreference(
            user_id=world.users["company_a"].id or 0, kind="pledge_decided", delivery="off"
        )
    )
    world.session.commit()
    m = world.pledge()
    _approve(app, world, m.id)
    assert inbox.to("company-a@test.nl") == []
    (n,) = _notes(world, "company_a")
    assert n.mail_state == "off" and n.read_at is None


def test_daily_digest_collects_what_was_held_and_what_waits_for_officers(
    app: Any, world: World, inbox: Inbox
) -> None:
    world.session.add(
        NotificationPreference(
            user_id=world.users["company_a"].id or 0, kind="pledge_decided", delivery="digest"
        )
    )
    world.session.add(
        NotificationPreference(
            user_id=world.users["officer_a"].id or 0, kind="pledge_proposed", delivery="digest"
        )
    )
    world.session.commit()
    m1, m2 = world.pledge(), world.pledge()
    _approve(app, world, m1.id)
    assert inbox.to("company-a@test.nl") == [] and inbox.to("officer-a@test.nl") == []
    with app.app_context():
        assert jobs.digests.call_local(today="2026-03-09") >= 2
        assert jobs.digests.call_local(today="2026-03-09") == 0  # once a day
    (digest,) = inbox.to("company-a@test.nl")
    assert digest["Subject"] == "SRX: Your summary of 9 Mar 2026"
    body = digest.get_content()
    assert "Pledge approved on A-001" in body and f"https://srx.example.nl/company/matches/{m1.id}" in body
    assert "settings/notifications" in body.split("-- ")[-1]
    (officer,) = inbox.to("officer-a@test.nl")
    text = officer.get_content()
    assert "pledges to decide on: 1" in text and m2.id  # m1 was approved, m2 waits
    assert "New pledge to decide on A-001" in text  # the held notifications of both pledges
    assert {n.mail_state for n in _notes(world, "company_a") if n.kind == "pledge_decided"} == {"in_digest"}
