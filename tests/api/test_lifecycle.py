"""The life of a contract through the JSON API: plan van aanpak, realisation with evidence, progress,
settlement; evidence upload refusals; who may see and do what."""

from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from marketplace.models import Contract, Evidence, Match, RealisationReport
from marketplace.models._base import utcnow
from marketplace.services import approvals, reports, settlements
from tests.api.conftest import problem_of
from tests.conftest import PDF, PNG, TEST_POLICY, World


def _contract(world: World, ref: str = "A-LIFE") -> Contract:
    """EUR 130,000 at gov_a: an obligation of EUR 6,500 (65 employee hours); awarded 60 days ago."""
    today = utcnow().date()
    c = Contract(
        reference=ref,
        government_id=world.gov_a.id or 0,
        company_id=world.company_a.id or 0,
        title=ref,
        sum_cents=13_000_000,
        award_date=today - timedelta(days=60),
        end_date=today + timedelta(days=300),
        table_id=world.table_a.id or 0,
        policy=TEST_POLICY.as_dict(),
        plan_due_on=today - timedelta(days=53),
    )
    world.session.add(c)
    world.session.commit()
    return c


def _upload(client: Any, match_id: int, period: date, quantity: int | str, *files: tuple[bytes, str]) -> Any:
    return client.post(
        f"/api/v1/matches/{match_id}/reports",
        data={
            "period_start": period.isoformat(),
            "quantity": str(quantity),
            "kind": "invoice",
            "note": "uren",
            "files": [(BytesIO(data), name) for data, name in files],
        },
        content_type="multipart/form-data",
    )


def _state(api: Any, ref: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/contracts/{ref}/progress")
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _approved_match(world: World, c: Contract, hours: int = 65) -> Match:
    from marketplace.services.pledges import PledgeRequest, create_pledge

    m = world.act(
        create_pledge,
        actor=world.users["company_a"],
        req=PledgeRequest(
            contract_id=c.id or 0, block_code="employee_hour", quantity=hours, need_id=world.need_hours.id
        ),
    )
    return world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)


def test_one_contract_from_plan_to_settlement(world: World, api: Any, client: Any, login_as: Any) -> None:
    c = _contract(world)
    ref = c.reference
    login_as(world.users["company_a"])
    plan = api.get(f"/api/v1/contracts/{ref}/plan").get_json()
    assert plan["status"] is None and plan["overdue"] is True and plan["due_on"] == c.plan_due_on.isoformat()
    assert _state(api, ref)["state"] == "plan_due"

    # The company writes the plan, with a pledge that is wrong: the error names the row.
    bad = {"text": "Wij zetten medewerkers in.", "pledges": [{"block": "employee_hour", "quantity": 0}]}
    assert problem_of(api.post(f"/api/v1/contracts/{ref}/plan", bad), 422)["field"] == "pledges[0].quantity"
    body = {
        "text": "Wij zetten medewerkers in bij de voedselbank.",
        "routes": ["social_domain"],
        "pledges": [{"block": "employee_hour", "quantity": 65, "need_id": world.need_hours.id}],
        "placements": [{"target_group": "participatiewet", "persons": 1, "months": 6}],
        "submit": True,
    }
    response = api.post(f"/api/v1/contracts/{ref}/plan", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    plan = response.get_json()
    assert plan["status"] == "submitted" and plan["pledges"][0]["quantity"] == 65
    tag = response.headers["ETag"]

    # The officer: a stale version is refused, a foreign tag too; the right ETag approves.
    login_as(world.users["officer_a"])
    stale = api.post(f"/api/v1/contracts/{ref}/plan/approve", {"version": plan["version"] + 1})
    problem_of(stale, 409)
    problem_of(
        api.post(f"/api/v1/contracts/{ref}/plan/approve", {}, headers={"If-Match": '"plan-0-v1"'}), 412
    )
    response = api.post(f"/api/v1/contracts/{ref}/plan/approve", {}, headers={"If-Match": tag})
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
    problem_of(api.post(f"/api/v1/contracts/{ref}/plan/approve", {}), 409)  # the double submit
    assert _state(api, ref)["state"] == "plan_approved"
    match = world.session.exec(select(Match).where(Match.contract_id == c.id)).one()
    assert match.status == "proposed" and match.value_cents == 650_000

    seen = api.get(f"/api/v1/matches/{match.id}").headers["ETag"]
    assert api.post(f"/api/v1/matches/{match.id}/approve", {}, headers={"If-Match": seen}).status_code == 200
    progress = _state(api, ref)
    assert progress["state"] == "running" and progress["committed_cents"] == 650_000
    assert progress["pace"] in ("on_track", "met") and progress["series"]
    assert {"day", "committed_cents", "verified_cents", "line_cents", "obligation_cents"} == set(
        progress["series"][0]
    )

    # The company reports 40 of the 65 hours with an invoice; the officer accepts.
    login_as(world.users["company_a"])
    period = date.fromisoformat(api.get(f"/api/v1/contracts/{ref}/reports").get_json()["periods"][0]["start"])
    response = _upload(client, match.id or 0, period, 40, (PDF, "factuur.pdf"))
    assert response.status_code == 201, response.get_data(as_text=True)
    report = response.get_json()
    assert report["status"] == "submitted" and report["value_cents"] == 400_000
    assert report["evidence"][0]["content_type"] == "application/pdf"
    download = client.get(report["evidence"][0]["url"])
    assert download.status_code == 200 and download.data == PDF
    assert "no-store" in download.headers["Cache-Control"]
    login_as(world.users["officer_a"])
    problem_of(api.post(f"/api/v1/reports/{report['id']}/accept", {"version": 7}), 409)
    response = api.post(f"/api/v1/reports/{report['id']}/accept", {"version": report["version"]})
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"
    progress = _state(api, ref)
    assert (progress["verified_cents"], progress["reported_cents"]) == (400_000, 400_000)
    realisation = api.get(f"/api/v1/contracts/{ref}/reports").get_json()["contributions"][0]
    assert realisation["verified_cents"] <= realisation["reported_cents"] <= realisation["committed_cents"]

    # The end date passes (the nightly `srx contracts advance`): EUR 2,500 short, so settlement.
    world.session.expire_all()  # the API changed the contract in its own sessions
    world.act(settlements.advance, today=c.end_date + timedelta(days=1))
    progress = _state(api, ref)
    assert progress["state"] == "settlement" and progress["shortfall_cents"] == 250_000
    recovery = (utcnow().date() + timedelta(days=90)).isoformat()
    response = api.post(
        f"/api/v1/contracts/{ref}/settlement",
        {"kind": "recovery", "reason": "Nog drie maanden", "recovery_until": recovery},
        headers={"If-Match": f'"contract-{c.id}-v{progress["version"]}"'},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert _state(api, ref)["state"] == "recovery"
    world.session.expire_all()
    world.act(settlements.advance, today=date.fromisoformat(recovery) + timedelta(days=1))
    progress = _state(api, ref)
    assert progress["state"] == "settlement"
    problem_of(
        api.post(
            f"/api/v1/contracts/{ref}/settlement",
            {"kind": "financial", "reason": "x", "method": "withhold", "version": progress["version"] - 1},
        ),
        409,
    )
    response = api.post(
        f"/api/v1/contracts/{ref}/settlement",
        {"kind": "financial", "reason": "Tekort", "method": "withhold", "version": progress["version"]},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    settled = response.get_json()
    assert (settled["kind"], settled["amount_cents"], settled["method"]) == ("financial", 250_000, "withhold")

    login_as(world.users["company_a"])
    assert _state(api, ref)["state"] == "settled"
    history = api.get(f"/api/v1/contracts/{ref}/settlements").get_json()
    assert [s["kind"] for s in history["items"]] == ["recovery", "financial"]
    assert api.get(f"/api/v1/settlements/{settled['id']}").get_json()["number"] == settled["number"]
    # A settled contract is read-only.
    problem_of(api.post(f"/api/v1/contracts/{ref}/plan", {"text": "nieuw"}), 409)


def _counts(world: World) -> tuple[int, int]:
    world.session.expire_all()
    return (
        world.session.exec(select(func.count()).select_from(RealisationReport)).one(),
        world.session.exec(select(func.count()).select_from(Evidence)).one(),
    )


def _files(app: Any) -> list[Path]:
    root = Path(app.config["EVIDENCE_PATH"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ([(b"", "leeg.pdf")], "empty"),
        ([(b"just text, called a pdf", "factuur.pdf")], "not a PDF, PNG or JPEG"),
        ([(PDF, "goed.pdf"), (b"MZ\x90\x00 an executable", "foto.png")], "not a PDF, PNG or JPEG"),
        ([(PNG + b"\0" * 2_000, "groot.png")], "larger than"),
        ([], "at least one evidence file"),
    ],
)
def test_a_refused_upload_says_why_and_stores_nothing(
    app: Any, world: World, client: Any, login_as: Any, files: list[tuple[bytes, str]], needle: str
) -> None:
    app.config["EVIDENCE_MAX_BYTES"] = 1_000
    c = _contract(world)
    match = _approved_match(world, c)
    login_as(world.users["company_a"])
    before = _counts(world)
    body = problem_of(_upload(client, match.id or 0, c.award_date, 10, *files), 422)
    assert needle in body["detail"] and body["field"] == "files"
    assert _counts(world) == before and _files(app) == []


def test_upload_shape_errors(world: World, api: Any, client: Any, login_as: Any) -> None:
    c = _contract(world)
    match = _approved_match(world, c)
    login_as(world.users["company_a"])
    response = api.post(f"/api/v1/matches/{match.id}/reports", {"period_start": c.award_date.isoformat()})
    problem_of(response, 415)
    assert problem_of(_upload(client, match.id or 0, c.award_date, "tien", (PDF, "a.pdf")), 422)["field"] == (
        "quantity"
    )
    bad_day = client.post(
        f"/api/v1/matches/{match.id}/reports",
        data={"period_start": "gisteren", "quantity": "1", "files": [(BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert problem_of(bad_day, 422)["field"] == "period_start"
    not_a_period = _upload(client, match.id or 0, c.award_date + timedelta(days=1), 1, (PDF, "a.pdf"))
    assert problem_of(not_a_period, 422)["field"] == "period"
    assert _counts(world) == (0, 0)


def test_who_may_see_and_do_what(
    world: World, api: Any, client: Any, login_as: Any, evidence_store: Any
) -> None:
    c = _contract(world)
    match = _approved_match(world, c)
    report = world.act(
        reports.submit_report,
        actor=world.users["company_a"],
        store=evidence_store,
        max_bytes=10_000_000,
        data=reports.ReportInput(
            match_id=match.id or 0,
            period_start=c.award_date,
            quantity=5,
            files=(reports.EvidenceFile("invoice", "f.pdf", PDF),),
        ),
    )
    evidence = world.session.exec(select(Evidence).where(Evidence.report_id == report.id)).one()
    ref = c.reference
    reads = [
        f"/api/v1/contracts/{ref}/progress",
        f"/api/v1/contracts/{ref}/plan",
        f"/api/v1/contracts/{ref}/reports",
        f"/api/v1/contracts/{ref}/settlements",
        f"/api/v1/reports/{report.id}",
        f"/api/v1/evidence/{evidence.id}",
    ]
    # Another company and another government's officer see nothing of it; the adviser of gov_a sees it.
    for user in ("company_b", "officer_b"):
        login_as(world.users[user])
        for url in reads:
            problem_of(api.get(url), 404)
        problem_of(
            api.post(f"/api/v1/contracts/{ref}/plan", {"text": "x"}), 403 if user == "officer_b" else 404
        )
    # The object check comes before the body: another company learns nothing, not even the media type.
    login_as(world.users["company_b"])
    problem_of(api.post(f"/api/v1/matches/{match.id}/reports", {"quantity": 1}), 404)
    problem_of(_upload(client, match.id or 0, c.award_date, 1, (PDF, "a.pdf")), 404)
    login_as(world.users["officer_b"])
    problem_of(api.post(f"/api/v1/reports/{report.id}/accept", {}), 404)
    problem_of(api.post(f"/api/v1/contracts/{ref}/plan/approve", {}), 404)
    login_as(world.users["adviser_a"])
    for url in reads:
        assert api.get(url).status_code == 200, url
    # The company may not decide on its own report, nor settle; an initiative may not read any of it.
    login_as(world.users["company_a"])
    problem_of(api.post(f"/api/v1/reports/{report.id}/accept", {}), 403)
    problem_of(api.post(f"/api/v1/contracts/{ref}/settlement", {"kind": "best_effort", "reason": "x"}), 403)
    login_as(world.users["initiative_a"])
    problem_of(api.get(f"/api/v1/contracts/{ref}/progress"), 403)
    problem_of(api.get(f"/api/v1/evidence/{evidence.id}"), 403)
    client.post("/logout")
    problem_of(api.get(f"/api/v1/contracts/{ref}/progress"), 401)
