"""Recommendations on the contract page, pledges from them (reviewed first), the planner, and insight for officers."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.models import Decision, Match
from marketplace.recommendations import approval_stats, contract_context, decision_records, reason_text
from marketplace.recommendations.reasons import TEMPLATES
from marketplace.search_sync import get_backend, reindex
from marketplace.services import approvals, pledges
from marketplace.services.errors import ServiceError
from matching import Reason
from matching.features import FEATURE_NAMES, REASON_CODES
from tests.conftest import QueryCounter, World, officer_decides


@pytest.fixture
def indexed(app: Any, db_session: Session, world: World) -> World:
    reindex(db_session, get_backend(app))
    return world


@pytest.fixture
def company(client: Any, login_as: Any, indexed: World) -> Any:
    login_as(indexed.users["company_a"])
    return client


def test_contract_page_recommends_only_eligible_open_needs(company: Any, world: World) -> None:
    html = company.get(f"/company/contracts/{world.contract_a.id}").get_data(as_text=True)
    assert "Recommended for this contract" in html
    assert "Chauffeurs" in html and "Koelcel" in html
    assert "Taalmaatjes" not in html  # ini_b counts for gov_b only
    # Reasons speak of the government's priority theme.
    assert "priority theme of Gemeente Aastad" in html.replace("&#39;", "'")


def test_a_recommended_pledge_shows_its_unit_and_value_and_closes_what_remains(
    company: Any, world: World
) -> None:
    import re

    html = company.get(f"/company/contracts/{world.contract_a.id}").get_data(as_text=True)
    # The need of 100 hours at EUR 100 on a contract that still owes EUR 100,000: not the 100,000 hours the
    # obligation would take, but the 100 the need has open; shown with its unit and what it is worth.
    start = html.index(f'value="need:{world.need_hours.id}"')
    card = html[start : html.index("</form>", start)]
    assert re.search(r'name="quantity"[^>]*value="100"', card)
    worth = card[card.index('id="worth-') :]
    assert ("uren" in worth or "hours" in worth) and ("10.000,00" in worth or "10,000.00" in worth)


def test_recommendations_can_be_narrowed_by_words(company: Any, world: World) -> None:
    html = company.get(f"/company/contracts/{world.contract_a.id}?q=koelcel").get_data(as_text=True)
    assert "Koelcel" in html and "Chauffeurs" not in html


def test_a_bad_narrowing_is_named_beside_its_filter_and_the_page_still_recommends(
    company: Any, world: World
) -> None:
    url = f"/company/contracts/{world.contract_a.id}"
    response = company.get(f"{url}?theme=bogus&need_kind=<script>&q=koelcel")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    # Both bad filters are named at once, beside their fields and in the summary, and nothing is echoed raw.
    assert html.count("Choose one of the options.") >= 4
    assert 'aria-invalid="true"' in html and 'href="#f-theme"' in html and 'href="#f-need_kind"' in html
    assert "<script>" not in html
    # The valid filter still applies: the words narrow the list as without the bad ones.
    assert "Koelcel" in html and "Chauffeurs" not in html
    # A good theme is kept selected.
    good = company.get(f"{url}?theme=werk").get_data(as_text=True)
    assert 'value="werk" selected' in good


def test_pledge_from_a_recommendation_after_reviewing_it(company: Any, world: World) -> None:
    html = company.get(f"/company/contracts/{world.contract_a.id}").get_data(as_text=True)
    assert f'name="target" value="need:{world.need_hours.id}"' in html
    fields = {
        "target": f"need:{world.need_hours.id}",
        "block": "employee_hour",
        "quantity": "25",
        "submission_key": "r1",
    }
    review = company.post(f"/company/contracts/{world.contract_a.id}/pledge/review", data=fields)
    assert review.status_code == 200
    assert world.session.exec(select(Match)).first() is None  # the review stores nothing
    response = company.post(f"/company/contracts/{world.contract_a.id}/pledge", data=fields)
    assert response.status_code == 302
    match = world.session.exec(select(Match)).one()
    assert (match.status, match.value_cents) == ("proposed", 250_000)


def test_plan_covers_what_it_can_within_capacity(company: Any, world: World) -> None:
    html = company.get(f"/company/contracts/{world.contract_a.id}/plan").get_data(as_text=True)
    assert "Plan my obligation" in html and "Submit these pledges" in html
    # 100 hours x EUR 100 + EUR 5,000 + 2 job places: every need is used up to its capacity at most.
    assert 'max="100"' in html and 'max="5000"' in html


def test_submitting_a_plan_creates_all_pledges_in_one_go(company: Any, world: World) -> None:
    data = {
        "row-1-include": "1",
        "row-1-target": f"need:{world.need_hours.id}",
        "row-1-block": "employee_hour",
        "row-1-unit": "hours",
        "row-1-units": "30",
        "row-2-include": "1",
        "row-2-target": f"need:{world.need_money.id}",
        "row-2-block": "donation_initiative",
        "row-2-unit": "euro",
        "row-2-units": "2000",
        "row-3-target": f"need:{world.need_places.id}",
        "row-3-block": "participatiewet",
        "row-3-unit": "persons",
        "row-3-units": "1",
    }  # not ticked: left out
    response = company.post(f"/company/contracts/{world.contract_a.id}/plan", data=data)
    assert response.status_code == 302
    values = sorted(m.value_cents for m in world.session.exec(select(Match)).all())
    assert values == [200_000, 300_000]


def test_a_plan_with_one_bad_item_stores_nothing(company: Any, world: World) -> None:
    data = {
        "row-1-include": "1",
        "row-1-target": f"need:{world.need_hours.id}",
        "row-1-block": "employee_hour",
        "row-1-unit": "hours",
        "row-1-units": "30",
        "row-2-include": "1",
        "row-2-target": f"need:{world.need_hours.id}",
        "row-2-block": "employee_hour",
        "row-2-unit": "hours",
        "row-2-units": "80",
    }  # 30 + 80 > 100 open hours
    response = company.post(f"/company/contracts/{world.contract_a.id}/plan", data=data)
    assert response.status_code == 400
    assert "Pledge 2 of the plan" in response.get_data(as_text=True)
    assert world.session.exec(select(Match)).all() == []


def test_plan_service_refuses_an_ineligible_initiative(world: World) -> None:
    with pytest.raises(ServiceError):
        world.act(
            pledges.create_plan,
            actor=world.users["company_a"],
            contract_id=world.contract_a.id,
            items=[
                pledges.PledgeRequest(
                    contract_id=0, block_code="employee_hour", quantity=5, need_id=world.need_b.id
                )
            ],
        )
    assert world.session.exec(select(Match)).all() == []


def test_recommendations_api_is_for_the_company_and_its_officers(
    client: Any, login_as: Any, indexed: World
) -> None:
    w = indexed
    url = f"/api/v1/contracts/{w.contract_a.reference}/recommendations?limit=3"
    for who, status in (
        ("company_a", 200),
        ("officer_a", 200),
        ("company_b", 404),
        ("officer_b", 404),
        ("initiative_a", 403),
    ):
        login_as(w.users[who])
        response = client.get(url)
        assert response.status_code == status, who
    login_as(w.users["company_a"])
    body = client.get(url).get_json()
    assert 1 <= len(body["recommendations"]) <= 3 and body["scorer"] == "prior"
    first = body["recommendations"][0]
    assert 0 <= first["score"] <= 1 and first["reasons"] and first["id"].startswith(("need:", "initiative:"))


def test_officer_sees_why_and_the_decision_keeps_the_features(
    client: Any, login_as: Any, indexed: World
) -> None:
    m = indexed.pledge(quantity=20)
    login_as(indexed.users["officer_a"])
    html = client.get(f"/officer/matches/{m.id}").get_data(as_text=True)
    assert "Why this match" in html
    officer_decides(client, m.id or 0, "approve", {"reason": ""})
    decision = indexed.session.exec(select(Decision)).one()
    assert decision.features and set(decision.features) >= {"priority_theme_fit", "approval_rate"}
    assert decision.score is not None and 0 <= decision.score <= 1


def test_a_mismatched_model_file_falls_back_to_the_prior(
    app: Any, company: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(app.config["MODEL_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a model")
    path.with_suffix(".json").write_text("{}")
    response = company.get(f"/api/v1/contracts/{world.contract_a.reference}/recommendations")
    assert response.status_code == 200 and response.get_json()["scorer"] == "prior"
    assert "falling back to the prior" in caplog.text


# --- the history features' inputs: the need's kind, the company's sector, every government's decisions ------


def _decide(world: World, who: str, officer: str, approve: bool = True, **pledge: Any) -> None:
    m = world.pledge(actor=world.users[who], **pledge)
    if approve:
        world.act(approvals.approve_match, actor=world.users[officer], match_id=m.id)
    else:
        world.act(approvals.reject_match, actor=world.users[officer], match_id=m.id, reason="Past niet")


def _set_sector(world: World, **sectors: str) -> None:
    for name, sector in sectors.items():
        company = getattr(world, name)
        company.sector = sector
        world.session.add(company)
    world.session.commit()


def test_decision_records_carry_the_need_kind_and_the_company_sector_in_a_fixed_number_of_statements(
    world: World, count_queries: QueryCounter
) -> None:
    _set_sector(world, company_a="F", company_b="Schoonmaak")  # free text from before: unknown
    _decide(world, "company_a", "officer_a")  # 10 hours of need_hours
    _decide(
        world,
        "company_a",
        "officer_a",
        approve=False,
        need_id=None,
        initiative_id=world.firm_a.id,
        block_code="purchase_social_firm",
        quantity=100_000,
    )
    _decide(world, "company_b", "officer_b", contract_id=world.contract_b.id, need_id=world.need_b.id)
    with count_queries:
        records = decision_records(world.session)
    assert [(r.initiative_slug, r.need_kind, r.company_sector, r.approved) for r in records] == [
        ("voedselbank-aastad", "hours", "F", True),
        ("fietsfirma-aastad", "purchase", "F", False),  # a social firm without a need: a purchase
        ("taalcafe-beedorp", "hours", "", True),
    ]
    assert records[0].need_id == world.need_hours.id and records[1].need_id is None
    few = count_queries.count
    for _ in range(6):
        _decide(world, "company_a", "officer_a", quantity=1)
    with count_queries:
        assert len(decision_records(world.session)) == 9
    assert count_queries.count == few == 4, count_queries  # decisions, needs, companies, social firms


def test_company_and_sector_rates_pool_every_government_and_follow_a_decision_anywhere(world: World) -> None:
    _set_sector(world, company_a="F", company_b="f")
    ctx = contract_context(world.session, world.contract_a)
    assert ctx.company_sector == "F"
    later = ctx.as_of + timedelta(days=1)

    def sector_counts() -> tuple[int, int]:
        rates = approval_stats(world.session).group_rates(
            ctx.company_key, ctx.company_sector, "kind", ["hours"], later
        )
        return int(rates.sector_approved[0]), int(rates.sector_n[0])

    _decide(world, "company_b", "officer_b", contract_id=world.contract_b.id, need_id=world.need_b.id)
    assert sector_counts() == (1, 1)  # gov-b's decision speaks for a construction company at gov-a
    _decide(
        world,
        "company_b",
        "officer_b",
        approve=False,
        contract_id=world.contract_b.id,
        need_id=world.need_b.id,
    )
    assert sector_counts() == (1, 2)  # the cached index noticed a decision at the other government


# --- reasons in plain words --------------------------------------------------------------------------------

REASON_PARAMS: dict[str, dict[str, Any]] = {
    "priority_theme": {"theme": "werk", "government": "Gemeente Aastad", "score": 80},
    "company_interest": {"theme": "werk", "score": 80},
    "text_fit": {"pct": 40},
    "distance": {"km": 3.5},
    "fills_share": {"pct": 40, "ratio": 0.4, "value_cents": 4_000_000},
    "overshoot": {"pct": 250, "ratio": 2.5, "value_cents": 25_000_000},
    "route_preference": {"route": "paid_work", "rank": 1, "government": "Gemeente Aastad"},
    "search_relevance": {"pct": 90},
    "approval_rate": {"approved": 3, "n": 4, "pct": 75, "government": "Gemeente Aastad"},
    "company_kind_rate": {"approved": 4, "n": 5, "pct": 80, "kind": "internship"},
    "sector_kind_rate": {"approved": 9, "n": 10, "pct": 90, "kind": "hours", "sector": "F"},
    "company_route_rate": {"approved": 3, "n": 3, "pct": 100, "route": "social_domain"},
    "sector_route_rate": {"approved": 7, "n": 8, "pct": 88, "route": "paid_work", "sector": "Q"},
    "need_kind": {"kind": "job"},
    "route_kind": {"route": "labour_participation"},
}


def test_every_reason_the_library_gives_has_a_sentence_for_both_readers_in_both_languages(app: Any) -> None:
    assert set(REASON_CODES.values()) == set(REASON_PARAMS) <= set(TEMPLATES)
    for lang in ("en", "nl"):
        with app.test_request_context(f"/?lang={lang}"):
            for code, params in REASON_PARAMS.items():
                for contribution in (0.5, -0.5):
                    for officer in (False, True):
                        text = reason_text(Reason(code, params, contribution), for_officer=officer)
                        assert "?" not in text and "%(" not in text, (lang, code, text)
                        assert text != Reason(code, params, contribution).text or lang == "en"


@pytest.mark.parametrize(
    "lang, code, contribution, officer, expected",
    [
        (
            "en",
            "sector_kind_rate",
            0.6,
            False,
            "Officers approved 9 of 10 pledges of the kind 'Hours' from companies in your sector (Construction)",
        ),
        (
            "nl",
            "sector_kind_rate",
            0.6,
            False,
            "Van de 10 bijdragen van de soort 'Uren' van bedrijven in uw sector (Bouwnijverheid) keurden adviseurs "
            "er 9 goed",
        ),
        (
            "en",
            "sector_kind_rate",
            -0.6,
            True,
            "Officers approved only 9 of 10 pledges of the kind 'Hours' from companies in the company's sector "
            "(Construction)",
        ),
        (
            "en",
            "sector_route_rate",
            0.6,
            True,
            "Officers approved 7 of 8 contributions by way of 'Paid work' from companies in the company's sector "
            "(Human health and social work)",
        ),
        (
            "nl",
            "sector_route_rate",
            0.6,
            False,
            "Van de 8 bijdragen via 'Betaald werk' van bedrijven in uw sector (Gezondheids- en welzijnszorg) "
            "keurden adviseurs er 7 goed",
        ),
        (
            "en",
            "company_kind_rate",
            0.6,
            False,
            "Officers approved 4 of your 5 earlier pledges of the kind 'Internship'",
        ),
        (
            "en",
            "company_route_rate",
            -0.6,
            True,
            "Officers approved only 3 of the company's 3 earlier contributions by way of "
            "'Social-domain contribution'",
        ),
        (
            "en",
            "overshoot",
            -0.9,
            False,
            "Worth 2.5 times what you still owe; officers turn down pledges far above it",
        ),
        (
            "nl",
            "overshoot",
            -0.9,
            False,
            "2,5 keer zoveel waard als uw resterende verplichting; adviseurs wijzen bijdragen ver daarboven af",
        ),
        ("en", "overshoot", 0.2, True, "Fits within what the company still owes"),
        ("en", "fills_share", 0.3, False, "Worth € 40,000, 40% of what you still owe"),
        ("en", "need_kind", 0.3, True, "Officers often approve pledges of the kind 'Job'"),
        ("nl", "route_kind", -0.5, False, "Adviseurs keuren bijdragen via 'Arbeidsparticipatie' zelden goed"),
    ],
)
def test_reasons_name_kinds_routes_and_sectors_in_the_readers_language(
    app: Any, lang: str, code: str, contribution: float, officer: bool, expected: str
) -> None:
    with app.test_request_context(f"/?lang={lang}"):
        text = reason_text(Reason(code, REASON_PARAMS[code], contribution), for_officer=officer)
    assert text.replace("\xa0", " ") == expected


def test_a_need_worth_all_that_is_owed_covers_it_all(app: Any) -> None:
    whole = {"pct": 100, "ratio": 2.5, "value_cents": 25_000_000}
    with app.test_request_context("/?lang=en"):
        assert reason_text(Reason("fills_share", whole, 0.4)) == "Worth € 250,000: covers all you still owe"
        assert reason_text(Reason("fills_share", whole, 0.4), for_officer=True) == (
            "Worth € 250,000: covers all the company still owes"
        )


def test_an_officers_decision_stores_every_feature_with_the_companys_sector_behind_its_rates(
    client: Any, login_as: Any, indexed: World
) -> None:
    w = indexed
    _set_sector(w, company_a="F", company_b="F")
    for _ in range(2):  # another construction company's hours, approved at the other government
        _decide(w, "company_b", "officer_b", contract_id=w.contract_b.id, need_id=w.need_b.id, quantity=5)
    m = w.pledge(quantity=20)
    login_as(w.users["officer_a"])
    officer_decides(client, m.id or 0, "approve", {"reason": ""})
    decision = w.session.exec(select(Decision).where(Decision.match_id == m.id)).one()
    assert decision.features is not None and set(decision.features) == set(FEATURE_NAMES)
    assert decision.features["kind_hours"] == 1.0 and decision.features["route_social_domain"] == 1.0
    everyone = approval_stats(w.session).group_rates("11111111", "", "kind", ["hours"], decision.decided_at)
    assert decision.features["sector_kind_rate"] > everyone.sector[0]  # the sector's 2 of 2 lifted it
    record = [r for r in decision_records(w.session) if r.contract_reference == "A-001"][0]
    assert (record.need_kind, record.company_sector, record.route) == ("hours", "F", "social_domain")
