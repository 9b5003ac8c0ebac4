"""The monitoring export format (docs/monitoring-format.md): `srx export monitoring` writes a document the
JSON Schema accepts, `srx import monitoring` stores it in another instance in one transaction, and exporting
that instance gives the same document back. A bad file is one line, exit status 1, and stores nothing."""

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from marketplace import create_app
from marketplace.cli import main
from marketplace.models import Contract, Match
from marketplace.monitoring import schema, validate
from marketplace.services import approvals, reports, settlements
from tests.conftest import PDF, TEST_POLICY, World, add_government


def _fill(world: World, store: Any) -> None:
    """gov_a: a contract with an approved, reported and accepted contribution and an open pledge; a
    contract that ended short and was settled."""
    done = world.pledge(quantity=10)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=done.id)
    world.pledge(quantity=3)
    report = world.act(
        reports.submit_report,
        actor=world.users["company_a"],
        store=store,
        max_bytes=10_000_000,
        today=date(2026, 1, 15),
        data=reports.ReportInput(
            match_id=done.id or 0,
            period_start=date(2026, 1, 1),
            quantity=4,
            files=(reports.EvidenceFile("invoice", "factuur.pdf", PDF),),
        ),
    )
    world.act(reports.decide_report, actor=world.users["officer_a"], report_id=report.id, accept=True)
    ended = Contract(
        reference="A-ENDED",
        government_id=world.gov_a.id or 0,
        company_id=world.company_a.id or 0,
        title="Afgelopen",
        sum_cents=100_000_000,
        award_date=date(2024, 1, 1),
        end_date=date(2025, 12, 31),
        table_id=world.table_a.id or 0,
        policy=TEST_POLICY.as_dict(),
        status="settlement",
    )
    world.session.add(ended)
    world.session.commit()
    world.act(
        settlements.settle,
        actor=world.users["officer_a"],
        data=settlements.SettlementInput(
            contract_id=ended.id or 0, kind="financial", reason="tekort", method="withhold"
        ),
    )


def _export(app: Any, slug: str = "gov-a") -> Any:
    return app.test_cli_runner().invoke(main, ["export", "monitoring", "--government", slug])


@pytest.fixture
def other_app(app_config: dict[str, Any], sqlite_template: Path, tmp_path: Path) -> Any:
    """A second, empty instance that knows gov-a and its valuation table (version 1), nothing else."""
    target = tmp_path / "other.sqlite3"
    shutil.copyfile(sqlite_template, target)
    other = create_app({**app_config, "DATABASE_URL": f"sqlite:///{target}"})
    with Session(other.extensions["srx.engine"]) as session:
        add_government(session, "gov-a", "Gemeente Aastad", "Aastad")
        session.commit()
    yield other
    other.extensions["srx.engine"].dispose()


def _counts(app: Any) -> tuple[int, int]:
    with Session(app.extensions["srx.engine"]) as session:
        return (
            session.exec(select(func.count()).select_from(Contract)).one(),
            session.exec(select(func.count()).select_from(Match)).one(),
        )


def test_export_import_round_trip(
    app: Any, world: World, evidence_store: Any, other_app: Any, tmp_path: Path
) -> None:
    _fill(world, evidence_store)
    result = _export(app)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    validate(doc)  # the schema accepts what we write
    contracts = {c["reference"]: c for c in doc["contracts"]}
    assert set(contracts) == {"A-001", "A-SMALL", "A-ENDED"}  # gov_b's contract is not in it
    a001 = contracts["A-001"]
    assert [c["status"] for c in a001["contributions"]] == ["approved", "proposed"]
    realised = a001["contributions"][0]["realisation"][0]
    assert realised["status"] == "accepted" and realised["evidence"][0]["sha256"]
    assert a001["totals"]["verified_cents"] == realised["value_cents"] > 0
    assert contracts["A-ENDED"]["settlements"][0]["method"] == "withhold"

    path = tmp_path / "gov-a.json"
    path.write_text(result.output, encoding="utf-8")
    imported = other_app.test_cli_runner().invoke(main, ["import", "monitoring", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "imported 3 contracts, 2 contributions, 1 reports, 1 settlements" in imported.output
    again = json.loads(_export(other_app).output)
    doc.pop("exported_at"), again.pop("exported_at")
    for mine, theirs in zip(doc["contracts"], again["contracts"], strict=True):
        for m, t in zip(mine["contributions"], theirs["contributions"], strict=True):
            for key in m:
                assert m[key] == t[key], (key, m[key], t[key])
        for key in mine:
            assert mine[key] == theirs[key], (mine["reference"], key, mine[key], theirs[key])
    assert again == doc
    # The same file a second time: refused, nothing stored twice.
    twice = other_app.test_cli_runner().invoke(main, ["import", "monitoring", str(path)])
    assert (
        twice.exit_code == 1 and "exists already" in twice.output and "Nothing was imported" in twice.output
    )
    assert _counts(other_app) == (3, 2)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (
            lambda d: d["contracts"][0].update(sum_cents=-1),
            "contracts[0].sum_cents: -1 is less than the minimum",
        ),
        (lambda d: d["contracts"][0].pop("reference"), "'reference' is a required property"),
        (
            lambda d: d["contracts"][0].update(status="finished"),
            "contracts[0].status: 'finished' is not one of",
        ),
        (lambda d: d.update(version=2), "version: 1 was expected"),
        (lambda d: d["government"].update(slug="nergens"), "no government 'nergens'"),
        (lambda d: d["contracts"][1].update(valuation_table_version=9), "no valuation table version 9"),
        (lambda d: d["contracts"][0]["contributions"][1].update(block="vliegen"), "vliegen is not in"),
    ],
)
def test_a_bad_file_is_one_line_and_stores_nothing(
    app: Any, world: World, evidence_store: Any, other_app: Any, tmp_path: Path, change: Any, needle: str
) -> None:
    _fill(world, evidence_store)
    doc = json.loads(_export(app).output)
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = other_app.test_cli_runner().invoke(main, ["import", "monitoring", str(path)])
    assert result.exit_code == 1 and needle in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert _counts(other_app) == (0, 0)  # contract 0 was fine, and it is not stored either


def test_not_json_unknown_file_and_unknown_government(app: Any, world: World, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{nope", encoding="utf-8")
    runner = app.test_cli_runner()
    for args in (
        ["import", "monitoring", str(path)],
        ["import", "monitoring", str(tmp_path / "missing.json")],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    result = _export(app, "nergens")
    assert result.exit_code == 1 and "no government with the slug 'nergens'" in result.output


def test_the_schema_is_a_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema())
