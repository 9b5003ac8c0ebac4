"""The recommender's commands: srx decisions export/import, train, evaluate, recommend (through `srx`'s group)."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from marketplace.cli import main
from marketplace.decisions_io import COLUMNS
from marketplace.models import Company, Contract, Decision, Eligibility, HandprintScore, Initiative, Need
from marketplace.search_sync import get_backend, reindex
from marketplace.services import approvals
from tests.conftest import World

N_COMPANIES = 6
GOOD_THEME, OTHER_THEME = "armoedebestrijding", "onderwijs"


def srx(app: Any, *args: str, input: str | bytes | None = None) -> Any:
    """Run `srx ARGS` against the test app (FlaskCliRunner passes it in as the ScriptInfo)."""
    return app.test_cli_runner().invoke(main, list(args), input=input)


def n_decisions(world: World) -> int:
    world.session.expire_all()
    return int(world.session.exec(select(func.count()).select_from(Decision)).one())


def make_history(world: World, tmp_path: Path) -> Path:
    """A decision history in the CSV format, from a stated rule.

    Rule: gov-a's officers approve a pledge when the initiative's handprint serves gov-a's priority theme
    (armoedebestrijding) and reject it otherwise. Six companies, each with a contract at gov-a, pledge hours
    to eight initiatives (four per theme) over 2025: 48 decisions, 24 of each outcome.
    """
    s = world.session
    initiatives: list[tuple[Initiative, Need, bool]] = []
    for i in range(8):
        good = i % 2 == 0
        theme = GOOD_THEME if good else OTHER_THEME
        ini = Initiative(
            slug=f"ini-{i}",
            name=f"Initiatief {i}",
            municipality="Aastad",
            summary=f"Werk aan {theme}",
            description="Vrijwilligers gezocht",
        )
        s.add(ini)
        s.flush()
        need = Need(
            reference=f"n-{i}",
            initiative_id=ini.id or 0,
            kind="hours",
            title=f"Hulp {i}",
            themes=[theme],
            quantity=500,
            unit="hours",
        )
        s.add_all(
            [
                need,
                HandprintScore(initiative_id=ini.id or 0, theme=theme, score=80),
                Eligibility(
                    government_id=world.gov_a.id or 0, initiative_id=ini.id or 0, since=date(2025, 1, 1)
                ),
            ]
        )
        initiatives.append((ini, need, good))
    rows = [",".join(COLUMNS)]
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    for c in range(N_COMPANIES):
        kvk = f"3000000{c}"
        company = Company(
            slug=f"bedrijf-{c}",
            name=f"Bedrijf {c}",
            kvk=kvk,
            city="Aastad",
            profile="Bouw en onderhoud",
            interests=["werk"],
        )
        s.add(company)
        s.flush()
        ref = f"A-1{c:02d}"
        s.add(
            Contract(
                reference=ref,
                government_id=world.gov_a.id or 0,
                company_id=company.id or 0,
                title=f"Opdracht {ref}",
                sum_cents=100_000_000,
                award_date=date(2025, 1, 1),
                end_date=date(2027, 1, 1),
                table_id=world.table_a.id or 0,
                percentage_bp=500,
                threshold_cents=0,
                basis="contract_sum",
                small_contract_rule="none",
            )
        )
        for j, (ini, need, good) in enumerate(initiatives):
            at = start + timedelta(days=10 * c + j, hours=j)
            rows.append(
                f"{at.isoformat()},gov-a,{ref},{kvk},{ini.slug},{need.reference},employee_hour,"
                f"{10 + 5 * j},{'approved' if good else 'rejected'},{'' if good else 'Past niet'}"
            )
    s.commit()
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_export_and_a_bad_file_through_the_cli(app: Any, world: World, tmp_path: Path) -> None:
    history = make_history(world, tmp_path)
    bad = tmp_path / "bad.csv"
    lines = history.read_text(encoding="utf-8").splitlines()
    bad.write_text(
        "\n".join([*lines[:5], lines[5].replace("ini-4", "ini-nope"), lines[6].replace("rejected", "ja")])
        + "\n",
        encoding="utf-8",
    )
    result = srx(app, "decisions", "import", str(bad))
    assert result.exit_code == 1, result.output
    assert "2 of 6 rows are bad; nothing was imported" in result.output
    assert "line 6: unknown initiative 'ini-nope'" in result.output
    assert "line 7: outcome 'ja' must be approved or rejected" in result.output
    assert "Traceback" not in result.output
    assert n_decisions(world) == 0

    result = srx(app, "decisions", "import", "--dry-run", str(history))
    assert result.exit_code == 0 and "48 rows are valid" in result.output and n_decisions(world) == 0
    piped = srx(app, "decisions", "import", "--dry-run", "-", input=b"\xef\xbb\xbf" + history.read_bytes())
    assert piped.exit_code == 0 and "stdin: 48 rows are valid" in piped.output  # stdin, with a BOM
    result = srx(app, "decisions", "import", str(history))
    assert result.exit_code == 0, result.output
    assert "Imported 48 decisions" in result.output and n_decisions(world) == 48

    out = tmp_path / "export.csv"
    result = srx(app, "decisions", "export", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == history.read_text(
        encoding="utf-8"
    )  # already in decided_at order
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []
    stdout = srx(app, "decisions", "export", "-")
    assert stdout.stdout == out.read_text(encoding="utf-8")


def test_train_evaluate_and_recommend(app: Any, world: World, tmp_path: Path) -> None:
    assert srx(app, "decisions", "import", str(make_history(world, tmp_path))).exit_code == 0
    # Two app decisions too, stored without features: training resolves them like the imported ones.
    officer = world.users["officer_a"]
    world.act(approvals.approve_match, actor=officer, match_id=world.pledge().id or 0)
    m = world.pledge(need_id=world.need_money.id, block_code="donation_initiative", quantity=50_000)
    world.act(approvals.reject_match, actor=officer, match_id=m.id or 0, reason="Liever uren")

    result = srx(app, "train", "--kind", "logistic")
    assert result.exit_code == 0, result.output
    model_path = Path(app.config["MODEL_PATH"])
    card = json.loads(model_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert model_path.exists() and card["n_decisions"] == 50 and card["n_companies"] == N_COMPANIES + 1
    assert card["model_type"] == "logistic" and set(card["metrics"]) == {"learned", "prior", "random"}
    assert "NDCG@10" in result.output and "prior" in result.output
    assert ("the app will use it" in result.output) == card["beats_prior"]
    assert not [p for p in model_path.parent.iterdir() if p.name.startswith(".train-")]

    result = srx(app, "evaluate", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["n_decisions"], report["n_companies"]) == (50, N_COMPANIES + 1)
    for name in ("model", "prior", "random"):
        assert set(report[name]) >= {"ndcg@10", "precision@5", "map"}
    # The rule is learnable: the model ranks approvals first on companies it has not seen.
    assert report["model"]["ndcg@10"] > report["random"]["ndcg@10"]
    table = srx(app, "evaluate")
    assert table.exit_code == 0 and "NDCG@10" in table.stdout and "random" in table.stdout

    reindex(world.session, get_backend(app))
    result = srx(app, "recommend", "A-001", "--json", "--limit", "5", "--lang", "en")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["scorer"] in ("model", "prior") and out["contract"] == "A-001"
    suggestions = out["suggestions"]
    assert 1 <= len(suggestions) <= 5 and [s["rank"] for s in suggestions] == list(
        range(1, len(suggestions) + 1)
    )
    assert all(s["reasons"] for s in suggestions)
    top = suggestions[0]["initiative"]["slug"]
    assert top in {"voedselbank-aastad", "ini-0", "ini-2", "ini-4", "ini-6"}  # serves the priority theme
    text = srx(app, "recommend", "A-001", "--limit", "3")
    assert text.exit_code == 0 and " 1  " in text.stdout and "scorer:" in text.stdout


def test_too_few_decisions_is_a_clear_error_and_writes_no_model(app: Any, world: World) -> None:
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=world.pledge().id or 0)
    for args in (["train"], ["evaluate", "--json"]):
        result = srx(app, *args)
        assert result.exit_code == 1
        assert "not enough decisions" in result.output and "at least 20 are needed" in result.output
        assert "Traceback" not in result.output
    assert not Path(app.config["MODEL_PATH"]).exists()


@pytest.mark.parametrize("args", [["recommend", "NOPE-1"], ["train", "--out", "model.pkl"]])
def test_bad_arguments_exit_1_without_a_traceback(app: Any, world: World, args: list[str]) -> None:
    result = srx(app, *args)
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
