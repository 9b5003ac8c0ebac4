"""The officer's pages: queue, decisions, contracts, registering a contract, eligibility."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import AuditEvent, Contract, Decision, Eligibility, Match
from marketplace.services import approvals
from tests.conftest import World, officer_decides, seen_fields


def text(response: Any) -> str:
    return str(response.get_data(as_text=True)).replace("&#39;", "'")


def has_money(html: str, whole_euros: str) -> bool:
    """'99.000' -> matches the Dutch '99.000,00' or the English '99,000.00'."""
    return f"{whole_euros},00" in html or f"{whole_euros.replace('.', ',')}.00" in html


@pytest.fixture
def officer(client: Any, login_as: Any, world: World) -> Any:
    # The assertions read English messages; Dutch is the default once its catalogue is filled in.
    world.users["officer_a"].locale = "en"
    world.session.add(world.users["officer_a"])
    world.session.commit()
    login_as(world.users["officer_a"])
    return client


def _foreign_match(world: World) -> Match:
    return world.pledge(
        actor=world.users["company_b"], contract_id=world.contract_b.id, need_id=world.need_b.id, quantity=5
    )


def _status(world: World, match_id: int) -> str:
    world.session.expire_all()
    match = world.session.get(Match, match_id)
    assert match is not None
    return match.status


# --- queue -----------------------------------------------------------------------------------------------


def test_queue_shows_own_proposed_matches_oldest_first(officer: Any, world: World) -> None:
    first = world.pledge(quantity=10, note="eerste")
    second = world.pledge(quantity=20, note="tweede")
    _foreign_match(world)
    html = text(officer.get("/officer/"))
    assert '<html lang="en">' in html
    assert f"#{first.id}" in html and f"#{second.id}" in html
    assert html.index("eerste") < html.index("tweede")
    assert "Schoonmaak B B.V." not in html and "Taalmaatjes" not in html
    assert "Chauffeurs" in html and "Voedselbank Aastad" in html and "Bouw A B.V." in html
    assert has_money(html, "1.000")  # 10 hours x EUR 100, shown in the breakdown
    assert f'action="/officer/matches/{first.id}/approve"' in html
    assert f'action="/officer/matches/{first.id}/reject"' in html
    assert f'action="/officer/matches/{first.id}/changes"' in html
    assert "Why this match" in html  # the recommender explains each proposed match


def test_empty_queue_says_so(officer: Any, world: World) -> None:
    _foreign_match(world)
    response = officer.get("/officer/")
    assert response.status_code == 200
    assert 'class="empty"' in text(response)


def test_queue_paginates(officer: Any, world: World) -> None:
    for _ in range(22):
        world.pledge(quantity=1)
    page1, page2 = text(officer.get("/officer/")), text(officer.get("/officer/?page=2"))
    assert page1.count('class="card" id="match-') == 20 and page2.count('class="card" id="match-') == 2
    assert officer.get("/officer/?page=abc").status_code == 200


# --- object-level access ---------------------------------------------------------------------------------


def test_officer_cannot_see_or_act_on_another_governments_match(officer: Any, world: World) -> None:
    foreign = _foreign_match(world)
    assert officer.get(f"/officer/matches/{foreign.id}").status_code == 404
    for action, data in (("approve", {}), ("reject", {"reason": "nee"}), ("changes", {"reason": "anders"})):
        response = officer.post(f"/officer/matches/{foreign.id}/{action}", data=data)
        assert response.status_code == 404
        assert "Taalmaatjes" not in text(response)
    assert _status(world, foreign.id or 0) == "proposed"
    assert world.session.exec(select(Decision)).all() == []
    assert officer.get("/officer/matches/999999").status_code == 404
    assert officer.post("/officer/matches/999999/approve").status_code == 404
    assert officer.get(f"/officer/contracts/{world.contract_b.id}").status_code == 404
    assert officer.get("/officer/contracts/999999").status_code == 404


def test_other_roles_are_refused(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    assert client.get("/officer/").status_code == 403
    login_as(world.users["admin"])
    assert client.get("/officer/contracts").status_code == 403


# --- decisions -------------------------------------------------------------------------------------------


def test_match_page_shows_detail_history_and_actions(officer: Any, world: World) -> None:
    match = world.pledge(quantity=10, note="Vier collega's")
    html = text(officer.get(f"/officer/matches/{match.id}"))
    assert "Vier collega's" in html and "History" in html and "pledged" in html
    assert f"/officer/matches/{match.id}/approve" in html
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id or 0)
    html = text(officer.get(f"/officer/matches/{match.id}"))
    assert f"/officer/matches/{match.id}/approve" not in html  # no decision open any more


def test_reject_without_reason_shows_the_error_and_stores_nothing(officer: Any, world: World) -> None:
    match = world.pledge(quantity=10)
    events_before = len(world.session.exec(select(AuditEvent)).all())
    for reason in ("", "   "):
        response = officer_decides(officer, match.id or 0, "reject", {"reason": reason})
        assert response.status_code == 400
        assert "Give a reason" in text(response)
    response = officer_decides(officer, match.id or 0, "changes", {})
    assert response.status_code == 400 and "Give a reason" in text(response)
    assert _status(world, match.id or 0) == "proposed"
    assert world.session.exec(select(Decision)).all() == []
    assert len(world.session.exec(select(AuditEvent)).all()) == events_before


def test_overlong_reason_is_refused(officer: Any, world: World) -> None:
    match = world.pledge(quantity=10)
    response = officer_decides(officer, match.id or 0, "reject", {"reason": "x" * 5000})
    assert response.status_code == 400 and "too long" in text(response)
    assert _status(world, match.id or 0) == "proposed"


def test_approve_moves_the_remaining_obligation(officer: Any, world: World) -> None:
    match = world.pledge(quantity=10)  # 10 hours x EUR 100 = EUR 1,000
    before = text(officer.get(f"/officer/contracts/{world.contract_a.id}"))
    assert has_money(before, "100.000")
    response = officer_decides(officer, match.id or 0, "approve", {"reason": "Prima"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/officer/")
    assert _status(world, match.id or 0) == "approved"
    after = text(officer.get(f"/officer/contracts/{world.contract_a.id}"))
    assert has_money(after, "99.000")
    decision = world.session.exec(select(Decision)).one()
    assert decision.outcome == "approved" and decision.reason == "Prima"
    assert decision.features is not None and "priority_theme_fit" in decision.features  # what the officer saw


def test_reject_and_changes_with_reason(officer: Any, world: World) -> None:
    rejected, changed = world.pledge(quantity=10), world.pledge(quantity=5)
    assert officer_decides(officer, rejected.id or 0, "reject", {"reason": "Past niet"}).status_code == 302
    assert officer_decides(officer, changed.id or 0, "changes", {"reason": "Meer uren"}).status_code == 302
    assert _status(world, rejected.id or 0) == "rejected"
    assert _status(world, changed.id or 0) == "changes_requested"
    assert sorted(d.outcome for d in world.session.exec(select(Decision)).all()) == [
        "changes_requested",
        "rejected",
    ]


def test_a_second_decision_is_a_conflict_not_an_error(officer: Any, world: World) -> None:
    match = world.pledge(quantity=10)
    old_page = seen_fields(officer, match.id or 0, "reject")
    assert officer_decides(officer, match.id or 0, "approve").status_code == 302
    second = officer.post(f"/officer/matches/{match.id}/reject", data={**old_page, "reason": "toch niet"})
    assert second.status_code == 302 and second.headers["Location"].endswith(f"/officer/matches/{match.id}")
    assert "cannot be changed" in text(officer.get(second.headers["Location"]))
    assert _status(world, match.id or 0) == "approved"
    assert len(world.session.exec(select(Decision)).all()) == 1


@pytest.mark.parametrize(
    "agreed, message",
    [
        ("", "Set the agreed value"),
        ("veel", "Enter an amount"),
        ("-5", "Enter an amount"),
    ],
)
def test_by_agreement_needs_a_valid_agreed_value(
    officer: Any, world: World, agreed: str, message: str
) -> None:
    match = world.pledge(block_code="maatwerk_agreement", need_id=None, quantity=200_000)
    page = text(officer.get(f"/officer/matches/{match.id}"))
    assert 'name="agreed_value"' in page
    response = officer_decides(officer, match.id or 0, "approve", {"agreed_value": agreed})
    assert response.status_code == 400 and message in text(response)
    assert _status(world, match.id or 0) == "proposed"
    assert world.session.exec(select(Decision)).all() == []


def test_by_agreement_approval_sets_the_agreed_value(officer: Any, world: World) -> None:
    match = world.pledge(block_code="maatwerk_agreement", need_id=None, quantity=200_000)
    response = officer_decides(officer, match.id or 0, "approve", {"agreed_value": "1.250,50"})
    assert response.status_code == 302
    world.session.expire_all()
    stored = world.session.get(Match, match.id)
    assert stored is not None and stored.status == "approved" and stored.value_cents == 125_050


def test_insight_reasons_are_shown_and_features_stored(officer: Any, world: World) -> None:
    # The food bank serves poverty reduction (handprint 80), a priority theme of Gemeente Aastad.
    match = world.pledge(quantity=10)
    reason = "Serves 'Poverty reduction', a priority theme of Gemeente Aastad"
    assert reason in text(officer.get("/officer/"))
    assert reason in text(officer.get(f"/officer/matches/{match.id}"))
    assert officer_decides(officer, match.id or 0, "approve").status_code == 302
    decision = world.session.exec(select(Decision)).one()
    assert decision.score is not None and 0 <= decision.score <= 1
    assert decision.features is not None and decision.features["priority_theme_fit"] > 0.5


def test_a_failing_insight_shows_nothing_and_blocks_nothing(
    officer: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.recommendations import insights

    def broken(*_args: Any) -> Any:
        raise RuntimeError("model file missing")

    monkeypatch.setattr(insights, "_insights", broken)
    match = world.pledge(quantity=10)
    html = text(officer.get("/officer/"))
    assert "Why this match" not in html
    assert officer_decides(officer, match.id or 0, "approve").status_code == 302
    assert world.session.exec(select(Decision)).one().features is None


# --- matches list and contracts --------------------------------------------------------------------------


def test_matches_list_filters_by_status(officer: Any, world: World) -> None:
    approved, proposed = world.pledge(quantity=10), world.pledge(quantity=3)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=approved.id or 0)
    _foreign_match(world)
    html = text(officer.get("/officer/matches?status=approved"))
    assert f'/officer/matches/{approved.id}"' in html and f'/officer/matches/{proposed.id}"' not in html
    nonsense = officer.get("/officer/matches?status=nonsense")
    assert nonsense.status_code == 400 and "Choose one of the options." in text(nonsense)
    everything = text(nonsense)
    assert (
        f'/officer/matches/{approved.id}"' in everything and f'/officer/matches/{proposed.id}"' in everything
    )
    assert "B-001" not in everything


def test_contracts_list_shows_own_contracts_with_totals(officer: Any, world: World) -> None:
    world.pledge(quantity=40)
    html = text(officer.get("/officer/contracts"))
    assert "A-001" in html and "A-SMALL" in html and "B-001" not in html
    assert has_money(html, "100.000") and has_money(html, "4.000")  # obligation, pending
    detail = text(officer.get(f"/officer/contracts/{world.contract_a.id}"))
    assert "Bouwblokken Aastad" in detail and "Employee-hour for an initiative" in detail


def _contract_form(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "company_id": str(world.company_b.id),
        "reference": "a-002",
        "title": "Groenonderhoud",
        "sum": "1.500.000,00",
        "labour_component": "",
        "award_date": "2025-06-01",
        "end_date": "2027-06-01",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "raw, cents",
    [
        ("125000", 12_500_000),
        ("125.000", 12_500_000),
        ("1.250.000,50", 125_000_050),
        ("125000,5", 12_500_050),
        ("125000.50", 12_500_050),
        ("€ 2.500", 250_000),
        ("1.5", 150),
        ("", None),
        ("veel", None),
        ("-3", None),
    ],
)
def test_euro_amounts_read_dutch_thousands(raw: str, cents: int | None) -> None:
    from marketplace.views._helpers import euros_to_cents as euro_cents

    assert euro_cents(raw) == cents


def test_register_contract(officer: Any, world: World) -> None:
    assert officer.get("/officer/contracts/new").status_code == 200
    response = officer.post("/officer/contracts/new", data=_contract_form(world))
    assert response.status_code == 302
    contract = world.session.exec(select(Contract).where(Contract.reference == "A-002")).one()
    assert contract.government_id == world.gov_a.id and contract.company_id == world.company_b.id
    assert contract.sum_cents == 150_000_000 and contract.table_id == world.table_a.id
    assert response.headers["Location"].endswith(f"/officer/contracts/{contract.id}")


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"sum": "anderhalf miljoen"}, "Enter an amount"),
        ({"sum": ""}, "required"),
        ({"labour_component": "veel"}, "Enter an amount"),
        ({"company_id": "abc"}, "Choose the company"),
        ({"company_id": "999999"}, "Choose the company"),
        ({"reference": ""}, "required"),
        ({"reference": "X" * 100}, "Too long"),
        ({"title": "t" * 400}, "Too long"),
        ({"award_date": "2025-13-45"}, "YYYY-MM-DD"),
        ({"end_date": "2020-01-01"}, "before the award date"),
        ({"award_date": "2010-01-01"}, "No valuation table"),
        ({"award_date": "1899-01-01"}, "Enter a date between"),
        ({"reference": "A-001"}, "already exists"),
    ],
)
def test_register_contract_bad_input(
    officer: Any, world: World, overrides: dict[str, str], field_message: str
) -> None:
    count = len(world.session.exec(select(Contract)).all())
    response = officer.post("/officer/contracts/new", data=_contract_form(world, **overrides))
    assert response.status_code == 400
    assert field_message in text(response)
    assert len(world.session.exec(select(Contract)).all()) == count


# --- eligibility -----------------------------------------------------------------------------------------


def test_eligibility_lists_all_initiatives_with_status(officer: Any, world: World) -> None:
    html = text(officer.get("/officer/eligibility"))
    for name in ("Voedselbank Aastad", "Fietsfirma Aastad", "Taalcafé Beedorp"):
        assert name in html
    eligible = text(officer.get("/officer/eligibility?status=eligible"))
    assert "Voedselbank Aastad" in eligible and "Taalcafé Beedorp" not in eligible
    not_eligible = text(officer.get("/officer/eligibility?status=not_eligible"))
    assert "Taalcafé Beedorp" in not_eligible and "Voedselbank Aastad" not in not_eligible
    assert "Voedselbank" not in text(officer.get("/officer/eligibility?municipality=Beedorp"))
    searched = text(officer.get("/officer/eligibility?q=fiets"))
    assert "Fietsfirma Aastad" in searched and "Voedselbank Aastad" not in searched
    # Accents and case do not matter (issue 13): "TAALCAFE" finds "Taalcafé Beedorp".
    for q in ("taalcafe", "TAALCAFE", "Taalcafé"):
        assert "Taalcafé Beedorp" in text(officer.get(f"/officer/eligibility?q={q}")), q


def test_admit_and_withdraw(officer: Any, world: World) -> None:
    url = f"/officer/eligibility/{world.ini_b.id}"
    response = officer.post(
        url, data={"eligible": "1", "note": "Actief in Aastad", "next": "/officer/eligibility?q=taal"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/officer/eligibility?q=taal"
    )
    row = world.session.exec(
        select(Eligibility).where(
            Eligibility.government_id == world.gov_a.id, Eligibility.initiative_id == world.ini_b.id
        )
    ).one()
    assert row.active and row.note == "Actief in Aastad"
    response = officer.post(url, data={"eligible": "0", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/officer/eligibility")
    world.session.expire_all()
    assert not world.session.get(Eligibility, row.id).active  # type: ignore[union-attr]
    # gov_b's own decision is untouched
    other = world.session.exec(select(Eligibility).where(Eligibility.government_id == world.gov_b.id)).one()
    assert other.active


def test_eligibility_bad_input(officer: Any, world: World) -> None:
    assert (
        officer.post(f"/officer/eligibility/{world.ini_b.id}", data={"eligible": "maybe"}).status_code == 400
    )
    assert officer.post("/officer/eligibility/999999", data={"eligible": "1"}).status_code == 404
    response = officer.post(
        f"/officer/eligibility/{world.ini_b.id}",
        data={"eligible": "1", "note": "x" * 600},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Too long" in text(response)
    assert (
        world.session.exec(
            select(Eligibility).where(
                Eligibility.government_id == world.gov_a.id, Eligibility.initiative_id == world.ini_b.id
            )
        ).first()
        is None
    )


def test_an_empty_contract_form_names_each_field_in_the_error_summary(officer: Any, world: World) -> None:
    response = officer.post("/officer/contracts/new", data={"csrf_token": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html.split("data-error-summary", 1)[1].split("</ul>", 1)[0]
    # Each line says which field is wrong, not six identical "This field is required." lines.
    assert 'href="#f-reference">Reference: ' in summary
    assert 'href="#f-sum">' in summary and summary.count("<li>") >= 3
    assert len(set(summary.split("<li>")[1:])) == summary.count("<li>")
