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
from tests.views.synthetic_history import add_history

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


# --- srx evaluate on every candidate a contract could be shown ---------------------------------------------


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def test_evaluate_ranks_every_candidate_and_prints_the_interval_and_the_learning_curve(
    app: Any, world: World
) -> None:
    history = add_history(world, 240, seed=3)  # rule A: sector x kind, a priority theme, a size penalty
    result = srx(app, "evaluate", "--json", "--curve")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mode"] == "all candidates shown"
    assert (report["n_decisions"], report["n_contracts"]) == (240, history.n_contracts)
    # Every contract's list is the whole catalogue it could be shown, not its dozen pledges.
    assert report["n_candidates_ranked"] == history.n_contracts * history.n_candidates > 3 * 240
    assert report["n_pledges_not_shown"] == 0 and report["n_queries"] == history.n_contracts
    gain = report["gain"]
    assert gain["low"] <= gain["ndcg@10"] <= gain["high"] and gain["n_boot"] == 1000
    assert report["beats_prior"] == (gain["low"] > 0)
    assert [row["n_decisions"] for row in report["curve"]] == [50, 100, 200]  # 300 needs later decisions

    text = srx(app, "evaluate", "--curve")
    assert text.exit_code == 0, text.output
    assert "every candidate each contract could be shown in today's catalogue" in text.stdout
    assert f"{report['n_candidates_ranked']} candidates ranked" in text.stdout
    assert (
        f"NDCG@10 gain over the prior: {_signed(gain['ndcg@10'])}, 95% interval "
        f"[{_signed(gain['low'])}, {_signed(gain['high'])}] (bootstrap over {report['n_companies']} companies, "
        f"1000 resamples), from 240 decisions on {report['n_queries']} contracts."
    ) in text.stdout
    for name, key in (("model", "model"), ("prior", "prior"), ("random", "random")):
        row = report[key]
        assert (
            f"{name:<8}{row['ndcg@10']:>10.3f}{row['precision@5']:>10.3f}{row['map']:>10.3f}" in text.stdout
        )
    for row in report["curve"]:
        interval = f"{_signed(row['gain'])} [{_signed(row['low'])}, {_signed(row['high'])}]"
        line = (
            f"{row['n_decisions']:>6}{row['learned']:>9.3f}{row['prior']:>9.3f}{row['random']:>9.3f}   "
            f"{interval:<26}{row['n_scored_decisions']} decisions, {row['n_queries']} contracts"
        )
        assert line in text.stdout, line

    trained = srx(app, "train")
    assert trained.exit_code == 0, trained.output
    card = json.loads(Path(app.config["MODEL_PATH"]).with_suffix(".json").read_text(encoding="utf-8"))
    assert card["evaluation"]["mode"] == "all candidates shown" and card["n_decisions"] == 240
    assert card["beats_prior"] == (card["evaluation"]["gain"]["low"] > 0)
    assert ("the app will use it" in trained.stdout) == card["beats_prior"]
    assert "every candidate each contract could be shown" in trained.stdout


def test_without_a_catalogue_to_rank_the_evaluation_says_so_and_ranks_the_pledges(
    app: Any, world: World, tmp_path: Path
) -> None:
    assert srx(app, "decisions", "import", str(make_history(world, tmp_path))).exit_code == 0
    for row in world.session.exec(select(Eligibility)).all():
        row.active = False  # nothing is eligible any more: no contract has candidates today
        world.session.add(row)
    world.session.commit()
    result = srx(app, "evaluate", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mode"] == "pledges"
    assert "the evaluation ranks the pledges of each contract instead" in result.stderr
