"""Finding 1 of the attack run (issue 10): an approval on a stale view.

An officer opened a pledge at EUR 100; the company resubmitted it at EUR 15,000 after a change request; the
officer submitted the old page and the match was approved at EUR 15,000. Now every decision carries the
version and the value the officer saw (the pages in hidden fields, the API in If-Match with the ETag); a
mismatch says "this pledge changed since you opened it" and stores nothing. Approving asks for a
confirmation that repeats the value, and the officer can undo an approval for APPROVAL_UNDO_MINUTES.
"""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from marketplace import audit_chain
from marketplace.models import AuditEvent, Decision, Match
from marketplace.models._base import utcnow
from marketplace.recommendations import decision_records
from marketplace.services import approvals
from marketplace.services.pledges import PledgeRequest, resubmit_pledge
from tests.conftest import World, officer_decides, seen_fields

CHANGED = "This pledge changed since you opened it"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True)).replace("&#39;", "'")


@pytest.fixture
def officer(client: Any, login_as: Any, world: World) -> Any:
    world.users["officer_a"].locale = "en"
    world.session.add(world.users["officer_a"])
    world.session.commit()
    login_as(world.users["officer_a"])
    return client


def _fresh(world: World, match_id: int) -> Match:
    world.session.expire_all()
    match = world.session.get(Match, match_id)
    assert match is not None
    return match


def _raise_value(world: World, match_id: int) -> None:
    """Meanwhile: a change request (another tab, another officer) and the company resubmits at 99 hours (EUR 9,900; the need has 100)."""
    world.act(
        approvals.request_changes, actor=world.users["adviser_a"], match_id=match_id, reason="Meer uren"
    )
    world.act(
        resubmit_pledge,
        actor=world.users["company_a"],
        match_id=match_id,
        req=PledgeRequest(
            contract_id=world.contract_a.id or 0,
            block_code="employee_hour",
            quantity=99,
            need_id=world.need_hours.id,
        ),
    )
    assert _fresh(world, match_id).value_cents == 990_000


def _stored(world: World, match_id: int) -> tuple[int, int]:
    """Approvals stored and audit events of the match: what a refused decision must leave alone."""
    world.session.expire_all()
    approved = world.session.exec(
        select(Decision).where(Decision.match_id == match_id, Decision.outcome == "approved")
    ).all()
    events = world.session.exec(select(AuditEvent).where(AuditEvent.entity_id == match_id)).all()
    return len(approved), len(events)


# --- the pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("confirmed", [True, False])
def test_the_old_page_does_not_approve_the_new_value(officer: Any, world: World, confirmed: bool) -> None:
    match = world.pledge(quantity=1)  # 1 hour x EUR 100
    old_page = seen_fields(officer, match.id or 0, "approve")
    assert old_page["seen_value"] == "10000"
    _raise_value(world, match.id or 0)
    before = _stored(world, match.id or 0)
    data = {**old_page, "reason": "", **({"confirmed": "yes"} if confirmed else {})}
    response = officer.post(f"/officer/matches/{match.id}/approve", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/officer/matches/{match.id}"
    )
    assert CHANGED in text(officer.get(response.headers["Location"]))
    assert _fresh(world, match.id or 0).status == "proposed"
    assert _stored(world, match.id or 0) == before


@pytest.mark.parametrize("action, data", [("reject", {"reason": "Nee"}), ("changes", {"reason": "Anders"})])
def test_reject_and_changes_on_an_old_page_are_refused_too(
    officer: Any, world: World, action: str, data: dict[str, str]
) -> None:
    match = world.pledge(quantity=1)
    old_page = seen_fields(officer, match.id or 0, action)
    _raise_value(world, match.id or 0)
    decisions = len(world.session.exec(select(Decision)).all())
    response = officer.post(f"/officer/matches/{match.id}/{action}", data={**old_page, **data})
    assert response.status_code == 302
    assert CHANGED in text(officer.get(response.headers["Location"]))
    assert _fresh(world, match.id or 0).status == "proposed"
    world.session.expire_all()
    assert len(world.session.exec(select(Decision)).all()) == decisions


def test_the_value_seen_must_be_the_value_stored(officer: Any, world: World) -> None:
    match = world.pledge(quantity=1)
    fields = {**seen_fields(officer, match.id or 0), "seen_value": "990000", "confirmed": "yes"}
    response = officer.post(f"/officer/matches/{match.id}/approve", data=fields)
    assert CHANGED in text(officer.get(response.headers["Location"]))
    assert _fresh(world, match.id or 0).status == "proposed"


@pytest.mark.parametrize("missing", ["version", "seen_value"])
def test_a_decision_without_what_was_seen_is_refused(officer: Any, world: World, missing: str) -> None:
    match = world.pledge(quantity=1)
    fields = {**seen_fields(officer, match.id or 0), "confirmed": "yes"}
    del fields[missing]
    response = officer.post(f"/officer/matches/{match.id}/approve", data=fields)
    assert response.status_code == 400 and "This page is out of date" in text(response)
    assert _fresh(world, match.id or 0).status == "proposed"
    assert _stored(world, match.id or 0)[0] == 0


def test_the_refusal_speaks_dutch(client: Any, login_as: Any, world: World) -> None:
    world.users["officer_a"].locale = "nl"
    world.session.add(world.users["officer_a"])
    world.session.commit()
    login_as(world.users["officer_a"])
    match = world.pledge(quantity=1)
    old_page = seen_fields(client, match.id or 0)
    _raise_value(world, match.id or 0)
    response = client.post(f"/officer/matches/{match.id}/approve", data={**old_page, "confirmed": "yes"})
    assert "Deze toezegging is gewijzigd sinds u haar opende" in text(
        client.get(response.headers["Location"])
    )


def test_approve_asks_first_and_repeats_value_unit_quantity_company_initiative(
    officer: Any, world: World
) -> None:
    match = world.pledge(quantity=12)  # 12 hours x EUR 100 = EUR 1,200
    response = officer_decides(officer, match.id or 0, "approve", {"reason": "Prima"}, confirm=False)
    html = text(response)
    assert response.status_code == 200 and "Approve this pledge?" in html
    assert "1,200.00" in html and "12 hours" in html
    assert "Bouw A B.V." in html and "Voedselbank Aastad" in html and "A-001" in html
    assert _fresh(world, match.id or 0).status == "proposed"  # nothing stored yet
    assert _stored(world, match.id or 0)[0] == 0
    # The confirmation page's own form approves, with the note typed before.
    start = html.index('id="confirm"')
    hidden = dict(
        __import__("re").findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html[start:])
    )
    assert hidden["confirmed"] == "yes" and hidden["reason"] == "Prima"
    assert officer.post(f"/officer/matches/{match.id}/approve", data=hidden).status_code == 302
    approved = _fresh(world, match.id or 0)
    assert approved.status == "approved" and approved.officer_reason == "Prima"


def test_a_change_between_confirmation_and_confirm_is_refused(officer: Any, world: World) -> None:
    match = world.pledge(quantity=1)
    page = officer_decides(officer, match.id or 0, "approve", confirm=False)
    html = text(page)
    hidden = dict(
        __import__("re").findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">', html[html.index('id="confirm"') :]
        )
    )
    _raise_value(world, match.id or 0)
    response = officer.post(f"/officer/matches/{match.id}/approve", data=hidden)
    assert CHANGED in text(officer.get(response.headers["Location"]))
    assert _fresh(world, match.id or 0).status == "proposed"


# --- undo ----------------------------------------------------------------------------------------------------


def test_undo_within_the_window_withdraws_the_decision(officer: Any, world: World) -> None:
    match = world.pledge(quantity=10)
    assert officer_decides(officer, match.id or 0, "approve").status_code == 302
    queue = text(officer.get("/officer/"))
    assert "Just approved" in queue and f"/officer/matches/{match.id}/undo" in queue
    page = text(officer.get(f"/officer/matches/{match.id}"))
    assert f"/officer/matches/{match.id}/undo" in page
    version = _fresh(world, match.id or 0).version
    response = officer.post(f"/officer/matches/{match.id}/undo", data={"version": str(version)})
    assert response.status_code == 302
    assert "Approval undone" in text(officer.get(response.headers["Location"]))
    undone = _fresh(world, match.id or 0)
    assert undone.status == "proposed" and undone.approved_at is None
    assert [d.outcome for d in world.session.exec(select(Decision).where(Decision.match_id == match.id))] == [
        "approved",
        "withdrawn",
    ]
    # The undone approval is no training data, and the audit chain still holds (the approval row is unchanged).
    assert [r.need_id for r in decision_records(world.session)] == []
    with world.session.get_bind().connect() as conn:  # type: ignore[union-attr]
        assert audit_chain.verify(conn, audit_chain.key_for(conn)).ok
    actions = [
        e.action for e in world.session.exec(select(AuditEvent).where(AuditEvent.entity_id == match.id))
    ]
    assert actions[-2:] == ["match.approved", "match.approval_withdrawn"]
    # Back in the queue: it can be decided again.
    assert f"#{match.id}" in text(officer.get("/officer/"))
    assert officer_decides(officer, match.id or 0, "reject", {"reason": "Toch niet"}).status_code == 302
    assert _fresh(world, match.id or 0).status == "rejected"


def test_undo_restores_the_companys_estimate_of_an_agreed_value(officer: Any, world: World) -> None:
    match = world.pledge(block_code="maatwerk_agreement", need_id=None, quantity=200_000)
    officer_decides(officer, match.id or 0, "approve", {"agreed_value": "1.250,50"})
    assert _fresh(world, match.id or 0).value_cents == 125_050
    officer.post(
        f"/officer/matches/{match.id}/undo", data={"version": str(_fresh(world, match.id or 0).version)}
    )
    undone = _fresh(world, match.id or 0)
    assert undone.status == "proposed" and undone.value_cents == 200_000
    assert undone.breakdown[0]["value_cents"] == 200_000 and not undone.breakdown[0]["params"]["agreed"]


def test_undo_after_the_window_or_by_someone_else_is_refused(
    officer: Any, client: Any, login_as: Any, world: World
) -> None:
    match = world.pledge(quantity=10)
    officer_decides(officer, match.id or 0, "approve")
    version = str(_fresh(world, match.id or 0).version)
    login_as(world.users["adviser_a"])  # another officer of the same government
    response = client.post(f"/officer/matches/{match.id}/undo", data={"version": version})
    assert _fresh(world, match.id or 0).status == "approved"
    login_as(world.users["officer_a"])
    world.session.execute(
        update(Match).where(col(Match.id) == match.id).values(approved_at=utcnow() - timedelta(minutes=11))
    )
    world.session.commit()
    assert f"/officer/matches/{match.id}/undo" not in text(client.get(f"/officer/matches/{match.id}"))
    response = client.post(f"/officer/matches/{match.id}/undo", data={"version": version})
    assert "can be undone only within 10 minutes" in text(client.get(response.headers["Location"]))
    assert _fresh(world, match.id or 0).status == "approved"
    world.session.expire_all()
    assert (
        world.session.exec(select(Decision).where(Decision.match_id == match.id)).one().outcome == "approved"
    )


# --- the API -------------------------------------------------------------------------------------------------


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    return body


def test_api_decisions_need_the_etag_the_officer_saw(client: Any, login_as: Any, world: World) -> None:
    match = world.pledge(quantity=1)
    login_as(world.users["officer_a"])
    url = f"/api/v1/matches/{match.id}"
    etag = client.get(url).headers["ETag"]
    assert etag == f'"match-{match.id}-v{match.version}"'
    for headers in ({}, {"If-Match": "*"}):
        body = _problem(client.post(f"{url}/approve", json={}, headers=headers), 428)
        assert "If-Match" in body["detail"]
    _raise_value(world, match.id or 0)
    before = _stored(world, match.id or 0)
    for action, body in (("approve", {}), ("reject", {"reason": "Nee"}), ("changes", {"reason": "Anders"})):
        problem = _problem(client.post(f"{url}/{action}", json=body, headers={"If-Match": etag}), 412)
        assert CHANGED in problem["detail"]
    assert _fresh(world, match.id or 0).status == "proposed"
    assert _stored(world, match.id or 0) == before
    fresh = client.get(url).headers["ETag"]
    assert fresh != etag
    response = client.post(f"{url}/approve", json={}, headers={"If-Match": fresh})
    assert response.status_code == 200 and response.get_json()["value_cents"] == 990_000
    assert response.headers["ETag"] != fresh  # the approval is a new version
