"""Every list page runs a fixed number of SQL statements, whatever the number of rows it shows.

Each page is loaded with 1 and with 10 rows of what it lists; both must run exactly the pinned number of
statements (after one warm-up request, so per-process caches such as the approval statistics are filled).
A page that starts loading something per row (an N+1) fails here with the statements it ran.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from marketplace.models import (
    Company,
    Contract,
    Eligibility,
    Initiative,
    Match,
    Supplier,
    SupplierRecognition,
)
from marketplace.services import approvals, reports
from tests.conftest import PDF, QueryCounter, World, add_user


def _pledges(world: World, n: int) -> list[Match]:
    return [world.pledge(quantity=1) for _ in range(n)]


def _contracts(world: World, n: int) -> None:
    for i in range(n):
        world.session.add(
            Contract(
                reference=f"A-{100 + i}",
                government_id=world.gov_a.id or 0,
                company_id=world.company_a.id or 0,
                title=f"Opdracht {i}",
                sum_cents=150_000_000 + i,
                award_date=date(2025, 4, 1),
                end_date=date(2027, 4, 1),
                table_id=world.table_a.id or 0,
                percentage_bp=500,
                threshold_cents=12_500_000,
                basis="contract_sum",
                small_contract_rule="one_social_activity",
            )
        )
    world.session.commit()
    for i, contract in enumerate(world.session.query(Contract).filter(Contract.reference.like("A-1%")).all()):
        if i % 2 == 0:  # half of them with a pledge, so the totals have something to add up
            world.pledge(contract_id=contract.id, quantity=1)


def _initiatives(world: World, n: int) -> None:
    for i in range(n):
        ini = Initiative(slug=f"buurthuis-{i}", name=f"Buurthuis {i}", municipality="Aastad")
        world.session.add(ini)
        world.session.flush()
        if i % 2 == 0:
            world.session.add(
                Eligibility(
                    government_id=world.gov_a.id or 0, initiative_id=ini.id or 0, since=date(2025, 1, 1)
                )
            )
    world.session.commit()


def _users(world: World, n: int) -> None:
    for i in range(n):
        add_user(world.session, f"collega-{i}@test.nl", "company", company_id=world.company_a.id)
    world.session.commit()


def _companies(world: World, n: int) -> None:
    for i in range(n):
        company = Company(slug=f"bedrijf-{i}", name=f"Bedrijf {i}", kvk=f"{20_000_000 + i}")
        world.session.add(company)
        world.session.flush()
        if i % 2 == 0:  # half of them with a user and a contract, so the counts have something to count
            add_user(world.session, f"inkoop-{i}@test.nl", "company", company_id=company.id)
            world.session.add(
                Contract(
                    reference=f"C-{i}",
                    government_id=world.gov_a.id or 0,
                    company_id=company.id or 0,
                    title=f"Opdracht {i}",
                    sum_cents=150_000_000,
                    award_date=date(2025, 4, 1),
                    end_date=date(2027, 4, 1),
                    table_id=world.table_a.id or 0,
                )
            )
    world.session.commit()


def _suppliers(world: World, n: int) -> None:
    for i in range(n):
        supplier = Supplier(kvk=f"{30_000_000 + i}", name=f"Werkbedrijf {i}", kind="sw_company")
        world.session.add(supplier)
        world.session.flush()
        status = "pending" if i % 2 == 0 else "recognised"
        world.session.add(
            SupplierRecognition(
                government_id=world.gov_a.id or 0,
                supplier_id=supplier.id or 0,
                basis="sw_company",
                status=status,
            )
        )
    world.session.commit()


def _approved(world: World, n: int) -> None:
    for m in _pledges(world, n):
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)


class _Store:
    """Evidence files go nowhere: the list pages only read the records."""

    def put(self, data: bytes) -> str:
        return "x/y/z"

    def delete(self, key: str) -> None:
        pass


def _reported(world: World, n: int) -> None:
    """n approved contributions, each with a report and its evidence file."""
    for m in _pledges(world, n):
        world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
        world.act(
            reports.submit_report,
            actor=world.users["company_a"],
            store=_Store(),
            max_bytes=10_000_000,
            data=reports.ReportInput(
                match_id=m.id or 0,
                period_start=reports.contract_periods(world.contract_a)[0].start,
                quantity=1,
                files=(reports.EvidenceFile("invoice", "f.pdf", PDF),),
            ),
            today=world.contract_a.award_date,
        )


def _tokens(world: World, n: int) -> None:
    from marketplace.services import api_tokens

    for i in range(n):
        world.act(
            api_tokens.create_token,
            actor=world.users["company_a"],
            data=api_tokens.TokenInput(name=f"token {i}", scopes=("read",), organisation=i % 2 == 1),
        )


# page -> (who looks, what fills it, the URL, pinned statements). A logged-in page counts one statement for the
# bell in the header (the unread notifications).
Fill = Callable[[World, int], Any]
PAGES: dict[str, tuple[str, Fill, Callable[[World], str], int]] = {
    "catalogue": ("anonymous", _initiatives, lambda w: "/catalogue", 2),
    "catalogue with a query": ("anonymous", _initiatives, lambda w: "/catalogue?q=buurthuis&theme=werk", 2),
    "company dashboard": ("company_a", _contracts, lambda w: "/company/", 8),
    "company pledge chooser": (
        "company_a",
        _contracts,
        lambda w: f"/company/pledge?need={w.need_hours.id}",
        11,
    ),
    "company contract": ("company_a", _pledges, lambda w: f"/company/contracts/{w.contract_a.id}", 22),
    "company realisation": (
        "company_a",
        _reported,
        lambda w: f"/company/contracts/{w.contract_a.id}/realisation",
        18,
    ),
    "officer queue": ("officer_a", _pledges, lambda w: "/officer/", 22),
    "officer reports": (
        "officer_a",
        _reported,
        lambda w: f"/officer/contracts/{w.contract_a.id}/reports",
        17,
    ),
    "officer risk overview": ("officer_a", _contracts, lambda w: "/officer/risk", 10),
    "officer periodic check": ("officer_a", _contracts, lambda w: "/officer/check", 13),
    "officer all pledges": ("officer_a", _pledges, lambda w: "/officer/matches", 12),
    "officer contracts": ("officer_a", _contracts, lambda w: "/officer/contracts", 9),
    "officer eligibility": ("officer_a", _initiatives, lambda w: "/officer/eligibility", 9),
    "initiative dashboard": ("initiative_a", _approved, lambda w: "/initiative/", 13),
    "initiative pledges": ("initiative_a", _pledges, lambda w: "/initiative/pledges", 10),
    "officer report": ("officer_a", _approved, lambda w: "/officer/report", 9),
    "officer report of a year": ("officer_a", _approved, lambda w: "/officer/report?year=2026", 8),
    "officer annual statement": ("officer_a", _approved, lambda w: "/officer/report/2026/statement", 8),
    "company report": ("company_a", _approved, lambda w: "/company/report", 10),
    "company annual statement": ("company_a", _approved, lambda w: "/company/report/2026/statement", 9),
    "initiative page with what it received": (
        "anonymous",
        _approved,
        lambda w: f"/initiatives/{w.ini_a.slug}",
        7,
    ),
    "open data": ("anonymous", _approved, lambda w: "/open-data", 3),
    "open data as JSON": ("anonymous", _approved, lambda w: "/open-data/figures.json", 3),
    "admin users": ("admin", _users, lambda w: "/admin/users", 7),
    "settings api tokens": ("company_a", _tokens, lambda w: "/settings/api-tokens", 3),
    "api contract reports": (
        "company_a",
        _reported,
        lambda w: f"/api/v1/contracts/{w.contract_a.reference}/reports",
        11,
    ),
    "api contract progress": (
        "officer_a",
        _reported,
        lambda w: f"/api/v1/contracts/{w.contract_a.reference}/progress",
        10,
    ),
    "admin governments": ("admin", _contracts, lambda w: "/admin/governments", 7),
    "admin companies": ("admin", _companies, lambda w: "/admin/companies", 6),
    "officer suppliers": ("officer_a", _suppliers, lambda w: "/officer/suppliers", 6),
    "notifications": ("company_a", _approved, lambda w: "/notifications", 4),
}


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("rows", [1, 10])
def test_list_page_statement_count_is_pinned(
    page: str, rows: int, client: Any, login_as: Any, world: World, count_queries: QueryCounter
) -> None:
    who, fill, url_of, pinned = PAGES[page]
    fill(world, rows)
    if who != "anonymous":
        login_as(world.users[who])
    url = url_of(world)
    assert client.get(url).status_code == 200  # warm-up
    with count_queries:
        response = client.get(url)
    assert response.status_code == 200
    assert count_queries.count == pinned, f"{page} with {rows} rows ran {count_queries}"
