"""The `srx` command line: database, seeds, users, search, matching."""

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import FlaskGroup, with_appcontext

from . import create_app

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlmodel import Session


# SQLAlchemy and the models load when a command runs, not for `srx --help` (it answers in well under 0.5 s).
def get_session() -> "Session":
    from .db import get_session as session_of_app

    return session_of_app()


def unit_of_work(session: "Session | None" = None) -> "AbstractContextManager[Session]":
    from .db import unit_of_work as transaction

    return transaction(session)


class SrxGroup(FlaskGroup):
    """The command group: a failure is one clear line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            first = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            click.echo(
                f"Error: the database cannot be used ({first}). Is DATABASE_URL right, and did "
                "`srx db upgrade` run?",
                err=True,
            )
            ctx.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Our own commands and Flask's, without building the app (it adds none): `srx --help` stays fast."""
        self._load_plugin_commands()
        return sorted(click.Group.list_commands(self, ctx))


@click.group(cls=SrxGroup, create_app=create_app, add_version_option=False, add_default_commands=True)
def main() -> None:
    """SRX, the Social Return Exchange."""


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    from .migrate import upgrade

    upgrade(revision)
    click.echo(f"Database at {revision}.")


@main.command("seed")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has governments.")
@with_appcontext
def seed(path: Path | None, if_empty: bool) -> None:
    """Load a seed folder (default: seeds/); its format is in docs/seeds.md."""
    from .seeding import SeedError, load_seeds

    folder = path or Path(__file__).resolve().parent.parent / "seeds"
    from sqlmodel import func, select

    from .models import Government

    existing = int(get_session().exec(select(func.count()).select_from(Government)).one())
    if existing and not if_empty:
        click.echo(
            f"Error: the database already has data ({existing} governments). Seeds load into an empty "
            "database; add --if-empty to skip loading when there is data.",
            err=True,
        )
        sys.exit(1)
    try:
        with unit_of_work() as session:
            counts = load_seeds(session, folder, if_empty=if_empty, progress=click.echo)
    except SeedError as exc:
        click.echo(f"Seed error: {exc}", err=True)
        sys.exit(1)
    if counts is None:
        click.echo("Database already has data; nothing loaded (--if-empty).")
        return
    click.echo("Loaded: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


@main.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["company", "initiative", "officer", "adviser", "admin"])
)
@click.option("--serves", multiple=True, help="A WSP adviser: slug of a government the WSP serves (repeat).")
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--organisation",
    "org",
    default=None,
    help="Slug of the company, initiative or government the user belongs to.",
)
@click.option("--locale", default="nl", type=click.Choice(["nl", "en"]))
@with_appcontext
def users_create(
    email: str, role: str, serves: tuple[str, ...], name: str, password: str, org: str | None, locale: str
) -> None:
    """Create a user."""
    from sqlmodel import select

    from .services.admin import ORGANISATION_OF_ROLE, UserInput, create_user
    from .services.errors import ServiceError

    session = get_session()
    organisation_id = None
    if role in ORGANISATION_OF_ROLE:
        model = ORGANISATION_OF_ROLE[role][1]
        found = session.exec(select(model.id).where(model.slug == (org or ""))).first()
        if found is None:
            raise click.UsageError(f"--organisation must name an existing {role} organisation by its slug.")
        organisation_id = found
    from .models import Government

    served = []
    for slug in serves:
        gov_id = session.exec(select(Government.id).where(Government.slug == slug)).first()
        if gov_id is None:
            raise click.UsageError(f"--serves {slug}: no government with that slug.")
        served.append(gov_id)
    try:
        with unit_of_work(session):
            user = create_user(
                session,
                actor=None,
                data=UserInput(
                    email=email,
                    role=role,
                    name=name,
                    password=password,
                    locale=locale,
                    organisation_id=organisation_id,
                    government_ids=tuple(served),
                ),
            )
    except ServiceError as exc:
        raise click.UsageError(f"{exc.field or 'error'}: {exc}") from exc
    click.echo(f"Created user {user.email} ({user.role}).")


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Deactivate a user; they can no longer log in."""
    from sqlmodel import select

    from .models import User
    from .services.admin import set_user_active

    session = get_session()
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise click.UsageError("No user with that e-mail address.")
    with unit_of_work(session):
        set_user_active(session, actor=None, user_id=user.id or 0, active=False)
    click.echo(f"Deactivated {user.email}.")


@main.group("audit")
def audit_group() -> None:
    """The audit trail's hash chain."""


@audit_group.command("verify")
@click.option(
    "--expect-head",
    default=None,
    metavar="POSITION:HASH",
    help="A head printed by an earlier run and kept elsewhere: it must still be in the chain.",
)
@with_appcontext
def audit_verify(expect_head: str | None) -> None:
    """Check every audit event and decision against the hash chain; exit 1 at the first broken link.

    The result is stored and shown on the admin page. Keep the printed head somewhere else (a ticket, a log
    server): checking against it later shows whether the newest rows were removed.
    """
    from .services.audit import verify_chain

    expected = None
    if expect_head is not None:
        seq, _, digest = expect_head.partition(":")
        if not (seq.isascii() and seq.isdigit() and len(digest) == 64):
            raise click.BadParameter(
                "give POSITION:HASH as printed by srx audit verify", param_hint="--expect-head"
            )
        expected = (int(seq), digest.lower())
    with unit_of_work() as session:
        result = verify_chain(session, expect_head=expected)
    if not result.ok:
        click.echo(
            f"BROKEN after {result.row_count} good rows. First broken link: {result.message}", err=True
        )
        sys.exit(1)
    click.echo(f"OK: {result.row_count} rows in the chain. Head: {result.head_seq}:{result.head_hash}")


@main.group("search")
def search_group() -> None:
    """The search index (FTS5 or Meilisearch)."""


@search_group.command("reindex")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def search_reindex(quiet: bool) -> None:
    """Rebuild the whole index from the database (zero downtime on Meilisearch)."""
    from .search_sync import count_documents, get_backend, reindex

    session = get_session()
    backend = get_backend()
    total = count_documents(session)
    if quiet:
        n = reindex(session, backend)
    else:
        with click.progressbar(length=total, label=f"Indexing into {backend.name}") as bar:
            n = reindex(session, backend, progress=bar.update)
    click.echo(f"Indexed {n} documents into {backend.name}.")


@search_group.command("sync")
@click.option("--loop", is_flag=True, help="Keep running, applying changes every few seconds.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds with --loop.")
@with_appcontext
def search_sync(loop: bool, interval: float) -> None:
    """Apply pending changes (outbox rows) to the index; rows stay pending while it is down."""
    import time

    from .search_sync import get_backend, sync_pending

    session = get_session()
    backend = get_backend()
    while True:
        applied, pending = sync_pending(session, backend)
        if applied or pending or not loop:
            click.echo(f"applied {applied}, still pending {pending}")
        if not loop:
            return
        time.sleep(interval)


@search_group.command("status")
@with_appcontext
def search_status() -> None:
    """Show the backend's health and the number of pending changes."""
    import json

    from .search_sync import get_backend, pending_count

    health = get_backend().health()
    health["pending_changes"] = pending_count(get_session())
    click.echo(json.dumps(health, indent=2))


@main.group("jobs")
def jobs_group() -> None:
    """The job queue (Huey): mail, reminders, digests, search sync."""


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@with_appcontext
def jobs_worker(workers: int) -> None:
    """Run the consumer: queued jobs and the periodic ones (UTC: contracts advance 04:30, reminders 05:00,
    digests 05:30; the mail sweep every 5 minutes, the search sweep every minute)."""
    import logging

    from .jobs import backend_name, huey

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(f"SRX job worker on {backend_name()}, {workers} threads")
    huey.create_consumer(workers=workers, periodic=True, worker_type="thread").run()


@jobs_group.command("run")
@click.argument("task")
@click.option(
    "--today", default=None, help="advance, reminders, digests: act as if it were this day (YYYY-MM-DD)."
)
@with_appcontext
def jobs_run(task: str, today: str | None) -> None:
    """Run one job now, in this process, with what it queues: advance, deliver, reminders, digests or
    search_sync."""
    import json

    from .jobs import TASKS, huey

    if task not in TASKS:
        raise click.UsageError(f"unknown job {task!r}; one of: {', '.join(sorted(TASKS))}")
    kwargs = {"today": _today(today).isoformat()} if task in ("advance", "reminders", "digests") else {}
    was = huey.immediate
    huey.immediate = True  # what the job queues (each mail) runs here too
    try:
        result = TASKS[task](**kwargs)
    finally:
        huey.immediate = was
    click.echo(json.dumps({"job": task, "result": result}, default=str))


@jobs_group.command("status")
@with_appcontext
def jobs_status() -> None:
    """The queue's backend, queued and scheduled jobs, and the mail states of notifications."""
    import json

    from .jobs import status

    click.echo(json.dumps(status(get_session()), indent=2, default=str))


@main.group("contracts")
def contracts_group() -> None:
    """The life of contracts: end dates, recovery dates, retention."""


def _today(value: str | None) -> date:
    from .models._base import utcnow

    if not value:
        return utcnow().date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("give a date as YYYY-MM-DD", param_hint="--today") from exc


@contracts_group.command("advance")
@click.option("--today", default=None, help="Act as if it were this day (YYYY-MM-DD); for trying things out.")
@with_appcontext
def contracts_advance(today: str | None) -> None:
    """Move contracts whose end date or recovery date passed to met or settlement (idempotent; the job
    consumer runs it every night)."""
    from .services.settlements import advance

    with unit_of_work() as session:
        moved = advance(session, today=_today(today))
    click.echo(f"met: {moved['met']}, to settlement: {moved['settlement']}")


@main.group("evidence")
def evidence_group() -> None:
    """Evidence files of realisation reports."""


@evidence_group.command("purge")
@click.option("--today", default=None, help="Act as if it were this day (YYYY-MM-DD).")
@with_appcontext
def evidence_purge(today: str | None) -> None:
    """Delete evidence files and placement keys of contracts closed longer than RETENTION_DAYS ago."""
    from flask import current_app

    from .services.retention import delete_files, purge
    from .storage import storage

    with unit_of_work() as session:
        done = purge(session, today=_today(today), retention_days=current_app.config["RETENTION_DAYS"])
    delete_files(storage(), done.keys)
    click.echo(
        f"contracts: {done.contracts}, files deleted: {done.files}, placements anonymised: {done.placements}"
    )


@main.group("export")
def export_group() -> None:
    """Exports in documented formats."""


@export_group.command("monitoring")
@click.option("--government", "slug", required=True, help="The government's slug, for example amersfoort.")
@with_appcontext
def export_monitoring(slug: str) -> None:
    """One government's contracts, contributions and realisation as JSON on stdout
    (docs/monitoring-format.md): srx export monitoring --government amersfoort > amersfoort.json"""
    import json

    from .monitoring import FormatError, export_government

    try:
        doc = export_government(get_session(), slug)
    except FormatError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@main.group("import")
def import_group() -> None:
    """Imports of documented formats."""


@import_group.command("monitoring")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_monitoring(file: Path) -> None:
    """Import a monitoring export (docs/monitoring-format.md): everything is checked first, then stored
    in one transaction; a problem stores nothing and is one line naming where it is."""
    import json

    from .monitoring import FormatError, import_document

    try:
        doc = json.loads(file.read_bytes())
    except FileNotFoundError:
        raise click.ClickException(f"{file}: no such file") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"{file}: not JSON ({str(exc).splitlines()[0][:120]})") from None
    try:
        with unit_of_work() as session:
            counts = import_document(session, doc)
    except FormatError as exc:
        raise click.ClickException(f"{file}: {exc}. Nothing was imported.") from None
    click.echo(
        f"imported {counts['contracts']} contracts, {counts['contributions']} contributions, "
        f"{counts['reports']} reports, {counts['settlements']} settlements"
    )


# Matching commands (decisions import/export, train, evaluate, recommend) live in their own module.
from .cli_matching import register as _register_matching  # noqa: E402

_register_matching(main)


if __name__ == "__main__":  # python -m marketplace.cli
    main()
