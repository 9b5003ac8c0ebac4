"""Shared fixtures: an app on a fresh migrated database per test, a small world, logging in.

SQLite is the default. Tests under tests/services run on PostgreSQL too when TEST_DATABASE_URL
is set (that leg skips with the reason otherwise). The schema always comes from the Alembic
migrations, never from create_all: SQLite copies a migrated template file per test, PostgreSQL
migrates once and truncates between tests.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel
from werkzeug.security import generate_password_hash

from marketplace import create_app
from marketplace.db import unit_of_work
from marketplace.migrate import upgrade
from marketplace.models import (
    AdviserGovernment,
    BuildingBlock,
    Company,
    Contract,
    Eligibility,
    Government,
    HandprintScore,
    Initiative,
    Need,
    PolicyVersion,
    User,
    ValuationTable,
)
from marketplace.policy import Policy
from marketplace.services.placements import PlacementInput, person_key
from marketplace.services.pledges import PledgeRequest, create_pledge

PASSWORD = "password-123456"
FAST_HASH = "pbkdf2:sha256:1000"
PG_SKIP = "TEST_DATABASE_URL not set: the PostgreSQL leg is skipped (.ci/run sets it)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade("head", url=f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(PG_SKIP)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        _end_leaked_transactions(conn)
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade("head", url=url)
    yield url


@pytest.fixture
def db_kind() -> str:
    """Which database a test runs on; tests/services overrides this to run on both."""
    return "sqlite"


def _end_leaked_transactions(conn: Any) -> None:
    """End connections an earlier test left idle in a transaction: they would block the TRUNCATE for ever.

    Once, in a full CI run, a connection of an earlier test sat idle in transaction after a SELECT on
    `match`, and the next PostgreSQL test waited on its lock until CI's time ran out. The cause was the
    streamed exports: they read their rows after the request's teardown had closed the session, and left
    that transaction open (fixed in marketplace/views/exports.py, tested in test_export_transactions.py).
    This stays as a net: the connection is ended and the run warns with its query, so another leak is
    seen instead of hanging the build. Only the test database is touched.
    """
    import warnings

    leaked = conn.execute(
        text(
            "SELECT pid, left(query, 200) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
        )
    ).all()
    for pid, query in leaked:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        warnings.warn(f"ended a test connection left idle in transaction after: {query}", stacklevel=2)


@pytest.fixture
def database_url(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if db_kind == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            _end_leaked_transactions(conn)
            conn.execute(text("SET LOCAL lock_timeout = '60s'"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "srx.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "PERSON_KEY_SECRET": PERSON_SECRET,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "SEARCH_BACKEND": "fts5",
        "RECOMMENDER_HISTORY_REFRESH_S": 0,  # tests read the rates right after a decision
        "SEARCH_SQLITE_PATH": str(tmp_path / "search.sqlite3"),
        "MODEL_PATH": str(tmp_path / "model" / "scorer.skops"),
        "EVIDENCE_PATH": str(tmp_path / "evidence"),
        "WTF_CSRF_ENABLED": False,
        "MAIL_URL": "memory://",
        "JOBS_IMMEDIATE": True,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        # The suite reads English page text; production defaults to Dutch (tests that check Dutch build their
        # own app without this key: tests/unit/test_translations.py, test_security's language test).
        "BABEL_DEFAULT_LOCALE": "en",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Any]:
    """The app, without a pushed context: each test-client request gets its own `g`, as in production."""
    app = create_app(app_config)
    yield app
    app.extensions["srx.engine"].dispose()


# A minimal real PDF and PNG, as evidence files (the store checks the first bytes, not the name).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def evidence_store(app: Any) -> Any:
    """The app's evidence store (files under the test's tmp_path)."""
    from marketplace.storage import storage

    return storage(app)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def db_session(app: Any) -> Iterator[Session]:
    with Session(app.extensions["srx.engine"], expire_on_commit=False) as session:
        yield session


def login(client: Any, user: User, password: str = PASSWORD) -> Any:
    """Log a test client in through the real login form."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return response


def seen_fields(client: Any, match_id: int, action: str = "approve") -> dict[str, str]:
    """The hidden fields of the officer's decision form, read from the pledge's page as a browser sends them."""
    import re

    html = client.get(f"/officer/matches/{match_id}").get_data(as_text=True)
    start = html.find(f'action="/officer/matches/{match_id}/{action}"')
    assert start >= 0, f"no {action} form on the page of pledge {match_id}"
    form = html[start : html.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="(version|seen_value)" value="([^"]*)">', form))


def officer_decides(
    client: Any,
    match_id: int,
    action: str = "approve",
    data: dict[str, str] | None = None,
    confirm: bool = True,
) -> Any:
    """An officer's decision through the pages: the form with what the page showed, confirmed when approving."""
    fields = {**seen_fields(client, match_id, action), **(data or {})}
    if action == "approve" and confirm:
        fields["confirmed"] = "yes"
    return client.post(f"/officer/matches/{match_id}/{action}", data=fields)


@pytest.fixture
def login_as(client: Any) -> Any:
    def _login(user: User) -> Any:
        client.post("/logout")
        return login(client, user)

    return _login


@dataclass
class World:
    """Two governments with their own people, so every test can check the other side sees nothing."""

    session: Session
    gov_a: Government
    gov_b: Government
    table_a: ValuationTable
    table_b: ValuationTable
    company_a: Company
    company_b: Company
    ini_a: Initiative  # eligible for gov_a
    firm_a: Initiative  # social firm, eligible for gov_a
    ini_b: Initiative  # eligible for gov_b only
    need_hours: Need  # ini_a, 100 hours
    need_money: Need  # ini_a, EUR 5,000
    need_places: Need  # firm_a, 2 places
    need_b: Need  # ini_b, 50 hours
    contract_a: Contract  # company_a, gov_a, EUR 2,000,000 -> EUR 100,000
    contract_b: Contract  # company_b, gov_b
    small_contract: Contract  # company_a, gov_a, below threshold
    users: dict[str, User]

    def act(self, service: Any, **kw: Any) -> Any:
        """Call a service on the world's session in one unit of work, as a request would: commit, or roll back."""
        with unit_of_work(self.session):
            return service(self.session, **kw)

    def pledge(self, actor: User | None = None, **kw: Any) -> Any:
        """Create a proposed match through the service (defaults: 10 hours for need_hours on contract_a)."""
        args: dict[str, Any] = {
            "contract_id": self.contract_a.id,
            "block_code": "employee_hour",
            "quantity": 10,
            "need_id": self.need_hours.id,
        }
        args.update(kw)
        return self.act(create_pledge, actor=actor or self.users["company_a"], req=PledgeRequest(**args))


# The tests' policy: 5% from EUR 125,000, one social activity below it, PSO trede 2 fulfils it all.
TEST_POLICY = Policy(
    percentage_bp=500,
    threshold_cents=12_500_000,
    pso_discount_bp={"trede_2": 10_000},
    priority_themes=("armoedebestrijding",),
)

BLOCK_CONDITIONS = {"bonus_50plus": {"min_age": 50}}
PERSON_SECRET = "test-person-secret"


def placement(
    reference: str = "P-001",
    *,
    target_group: str = "participatiewet",
    start: date = date(2025, 4, 1),
    end: date = date(2026, 3, 31),
    hours: int = 36,
    age_band: str = "under_50",
    employment: str = "temporary",
    proof: str = "benefit_letter",
    **flags: bool,
) -> PlacementInput:
    """A placement of one person (default: Participatiewet, full time, 12 months from April 2025)."""
    return PlacementInput(
        person_key=person_key(reference, PERSON_SECRET),
        target_group=target_group,
        proof_kind=proof,
        employment=employment,
        start_date=start,
        end_date=end,
        hours_per_week=hours,
        age_band=age_band,
        **flags,
    )


UTRECHT_BLOCKS = [
    # code, route, label, unit, value_cents, percentage_bp, max_months
    ("participatiewet", "paid_work", "Participatiewet", "fte_year", 4_000_000, None, None),
    ("banenafspraak", "paid_work", "Banenafspraak", "fte_year", 5_000_000, None, 24),
    ("bonus_50plus", "paid_work", "Bonus: older than 50", "bonus", 1_000_000, None, None),
    ("mbo_bol", "labour_participation", "mbo BOL internship", "internship_year", 2_000_000, None, None),
    (
        "purchase_social_firm",
        "labour_participation",
        "Purchase from a social firm",
        "euro_spent",
        None,
        10_000,
        None,
    ),
    ("employee_hour", "social_domain", "Employee-hour for an initiative", "hour", 10_000, None, None),
    ("social_activity_day", "social_domain", "Social activity day", "day", 100_000, None, None),
    ("donation_initiative", "social_domain", "Donation to an initiative", "euro_spent", None, 10_000, None),
    ("maatwerk_agreement", "social_domain", "By agreement", "by_agreement", None, None, None),
    ("pso_certificate", "social_enterprise", "PSO certificate", "certificate", None, None, None),
]


def add_government(
    session: Session,
    slug: str,
    name: str,
    municipality: str,
    *,
    threshold_cents: int = 12_500_000,
    blocks: list[tuple[Any, ...]] | None = None,
    policy: Policy | None = None,
) -> tuple[Government, ValuationTable]:
    gov = Government(slug=slug, name=name, municipality=municipality, lat=52.0, lon=5.0)
    session.add(gov)
    session.flush()
    policy = policy or replace(TEST_POLICY, threshold_cents=threshold_cents)
    session.add(
        PolicyVersion(
            government_id=gov.id or 0, version=1, effective_from=date(2000, 1, 1), policy=policy.as_dict()
        )
    )
    table = ValuationTable(
        government_id=gov.id or 0,
        version=1,
        name=f"Bouwblokken {municipality}",
        effective_from=date(2024, 1, 1),
        source="test",
    )
    session.add(table)
    session.flush()
    for code, route, label, unit, value, pct, max_months in blocks or UTRECHT_BLOCKS:
        session.add(
            BuildingBlock(
                table_id=table.id or 0,
                code=code,
                route=route,
                label=label,
                unit=unit,
                value_cents=value,
                percentage_bp=pct,
                conditions=BLOCK_CONDITIONS.get(code, {}),
                max_months=max_months,
            )
        )
    return gov, table


def add_user(session: Session, email: str, role: str, **org: Any) -> User:
    """A user who reads English (like the suite's assertions) unless `locale=` says otherwise."""
    fields: dict[str, Any] = {"locale": "en", **org}
    user = User(
        email=email,
        name=email.split("@")[0],
        role=role,
        password_hash=generate_password_hash(PASSWORD, method=FAST_HASH),
        **fields,
    )
    session.add(user)
    return user


def build_world(session: Session) -> World:
    gov_a, table_a = add_government(session, "gov-a", "Gemeente Aastad", "Aastad")
    gov_b, table_b = add_government(session, "gov-b", "Gemeente Beedorp", "Beedorp")
    company_a = Company(
        slug="bouw-a",
        name="Bouw A B.V.",
        kvk="11111111",
        city="Aastad",
        profile="Bouw en renovatie",
        interests=["werk"],
        pso_level="trede_2",
    )
    company_b = Company(slug="schoon-b", name="Schoonmaak B B.V.", kvk="22222222", city="Beedorp")
    ini_a = Initiative(
        slug="voedselbank-aastad",
        name="Voedselbank Aastad",
        municipality="Aastad",
        summary="Voedselpakketten",
        description="Wekelijkse pakketten",
        target_groups=["participatiewet"],
    )
    firm_a = Initiative(
        slug="fietsfirma-aastad",
        kind="social_firm",
        name="Fietsfirma Aastad",
        municipality="Aastad",
        summary="Fietsenwerkplaats",
        description="Sociale firma",
    )
    ini_b = Initiative(
        slug="taalcafe-beedorp",
        name="Taalcafé Beedorp",
        municipality="Beedorp",
        summary="Taal oefenen",
        description="Wekelijks taalcafé",
    )
    session.add_all([company_a, company_b, ini_a, firm_a, ini_b])
    session.flush()
    session.add_all(
        [
            HandprintScore(initiative_id=ini_a.id or 0, theme="armoedebestrijding", score=80),
            Eligibility(government_id=gov_a.id or 0, initiative_id=ini_a.id or 0, since=date(2025, 1, 1)),
            Eligibility(government_id=gov_a.id or 0, initiative_id=firm_a.id or 0, since=date(2025, 1, 1)),
            Eligibility(government_id=gov_b.id or 0, initiative_id=ini_b.id or 0, since=date(2025, 1, 1)),
        ]
    )
    need_hours = Need(
        reference="vb-1",
        initiative_id=ini_a.id or 0,
        kind="hours",
        title="Chauffeurs",
        themes=["armoedebestrijding"],
        quantity=100,
        unit="hours",
    )
    need_money = Need(
        reference="vb-2",
        initiative_id=ini_a.id or 0,
        kind="money",
        title="Koelcel",
        quantity=500_000,
        unit="cents",
    )
    need_places = Need(
        reference="ff-1",
        initiative_id=firm_a.id or 0,
        kind="job",
        title="Werkplekken",
        quantity=2,
        unit="places",
    )
    need_b = Need(
        reference="tc-1",
        initiative_id=ini_b.id or 0,
        kind="hours",
        title="Taalmaatjes",
        quantity=50,
        unit="hours",
    )
    session.add_all([need_hours, need_money, need_places, need_b])
    session.flush()

    def contract(
        ref: str, gov: Government, table: ValuationTable, company: Company, sum_cents: int
    ) -> Contract:
        c = Contract(
            reference=ref,
            government_id=gov.id or 0,
            company_id=company.id or 0,
            title=f"Opdracht {ref}",
            sum_cents=sum_cents,
            award_date=date(2025, 3, 1),
            end_date=date(2029, 12, 31),
            table_id=table.id or 0,
            policy=TEST_POLICY.as_dict(),
        )
        session.add(c)
        return c

    contract_a = contract("A-001", gov_a, table_a, company_a, 200_000_000)
    contract_b = contract("B-001", gov_b, table_b, company_b, 100_000_000)
    small = contract("A-SMALL", gov_a, table_a, company_a, 5_000_000)
    users = {
        "admin": add_user(session, "admin@test.nl", "admin"),
        "company_a": add_user(session, "company-a@test.nl", "company", company_id=company_a.id),
        "company_b": add_user(session, "company-b@test.nl", "company", company_id=company_b.id),
        "initiative_a": add_user(session, "ini-a@test.nl", "initiative", initiative_id=ini_a.id),
        "firm_a": add_user(session, "firm-a@test.nl", "initiative", initiative_id=firm_a.id),
        "initiative_b": add_user(session, "ini-b@test.nl", "initiative", initiative_id=ini_b.id),
        "officer_a": add_user(session, "officer-a@test.nl", "officer", government_id=gov_a.id),
        "officer_b": add_user(session, "officer-b@test.nl", "officer", government_id=gov_b.id),
        # A WSP adviser for gov_a only: on the officer's side, scoped like officer_a.
        "adviser_a": add_user(session, "adviser-a@test.nl", "adviser"),
    }
    session.flush()
    session.add(AdviserGovernment(user_id=users["adviser_a"].id or 0, government_id=gov_a.id or 0))
    session.commit()
    return World(
        session,
        gov_a,
        gov_b,
        table_a,
        table_b,
        company_a,
        company_b,
        ini_a,
        firm_a,
        ini_b,
        need_hours,
        need_money,
        need_places,
        need_b,
        contract_a,
        contract_b,
        small,
        users,
    )


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


class QueryCounter:
    """Counts the SQL statements an engine runs inside `with counter:` (Indico's count_queries, for SQLAlchemy)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self._on = False

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._on:
            self.statements.append(statement)

    def __enter__(self) -> "QueryCounter":
        self.statements = []
        self._on = True
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._on = False

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return f"{self.count} statements:\n" + "\n".join(s.split("\n")[0][:160] for s in self.statements)


@pytest.fixture
def count_queries(app: Any) -> Iterator[QueryCounter]:
    """`with count_queries as q: client.get(...)`, then `q.count`: the statements the app's engine ran."""
    from sqlalchemy import event

    counter = QueryCounter(app.extensions["srx.engine"])
    event.listen(counter.engine, "before_cursor_execute", counter._count)
    yield counter
    event.remove(counter.engine, "before_cursor_execute", counter._count)
