"""`srx` commands for the recommender: decision history as CSV, training, evaluation, recommendations.

    srx decisions export FILE        approved/rejected decisions as CSV (docs/decisions.md)
    srx decisions import FILE        the same format; all rows are checked first, then stored together
    srx train [--kind] [--out]       fit the scorer from every decision, write it with its model card
    srx evaluate [--json] [--curve]  held-out NDCG@10, precision@5, MAP: model vs prior vs random, the interval
                                     of the model's gain, and with --curve the learning curve
    srx recommend REFERENCE          the ranked candidates for one contract

`marketplace.cli` calls ``register(main)``. Progress goes to stderr, so ``--json`` output stays clean.

Training data. Decisions made in the app carry the features the officer saw. Imported decisions (and app
decisions stored without features) are resolved to a (contract, candidate) pair from today's data with
``recommend.contract_context`` and ``recommend.candidate_for``, sized as pledged, like the officer's insight
panel does; a decision whose contract or initiative no longer exists is skipped and counted.

Evaluation. `srx evaluate` and the gate of `srx train` rank, for every contract, all the candidates the
recommender would offer it (``ShownPools``: eligible open needs and social firms), not only the pledges the
company happened to make. Known limitation: today's catalogue stands in for the one at decision time. A need
that has since closed or been used up is not among them (its decisions count as "not in today's catalogue"),
one added since is, and the contract's remaining obligation is today's.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    # matching (numpy, scikit-learn), SQLAlchemy and the models load inside the commands, not on `srx --help`
    from sqlmodel import Session

    from matching import Candidate, ContractContext, DecisionRecord, ShownCandidates
    from matching.training import TrainingSet

    from .models import BuildingBlock, Contract, Decision, Initiative
    from .recommendations import CandidatePool

MIN_DECISIONS = 20  # usable decisions (stored features or resolved)
MIN_PER_OUTCOME = 5  # approved and rejected each: fewer make the held-out metrics noise
MIN_COMPANIES = 2  # GroupKFold holds out whole companies
MINIMUM = (
    f"at least {MIN_DECISIONS} usable decisions, {MIN_PER_OUTCOME} approved and {MIN_PER_OUTCOME} rejected, "
    f"from at least {MIN_COMPANIES} companies"
)
KINDS = ("auto", "logistic", "hgb")
METRICS = (("ndcg@10", "NDCG@10"), ("precision@5", "P@5"), ("map", "MAP"))


# ---------------------------------------------------------------------------------------------------------
# Training data


def pledged_value(
    unit: str, value_cents: int | None, percentage_bp: int | None, max_months: int | None, quantity: int
) -> int | None:
    """Roughly what a pledge of `quantity` on a block was worth (full-time, full-year for employment)."""
    if quantity <= 0:
        return None
    if unit in ("hour", "day", "internship_year") and value_cents:
        return value_cents * quantity
    if unit == "euro_spent":
        return quantity * (percentage_bp if percentage_bp is not None else 10_000) // 10_000
    if unit == "by_agreement":
        return quantity
    if unit == "fte_year" and value_cents:
        months = min(12, max_months) if max_months else 12
        return value_cents * months // 12 * quantity
    return None


class DecisionResolver:
    """(ContractContext, Candidate) for a decision without stored features, from today's data.

    Known limitation: the contract's remaining obligation, the initiative's handprint, the need's text and
    the company's profile are today's, not those of the day of the decision.
    """

    def __init__(self, session: Session, rows: Mapping[int, Decision] | None = None) -> None:
        self.session = session
        self.rows = rows or {}  # id(record) -> Decision row (block and quantity, which records do not carry)
        self._contracts: dict[str, Contract | None] = {}
        self._initiatives: dict[str, Initiative | None] = {}
        self._ctx: dict[int, ContractContext] = {}
        self._base: dict[tuple[int, int, int | None, str], Candidate | None] = {}
        self._blocks: dict[tuple[int, int, int | None, str], BuildingBlock | None] = {}

    def __call__(self, rec: DecisionRecord) -> tuple[ContractContext, Candidate] | None:
        from sqlmodel import select

        from .models import BuildingBlock, Contract, Initiative, Match, Need
        from .recommendations import candidate_for, contract_context

        s = self.session
        if rec.contract_reference not in self._contracts:
            self._contracts[rec.contract_reference] = s.exec(
                select(Contract).where(Contract.reference == rec.contract_reference)
            ).first()
        contract = self._contracts[rec.contract_reference]
        if contract is None or not rec.initiative_slug:
            return None
        if rec.initiative_slug not in self._initiatives:
            self._initiatives[rec.initiative_slug] = s.exec(
                select(Initiative).where(Initiative.slug == rec.initiative_slug)
            ).first()
        initiative = self._initiatives[rec.initiative_slug]
        if initiative is None:
            return None
        cid = contract.id or 0
        if cid not in self._ctx:
            self._ctx[cid] = contract_context(s, contract)
        ctx = self._ctx[cid]
        if ctx.government != rec.government:
            return None
        row = self.rows.get(id(rec))
        block_code = row.building_block if row is not None else ""
        key = (cid, initiative.id or 0, rec.need_id, block_code)
        if key not in self._base:
            need = s.get(Need, rec.need_id) if rec.need_id else None
            if need is not None and need.initiative_id != initiative.id:
                need = None
            block = (
                s.exec(
                    select(BuildingBlock).where(
                        BuildingBlock.table_id == contract.table_id, BuildingBlock.code == block_code
                    )
                ).first()
                if block_code
                else None
            )
            self._base[key] = candidate_for(
                s, contract, ctx, need=need, initiative=initiative, fallback_block=block, open_units=1
            )
            self._blocks[key] = block
        cand = self._base[key]
        if cand is None:
            return None
        # Size the candidate as pledged, as the officer's insight panel does for the features it stores.
        value: int | None = None
        if row is not None and row.match_id is not None:
            match = s.get(Match, row.match_id)
            value = match.value_cents if match is not None else None
        block = self._blocks.get(key)
        if value is None and row is not None and block is not None:
            value = pledged_value(
                block.unit, block.value_cents, block.percentage_bp, block.max_months, row.quantity
            )
        if value:
            cand = replace(cand, unit_value_cents=value, open_value_cents=value, open_units=1)
        return ctx, cand


class ShownPools:
    """What the recommender would offer a contract (by reference): a ``matching.ShownCandidates`` of every
    eligible open need and social firm in today's catalogue, read from the database (never from a search
    index, whose state would change the figures). None when the contract is gone or nothing is offered.

    The catalogue is loaded once per government, valuation table and route order (``candidate_pool``), and
    each contract gets it with its social firms sized to what it still owes; the evaluation and every point
    of the learning curve ask again, so nothing per contract is kept but its context. Limitation: today's
    catalogue and remaining obligation stand in for those at decision time (module docstring).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._contexts: dict[str, tuple[ContractContext, tuple[int, int, tuple[str, ...]]] | None] = {}
        self._pools: dict[tuple[int, int, tuple[str, ...]], CandidatePool] = {}

    def __call__(self, reference: str) -> ShownCandidates | None:
        from matching import ShownCandidates

        from .recommendations.candidates import open_units_of

        found = self._context(reference)
        if found is None:
            return None
        ctx, key = found
        pool = self._pools[key]
        candidates = []
        for cand in pool.candidates:
            if cand.need_id is None:  # a social firm: any purchase up to what this contract still owes
                units = open_units_of(pool.valuers[cand.id], None, 0, ctx.remaining_cents)
                if units <= 0:
                    continue
                cand = replace(cand, open_units=units, open_value_cents=units * cand.unit_value_cents)
            candidates.append(cand)
        return ShownCandidates(ctx, candidates) if candidates else None

    def _context(self, reference: str) -> tuple[ContractContext, tuple[int, int, tuple[str, ...]]] | None:
        from sqlmodel import select

        from .models import Contract
        from .recommendations import candidate_pool, contract_context
        from .valuation import MAX_CENTS

        if reference in self._contexts:
            return self._contexts[reference]
        s = self.session
        contract = s.exec(select(Contract).where(Contract.reference == reference)).first()
        found = None
        if contract is not None:
            ctx = contract_context(s, contract)
            key = (contract.government_id, contract.table_id, ctx.route_order)
            if key not in self._pools:
                # Social firms are sized per contract above: load them as if everything were still owed.
                unbounded = replace(ctx, remaining_cents=MAX_CENTS)
                self._pools[key] = candidate_pool(s, contract, unbounded, use_search=False)
            found = (ctx, key)
        self._contexts[reference] = found
        return found

    def covered(self, records: Sequence[DecisionRecord]) -> int:
        """How many of the records' contracts have candidates to rank."""
        return sum(1 for ref in {r.contract_reference for r in records} if self(ref) is not None)


@dataclass
class TrainingData:
    ts: TrainingSet
    n_records: int  # approved + rejected decisions in the database
    n_stored: int  # of which with the features shown at decision time
    n_resolved: int  # of which resolved from today's data
    records: list[DecisionRecord] = field(default_factory=list)  # every approved/rejected decision
    resolver: DecisionResolver | None = None  # resolves the records without stored features

    def problems(self) -> list[str]:
        """Why there is too little to train or evaluate on (empty when there is enough)."""
        n = len(self.ts)
        approved = int(self.ts.y.sum())
        companies = len(set(self.ts.groups.tolist()))
        out = []
        if n < MIN_DECISIONS:
            out.append(f"{n} usable decisions, at least {MIN_DECISIONS} are needed")
        if min(approved, n - approved) < MIN_PER_OUTCOME:
            out.append(
                f"{approved} approved and {n - approved} rejected, at least {MIN_PER_OUTCOME} of each "
                "are needed"
            )
        if companies < MIN_COMPANIES:
            out.append(
                f"decisions from {companies} compan{'y' if companies == 1 else 'ies'}, at least "
                f"{MIN_COMPANIES} are needed (evaluation holds out whole companies)"
            )
        return out


def load_training_data(session: Session, *, progress: Callable[[str], None] | None = None) -> TrainingData:
    """Every approved/rejected decision as a training row (stored features, or resolved from today's data)."""
    from sqlmodel import col, select

    from matching import build_training_set

    from .models import Decision
    from .models.audit import not_withdrawn
    from .recommendations import decision_records

    say = progress or (lambda _m: None)
    records = decision_records(session)
    rows = session.exec(
        select(Decision)
        .where(col(Decision.outcome).in_(("approved", "rejected")), not_withdrawn())
        .order_by(col(Decision.decided_at), col(Decision.id))
    ).all()
    by_record: dict[int, Decision] = {}
    if len(rows) == len(records) and all(
        r.contract_reference == d.contract_reference and r.decided_at == d.decided_at
        for r, d in zip(records, rows, strict=True)
    ):
        by_record = {id(r): d for r, d in zip(records, rows, strict=True)}
    n_stored = sum(1 for r in records if r.features is not None)
    to_resolve = len(records) - n_stored
    say(
        f"{len(records)} decisions: {n_stored} with stored features, {to_resolve} to resolve from today's data"
    )
    resolver = DecisionResolver(session, by_record)
    done = [0]

    def resolve(rec: DecisionRecord) -> tuple[ContractContext, Candidate] | None:
        done[0] += 1
        if done[0] % 1000 == 0:
            say(f"  resolved {done[0]} of {to_resolve}")
        return resolver(rec)

    ts = build_training_set(records, resolve)
    return TrainingData(ts, len(records), n_stored, to_resolve, records, resolver)


# ---------------------------------------------------------------------------------------------------------
# Output helpers


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:.3f}"
    return "n/a"


def metrics_table(metrics: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    """Rows model/prior/random, columns NDCG@10, P@5, MAP."""
    lines = [f"{'':<8}" + "".join(f"{label:>10}" for _, label in METRICS)]
    for name, key in (("model", "learned"), ("prior", "prior"), ("random", "random")):
        row = metrics.get(key) or {}
        lines.append(f"{name:<8}" + "".join(f"{_fmt(row.get(k)):>10}" for k, _ in METRICS))
    return lines


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _with_skipped(problems: list[str], data: TrainingData) -> list[str]:
    if data.ts.n_skipped:
        return [
            *problems,
            f"{data.ts.n_skipped} of {data.n_records} decisions were skipped: no initiative, or "
            "their contract or initiative no longer exists",
        ]
    return problems


def _fail(message: str, details: list[str] | None = None) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    for line in details or []:
        click.echo(f"  {line}", err=True)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------------------
# Commands


@click.group("decisions")
def decisions_group() -> None:
    """Officer decisions, the recommender's training data, as CSV (docs/decisions.md)."""


@decisions_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@with_appcontext
def decisions_export(file: str) -> None:
    """Write approved and rejected decisions to FILE ('-' for stdout), oldest first."""
    from .db import get_session
    from .decisions_io import export_decisions

    session = get_session()
    if file == "-":
        with click.open_file("-", "w", encoding="utf-8") as out:
            n = export_decisions(session, out)
        click.echo(f"Exported {n} decisions.", err=True)
        return
    target = Path(file)
    if not target.parent.is_dir():
        _fail(f"folder {target.parent} does not exist")
    # Write next to the target and rename: a failed export leaves no half file behind.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            n = export_decisions(session, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    click.echo(f"Exported {n} decisions to {target}.")


@decisions_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=str))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@with_appcontext
def decisions_import(file: str, dry_run: bool) -> None:
    """Import decisions from FILE ('-' for stdin): every row is checked first; one bad row stores nothing."""
    from .db import unit_of_work
    from .decisions_io import DecisionImportError, import_decisions

    if file == "-":
        with click.open_file("-", "rb") as stream:
            data = stream.read()
    else:
        data = Path(file).read_bytes()
    name = "stdin" if file == "-" else file
    try:
        with unit_of_work() as session:
            result = import_decisions(session, data, dry_run=dry_run, source=name)
    except DecisionImportError as exc:
        _fail(f"{name}: {exc.summary()}.", exc.lines())
        return
    counts = ", ".join(f"{n} {o}" for o, n in result.counts.items())
    if dry_run:
        click.echo(f"{name}: {result.n_rows} rows are valid ({counts}); nothing stored (--dry-run).")
    else:
        click.echo(f"Imported {len(result.decisions)} decisions from {name} ({counts}).")


def _model_path(out: Path | None) -> Path:
    path = Path(out or current_app.config["MODEL_PATH"])
    if path.suffix != ".skops":
        _fail(f"{path}: the model file name must end in .skops (its card is written next to it as .json)")
    return path


def _write_model(model: Any, path: Path) -> Path:
    """save_model into a temporary folder beside `path`, then move card and model into place.

    The card goes first: a worker that reloads between the two moves sees a checksum mismatch once and
    reloads when the model file's time stamp changes a moment later; it never keeps a half-written file.
    """
    from matching import save_model

    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".train-", dir=path.parent))
    try:
        card_tmp = save_model(model, tmpdir / path.name)
        card = path.with_suffix(".json")
        os.replace(card_tmp, card)
        os.replace(tmpdir / path.name, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return card


@click.command("train")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="auto",
    show_default=True,
    help="auto: logistic regression below 2000 decisions, monotone gradient boosting above.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the model (.skops; the card goes next to it as .json). Default: MODEL_PATH.",
)
@with_appcontext
def train_command(kind: str, out: Path | None) -> None:
    """Fit the scorer from every decision, evaluate it (GroupKFold by company) and write it with its card.

    The evaluation ranks every candidate each contract could have been shown (today's catalogue); the app
    uses the model only when the lower bound of the interval of its NDCG@10 gain over the prior is above 0.
    """
    from matching import train

    from .db import get_session

    path = _model_path(out)
    session = get_session()
    data = load_training_data(session, progress=_progress)
    problems = data.problems()
    if problems:
        _fail(f"not enough decisions to train ({MINIMUM}).", _with_skipped(problems, data))
    shown = _shown_pools(session, data)
    _progress(f"Training ({kind}) on {len(data.ts)} decisions ...")
    model, card = train(data.records, data.resolver, shown=shown, kind=kind)
    card["n_stored_features"] = data.n_stored
    card["n_resolved"] = data.n_resolved - data.ts.n_skipped
    card_path = _write_model(model, path)
    ev = card.get("evaluation", {})
    click.echo(
        f"Decisions: {card['n_decisions']} ({card['label_counts']['approved']} approved, "
        f"{card['label_counts']['rejected']} rejected) from {card['n_companies']} companies; "
        f"{data.n_stored} with stored features, {card['n_resolved']} resolved from today's data, "
        f"{card['n_skipped']} skipped."
    )
    click.echo(f"Model: {card['model_type']}; held-out evaluation, {ev.get('folds', 0)} folds: {_lists(ev)}.")
    for line in metrics_table(card.get("metrics", {})):
        click.echo(line)
    gain = ev.get("gain") or {}
    if gain:
        click.echo(
            f"NDCG@10 gain over the prior: {_fmt_signed(gain['ndcg@10'])}, {gain['level']:.0%} interval "
            f"[{_fmt_signed(gain['low'])}, {_fmt_signed(gain['high'])}] (bootstrap over companies), "
            f"from {card['n_decisions']} decisions."
        )
    if model.beats_prior:
        verdict = (
            "The model beats the prior on held-out decisions (the interval's lower bound is above 0): "
            "the app will use it."
        )
    else:
        verdict = (
            "The model does not beat the prior on held-out decisions with confidence (the interval's "
            "lower bound is not above 0): the app keeps using the prior."
        )
    click.echo(verdict)
    click.echo(f"Wrote {path} and {card_path}.")
    configured = Path(current_app.config["MODEL_PATH"])
    if path.resolve() != configured.resolve():
        click.echo(f"Note: the app reads MODEL_PATH={configured}, not this file.")


def _shown_pools(session: Session, data: TrainingData) -> ShownPools | None:
    """The candidates per contract to evaluate on; None (the pledge lists) when no contract has any."""
    shown = ShownPools(session)
    if shown.covered(data.ts.records):
        return shown
    _progress(
        "No contract has candidates in today's catalogue (no eligible open need or social firm): the "
        "evaluation ranks the pledges of each contract instead."
    )
    return None


def _lists(result: Mapping[str, Any]) -> str:
    """What the evaluation ranked, in words."""
    if result.get("mode") == "all candidates shown":
        return (
            f"every candidate each contract could be shown in today's catalogue, "
            f"{result.get('n_queries', 0)} contracts with an approval, {result.get('n_candidates_ranked', 0)} "
            f"candidates ranked; {result.get('n_pledges_not_shown', 0)} pledged candidates are no longer in "
            "the catalogue"
        )
    return (
        f"the pledges of each contract, {result.get('n_queries', 0)} contract lists with 2+ decisions "
        "and an approval"
    )


def _fmt_signed(value: Any) -> str:
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:+.3f}"
    return "n/a"


@click.command("evaluate")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--kind", type=click.Choice(KINDS), default="auto", show_default=True)
@click.option(
    "--curve",
    is_flag=True,
    help="Also show NDCG@10 after 50, 100, 200, 300, 500 and 1,000 decisions (the learning curve).",
)
@with_appcontext
def evaluate_command(as_json: bool, kind: str, curve: bool) -> None:
    """Held-out ranking quality (GroupKFold by company) of the learned model, the prior and random order.

    Each contract's list is every candidate it could be shown in today's catalogue (the pledges of the
    contract when there is no catalogue to rank).
    """
    from matching import evaluate, evaluate_rankings, learning_curve

    from .db import get_session

    session = get_session()
    data = load_training_data(session, progress=_progress)
    problems = data.problems()
    if problems:
        _fail(f"not enough decisions to evaluate ({MINIMUM}).", _with_skipped(problems, data))
    shown = _shown_pools(session, data)
    if shown is not None:
        result = evaluate_rankings(data.records, shown, data.resolver, kind=kind)
    else:
        result = evaluate(data.ts, kind=kind)
    out = {
        "mode": result["mode"],
        "n_decisions": result["n_decisions"],
        "n_companies": result["n_companies"],
        "n_contracts": result["n_contracts"],
        "n_queries": result.get("n_queries", 0),
        "n_skipped": result["n_skipped"],
        "n_stored_features": data.n_stored,
        "label_counts": result["label_counts"],
        "model_type": result["model_type"],
        "folds": result["folds"],
        "cv": result["cv"],
        "k": result["k"],
        "model": result["learned"],
        "prior": result["prior"],
        "random": result["random"],
        "gain": result.get("gain"),
        "beats_prior": result["beats_prior"],
    }
    for key in ("n_candidates_ranked", "n_pledges_not_shown", "n_contracts_without_candidates"):
        if key in result:
            out[key] = result[key]
    if curve:
        _progress("Learning curve ...")
        out["curve"] = learning_curve(data.ts, shown=shown, kind=kind)
    if as_json:
        click.echo(json.dumps(_clean(out), indent=2, sort_keys=True))
        return
    click.echo(
        f"{out['n_decisions']} decisions ({out['label_counts']['approved']} approved, "
        f"{out['label_counts']['rejected']} rejected) from {out['n_companies']} companies, "
        f"{out['n_contracts']} contracts; {out['n_skipped']} skipped."
    )
    click.echo(f"{out['model_type']}, GroupKFold by company, {out['folds']} folds; ranked: {_lists(out)}.")
    for line in metrics_table(result):
        click.echo(line)
    gain = out["gain"] or {}
    if gain:
        click.echo(
            f"NDCG@10 gain over the prior: {_fmt_signed(gain['ndcg@10'])}, {gain['level']:.0%} interval "
            f"[{_fmt_signed(gain['low'])}, {_fmt_signed(gain['high'])}] (bootstrap over "
            f"{out['n_companies']} companies, {gain['n_boot']} resamples), from {out['n_decisions']} "
            f"decisions on {out['n_queries']} contracts."
        )
    click.echo(
        "The model beats the prior (the interval's lower bound is above 0)."
        if out["beats_prior"]
        else "The model does not beat the prior with confidence (the interval's lower bound is not above 0)."
    )
    if curve:
        click.echo("")
        click.echo(
            "Learning curve: fitted on the first N decisions, scored on the contracts that start later "
            "(companies it has not seen)."
        )
        click.echo(_curve_table(out["curve"]))


def _curve_table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "  too few decisions for any point (the first is at 50, and later contracts are needed)."
    lines = [f"{'N':>6}{'model':>9}{'prior':>9}{'random':>9}   {'gain [95% interval]':<26}scored"]
    for r in rows:
        interval = f"{_fmt_signed(r['gain'])} [{_fmt_signed(r['low'])}, {_fmt_signed(r['high'])}]"
        lines.append(
            f"{r['n_decisions']:>6}{_fmt(r['learned']):>9}{_fmt(r['prior']):>9}{_fmt(r['random']):>9}   "
            f"{interval:<26}{r['n_scored_decisions']} decisions, {r['n_queries']} contracts"
        )
    return "\n".join(lines)


@click.command("recommend")
@click.argument("reference")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the suggestions as JSON.")
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default=None,
    help="Language of the reasons (default: the app's default locale).",
)
@with_appcontext
def recommend_command(reference: str, limit: int, as_json: bool, lang: str | None) -> None:
    """The ranked candidates for the contract REFERENCE, with their reasons."""
    from sqlmodel import select

    from .api.serialise import suggestion_json
    from .db import get_session
    from .models import Contract
    from .recommendations import recommend

    session = get_session()
    contract = session.exec(select(Contract).where(Contract.reference == reference.strip())).first()
    if contract is None:
        _fail(f"no contract with reference {reference!r}.")
        return
    locale = lang or current_app.config.get("BABEL_DEFAULT_LOCALE", "nl")
    # Reasons are translated with the request's locale: give them one.
    with current_app.test_request_context(f"/?lang={locale}"):
        result = recommend(session, contract, limit=limit)
        suggestions = [suggestion_json(s) for s in result.suggestions]
    if as_json:
        click.echo(
            json.dumps(
                _clean(
                    {
                        "contract": contract.reference,
                        "scorer": result.scorer,
                        "remaining_cents": result.context.remaining_cents,
                        "search_failed": result.pool.search_failed,
                        "suggestions": suggestions,
                    }
                ),
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    ctx = result.context
    click.echo(
        f"{contract.reference} ({ctx.government_name}): {ctx.remaining_cents / 100:,.0f} EUR of "
        f"{ctx.obligation_cents / 100:,.0f} EUR still open; scorer: {result.scorer}"
    )
    if result.pool.search_failed:
        click.echo("Search is unavailable: candidates come from the database.")
    if not suggestions:
        click.echo("No candidates.")
        return
    click.echo(f"{'#':>3}  {'score':>5}  {'title':<32}  {'initiative':<28}  open")
    for s in suggestions:
        click.echo(
            f"{s['rank']:>3}  {s['score']:>5.3f}  {s['title'][:32]:<32}  "
            f"{s['initiative']['name'][:28]:<28}  {s['open_units']} {s['unit']}"
        )
        for reason in s["reasons"]:
            click.echo(f"{'':>12}- {reason}")


def register(main: click.Group) -> None:
    """Add the matching commands to the `srx` group."""
    for command in (decisions_group, train_command, evaluate_command, recommend_command):
        main.add_command(command)
