"""Notifications in the app: who is told of a state change, the bell, the list, read marks, preferences."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Notification
from marketplace.services import approvals
from marketplace.services.approvals import DecisionInput
from marketplace.services.errors import ServiceError
from tests.conftest import World


def _of(world: World, key: str) -> list[Notification]:
    world.session.expire_all()
    uid = world.users[key].id
    return list(world.session.exec(select(Notification).where(Notification.user_id == uid)).all())


def test_a_pledge_tells_the_officers_and_a_decision_tells_the_company(world: World) -> None:
    m = world.pledge()
    assert [n.kind for n in _of(world, "officer_a")] == ["pledge_proposed"]
    assert [n.kind for n in _of(world, "adviser_a")] == ["pledge_proposed"]  # the WSP adviser acts for gov_a
    assert _of(world, "officer_b") == [] and _of(world, "company_a") == []  # not the one who pledged
    world.act(
        approvals.decide,
        actor=world.users["officer_a"],
        decision=DecisionInput(match_id=m.id, outcome="rejected", reason="Geen bewijs van de uren"),
    )
    (told,) = _of(world, "company_a")
    assert told.kind == "pledge_decided"
    assert told.params["outcome"] == "rejected" and told.params["reason"] == "Geen bewijs van de uren"
    assert told.params["reference"] == "A-001" and told.mail_state == "pending"
    assert _of(world, "company_b") == []


def test_an_approval_tells_the_company_and_the_initiative_and_nobody_else(world: World) -> None:
    from tests.conftest import add_user

    # A second, inactive user of the initiative: told nothing.
    gone = add_user(
        world.session,
        "ini-a-gone@test.nl",
        "initiative",
        initiative_id=world.users["initiative_a"].initiative_id,
    )
    gone.active = False
    world.session.add(gone)
    world.session.commit()
    m = world.pledge()
    world.act(
        approvals.decide,
        actor=world.users["officer_a"],
        decision=DecisionInput(match_id=m.id, outcome="approved", reason=""),
    )
    for key in ("company_a", "initiative_a"):
        (told,) = _of(world, key)
        assert (told.kind, told.params["outcome"], told.subject_id) == ("pledge_decided", "approved", m.id)
    for key in ("company_b", "initiative_b", "firm_a", "officer_a"):
        assert [n for n in _of(world, key) if n.kind == "pledge_decided"] == []
    world.session.expire_all()
    assert world.session.exec(select(Notification).where(Notification.user_id == gone.id)).all() == []


def test_a_refused_change_tells_nobody(world: World) -> None:
    m = world.pledge()
    with pytest.raises(ServiceError):  # no reason: refused, the transaction and its notification roll back
        world.act(
            approvals.decide,
            actor=world.users["officer_a"],
            decision=DecisionInput(match_id=m.id, outcome="rejected", reason=""),
        )
    assert _of(world, "company_a") == []


def test_the_bell_counts_and_the_list_marks_read(world: World, client: Any, login_as: Any) -> None:
    for _ in range(2):
        m = world.pledge()
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    login_as(world.users["company_a"])
    page = client.get("/company/").get_data(as_text=True)
    assert 'data-unread="2"' in page and "2 unread" in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert listing.count(">Pledge approved on A-001</a>") == 2
    first = _of(world, "company_a")[0]
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert 'data-unread="1"' in client.get("/notifications").get_data(as_text=True)
    # Someone else's notification is not there to mark.
    other = world.pledge()
    officer_note = _of(world, "officer_a")[-1]
    assert other and client.post(f"/notifications/{officer_note.id}/read").status_code == 404
    assert client.post("/notifications/read-all").status_code == 302
    assert 'data-unread="0"' in client.get("/notifications").get_data(as_text=True)
    assert all(n.read_at is not None for n in _of(world, "company_a"))
    assert _of(world, "officer_a")[-1].read_at is None


def test_empty_list_says_so(world: World, client: Any, login_as: Any) -> None:
    login_as(world.users["company_b"])
    assert "Nothing yet" in client.get("/notifications").get_data(as_text=True)


def test_preferences_form_saves_and_refuses_nonsense(world: World, client: Any, login_as: Any) -> None:
    login_as(world.users["company_a"])
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "A pledge was approved or rejected" in page and "In the daily e-mail" in page
    bad = client.post("/settings/notifications", data={"pledge_decided": "sometimes", "plan_due": "never"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert text.count("Choose one of the options.") >= 2  # every error at once
    ok = client.post("/settings/notifications", data={"pledge_decided": "off", "plan_due": "digest"})
    assert ok.status_code == 302
    m = world.pledge()
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    (told,) = _of(world, "company_a")
    assert told.mail_state == "off"  # still in the app, no mail
    assert 'value="digest" checked' in client.get("/settings/notifications").get_data(as_text=True)


class _Store:
    def put(self, data: bytes) -> str:
        return "x/y/z"

    def delete(self, key: str) -> None:
        pass


def test_reports_and_deliveries_tell_the_other_side(world: World, client: Any, login_as: Any) -> None:
    from marketplace.services import deliveries, reports
    from tests.conftest import PDF

    m = world.pledge()
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    period = reports.contract_periods(world.contract_a)[0]
    report = world.act(
        reports.submit_report,
        actor=world.users["company_a"],
        store=_Store(),
        max_bytes=10_000_000,
        data=reports.ReportInput(
            match_id=m.id or 0,
            period_start=period.start,
            quantity=1,
            files=(reports.EvidenceFile("invoice", "f.pdf", PDF),),
        ),
        today=world.contract_a.award_date,
    )
    (to_check,) = [n for n in _of(world, "officer_a") if n.kind == "report_submitted"]
    assert to_check.params["period_start"] == period.start.isoformat()
    world.act(
        reports.decide_report,
        actor=world.users["officer_a"],
        report_id=report.id,
        accept=False,
        reason="De factuur is onleesbaar",
        today=world.contract_a.award_date,
    )
    world.act(deliveries.confirm_delivery, actor=world.users["initiative_a"], match_id=m.id, note="Gedaan")
    kinds = {n.kind: n for n in _of(world, "company_a")}
    assert kinds["report_checked"].params["outcome"] == "rejected"
    assert kinds["report_checked"].params["reason"] == "De factuur is onleesbaar"
    assert kinds["delivery_confirmed"].params["initiative"] == "Voedselbank Aastad"
    login_as(world.users["officer_a"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "Realisation report to check on A-001" in page
    assert f"/officer/contracts/{world.contract_a.id}/reports" in page
    login_as(world.users["company_a"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "Realisation report rejected on A-001" in page and "Reason: De factuur is onleesbaar" in page
    assert "Voedselbank Aastad confirmed that “Chauffeurs” was received." in page


def test_a_pledge_without_a_need_is_named_by_its_block_in_the_readers_language(app: Any) -> None:
    from flask_babel import force_locale

    from marketplace.notifications import text_of

    n = Notification(
        user_id=1,
        kind="pledge_decided",
        subject_type="match",
        subject_id=1,
        params={
            "reference": "A-001",
            "what": "",
            "outcome": "approved",
            "value_cents": 5_000_000,
            "block": {"nl": "Werkplek voor een kandidaat", "en": "Job for a candidate"},
        },
    )
    with app.test_request_context():
        with force_locale("nl"):
            assert text_of(n).body.startswith("“Werkplek voor een kandidaat” (€\xa050.000,00) is goedgekeurd")
        with force_locale("en"):
            assert text_of(n).body.startswith("“Job for a candidate” (€50,000.00) was approved")
