"""Reports: the government's, the company's, the annual statements and what an initiative received.

Figures are computed by hand from the test world (tests/conftest.py): contract A-001 of company A at gov A is
EUR 2,000,000 at 5% = EUR 100,000; A-SMALL is below the threshold (one social activity); B-001 of company B
at gov B is EUR 1,000,000 = EUR 50,000. An employee-hour is worth EUR 100.
"""

from datetime import UTC, datetime
from typing import Any

from marketplace.models import Match
from marketplace.services import approvals
from tests.conftest import World


def _approve(world: World, match: Match, when: datetime) -> None:
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id)
    match = world.session.get(Match, match.id)
    match.approved_at = when
    world.session.add(match)
    world.session.commit()


def _seed(world: World) -> None:
    """Gov A: 10 h (EUR 1,000) in 2025 and 30 h (EUR 3,000) in 2026 for the food bank, a EUR 2,000 donation
    in 2026, and one 5 h pledge still proposed (not counted)."""
    _approve(world, world.pledge(quantity=10), datetime(2025, 6, 1, tzinfo=UTC))
    _approve(world, world.pledge(quantity=30), datetime(2026, 2, 1, tzinfo=UTC))
    donation = world.pledge(block_code="donation_initiative", quantity=200_000, need_id=world.need_money.id)
    _approve(world, donation, datetime(2026, 3, 1, tzinfo=UTC))
    world.pledge(quantity=5)


def test_government_report_shows_the_hand_computed_figures(client: Any, login_as: Any, world: World) -> None:
    _seed(world)
    login_as(world.users["officer_a"])
    html = client.get("/officer/report").get_data(as_text=True)
    assert "€100,000.00" in html  # A-001's obligation; A-SMALL adds one activity, no amount
    assert 'id="kpi-committed">€6,000.00<' in html  # 1,000 + 3,000 + 2,000; the proposed 500 does not count
    # By route: everything went to the social domain; by theme: the hours to poverty reduction (the need's theme),
    # the donation too (the need has none, the food bank's handprint says poverty reduction).
    assert "Social-domain contribution" in html and "100%" in html
    # The handprint of what was supported: the food bank's 80 for poverty reduction.
    assert "80/100" in html
    assert 'role="img" aria-labelledby="chart-handprint-title chart-handprint-desc"' in html
    assert "style=" not in html.split("<main", 1)[1].split("</main>")[0]
    html_2026 = client.get("/officer/report?year=2026").get_data(as_text=True)
    assert 'id="kpi-committed">€5,000.00<' in html_2026
    assert 'id="kpi-obligation">€0.00<' in html_2026  # no contract awarded in 2026
    html_2025 = client.get("/officer/report?year=2025").get_data(as_text=True)
    assert 'id="kpi-committed">€1,000.00<' in html_2025
    assert 'id="kpi-obligation">€100,000.00<' in html_2025


def test_the_company_report_and_statement(client: Any, login_as: Any, world: World) -> None:
    _seed(world)
    login_as(world.users["company_a"])
    html = client.get("/company/report").get_data(as_text=True)
    assert 'id="kpi-committed">€6,000.00<' in html
    assert "Gemeente Aastad" in html and "80/100" in html
    statement = client.get("/company/report/2026/statement").get_data(as_text=True)
    assert 'id="st-committed">€5,000.00 (2)<' in statement
    assert "Annual statement of social return 2026" in statement


def test_reports_are_scoped_to_the_callers_own(client: Any, login_as: Any, world: World) -> None:
    _seed(world)
    login_as(world.users["company_b"])
    html = client.get("/company/report").get_data(as_text=True)
    assert 'id="kpi-committed">€0.00<' in html and "Gemeente Aastad" not in html
    login_as(world.users["officer_b"])
    html = client.get("/officer/report").get_data(as_text=True)
    assert 'id="kpi-committed">€0.00<' in html and "A-001" not in html
    assert client.get("/company/report").status_code == 403
    login_as(world.users["company_a"])
    assert client.get("/officer/report").status_code == 403
    assert client.get("/officer/report/2026/statement").status_code == 403


def test_an_initiative_page_shows_what_it_received(client: Any, world: World) -> None:
    _seed(world)
    html = client.get(f"/initiatives/{world.ini_a.slug}").get_data(as_text=True)
    assert 'id="received-committed">€6,000.00<' in html
    assert 'id="received-delivered">€0.00<' in html
