"""Admins run the instance: governments, valuation tables, users."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from ..models import (
    BLOCK_UNITS,
    GOVERNMENT_KINDS,
    LOCALES,
    PERSON_FLAGS,
    ROLES,
    ROUTES,
    TARGET_GROUPS,
    VALUED_UNITS,
    AdviserGovernment,
    BlockUnit,
    BuildingBlock,
    Company,
    Government,
    Initiative,
    User,
    ValuationTable,
)
from ..passwords import MIN_LENGTH, weakness
from ..policy import Policy
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import record, snapshot
from .auth import hash_password, normalise_email
from .errors import N_, Conflict, Forbidden, NotFound, ServiceError
from .guard import CHANGED, check_seen, guarded_update
from .policies import add_policy_version, check_policy

MIN_PASSWORD = MIN_LENGTH  # kept for callers; the strength check is marketplace.passwords
MAX_BLOCKS = 200


@dataclass(frozen=True)
class GovernmentInput:
    slug: str
    name: str
    kind: str = "municipality"
    municipality: str = ""
    notes: str = ""
    # Its first policy, in force from `policy_from` (later versions: services.policies).
    policy: Policy = field(default_factory=Policy)
    policy_from: date = date(2000, 1, 1)


@dataclass(frozen=True)
class BlockInput:
    code: str
    route: str
    label: str
    unit: str
    value_cents: int | None = None
    percentage_bp: int | None = None
    max_months: int | None = None
    target_group: str | None = None
    at_most: bool = False
    # Person blocks and bonuses: the youngest age band they apply to, and the person facts they require.
    min_age: int | None = None
    requires: tuple[str, ...] = ()
    label_en: str = ""
    # A bonus (or person block) only for these target groups; empty: for every group.
    target_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableInput:
    name: str
    effective_from: date | None
    blocks: tuple[BlockInput, ...]
    effective_to: date | None = None
    source: str = ""
    assumption: str = ""
    # Target group ("*" for the others) -> the most months a candidate counts; None: without limit.
    group_caps: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class UserInput:
    email: str
    role: str
    password: str
    name: str = ""
    locale: str = "nl"
    # The organisation the user belongs to: a company, an initiative, or (officers) a government.
    organisation_id: int | None = None
    # A WSP adviser: the governments the WSP serves.
    government_ids: tuple[int, ...] = ()


def _require_admin(actor: User | None) -> None:
    # actor None is the command line, which runs with the operator's own rights.
    if actor is not None and actor.role != "admin":
        raise Forbidden(N_("You may not do this."))


def create_government(session: Session, *, actor: User | None, data: GovernmentInput) -> Government:
    _require_admin(actor)
    slug = v.slug(data.slug)
    if session.exec(select(Government.id).where(Government.slug == slug)).first() is not None:
        raise ServiceError(N_("This short name is taken."), field="slug")
    gov = Government(
        slug=slug,
        name=v.text(data.name, "name", max_len=200, required=True),
        kind=v.choice(data.kind, "kind", GOVERNMENT_KINDS),
        municipality=v.text(data.municipality, "municipality", max_len=100),
        notes=v.text(data.notes, "notes", max_len=5000),
    )
    check_policy(data.policy)
    session.add(gov)
    session.flush()
    record(
        session,
        actor=actor,
        action="government.created",
        entity_type="government",
        entity_id=gov.id or 0,
        after=snapshot(gov, ("slug", "name", "kind", "municipality")),
    )
    add_policy_version(
        session,
        actor=actor,
        government_id=gov.id or 0,
        effective_from=data.policy_from,
        policy=data.policy,
        note="first policy",
    )
    return gov


def _block(row: BlockInput, table_id: int) -> BuildingBlock:
    code = v.text(row.code, "blocks", max_len=60, required=True).lower()
    unit = v.choice(row.unit, "blocks", BLOCK_UNITS)
    value = v.integer(row.value_cents, "blocks", low=0, high=MAX_CENTS, required=False)
    pct = v.integer(row.percentage_bp, "blocks", low=0, high=10_000, required=False)
    if unit in VALUED_UNITS and value is None:
        raise ServiceError(N_("Block %(code)s needs a value per unit."), field="blocks", code=code)
    if row.target_group and row.target_group not in TARGET_GROUPS:
        raise ServiceError(N_("Choose one of the options."), field="blocks")
    if row.min_age not in (None, 50, 55):
        raise ServiceError(N_("An age condition is 50 or 55."), field="blocks")
    requires = v.choices(row.requires, "blocks", PERSON_FLAGS)
    groups = v.choices(row.target_groups, "blocks", TARGET_GROUPS)
    if row.at_most and unit not in (BlockUnit.HOUR, BlockUnit.DAY):
        raise ServiceError(N_("Only an hour or a day can be valued 'at most'."), field="blocks")
    conditions: dict[str, object] = {}
    if row.min_age:
        conditions["min_age"] = row.min_age
    if requires:
        conditions["requires"] = requires
    if groups:
        conditions["target_groups"] = groups
    return BuildingBlock(
        table_id=table_id,
        code=code,
        route=v.choice(row.route, "blocks", ROUTES),
        label=v.text(row.label, "blocks", max_len=200, required=True),
        unit=unit,
        value_cents=value,
        percentage_bp=pct if unit == BlockUnit.EURO_SPENT else None,
        max_months=v.integer(row.max_months, "blocks", low=1, high=120, required=False),
        target_group=row.target_group or None,
        at_most=row.at_most,
        conditions=conditions,
        label_en=v.text(row.label_en, "blocks", max_len=200),
    )


def _group_caps(caps: tuple[tuple[str, int | None], ...]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for group, months in caps:
        if group != "*" and group not in TARGET_GROUPS:
            raise ServiceError(N_("Choose one of the options."), field="group_caps")
        out[group] = v.integer(months, "group_caps", low=1, high=120, required=False)
    return out


def create_table(
    session: Session,
    *,
    actor: User | None,
    government_id: int,
    data: TableInput,
    seen_version: int | None = None,
) -> ValuationTable:
    """Add a new table version; the previous open-ended version ends the day before it starts.

    `seen_version` is the latest version the admin started from (0: none); when another version was added
    since, nothing is stored. Contracts keep pointing at the version frozen at their award.
    """
    _require_admin(actor)
    gov = session.get(Government, government_id)
    if gov is None:
        raise NotFound(N_("This government does not exist."))
    start = v.day(data.effective_from, "effective_from", required=True)
    assert start is not None
    tables = session.exec(select(ValuationTable).where(ValuationTable.government_id == government_id)).all()
    if seen_version is not None and seen_version != max((t.version for t in tables), default=0):
        raise Conflict(CHANGED)
    if any(t.effective_from >= start for t in tables):
        raise ServiceError(N_("A new version must start after the latest one."), field="effective_from")
    if not data.blocks:
        raise ServiceError(N_("A table needs at least one building block."), field="blocks")
    if len(data.blocks) > MAX_BLOCKS:
        raise ServiceError(N_("Too many values: at most %(max)s."), field="blocks", max=MAX_BLOCKS)
    codes = [b.code.strip().lower() for b in data.blocks]
    if len(set(codes)) != len(codes):
        raise ServiceError(N_("Building-block codes must be unique in a table."), field="blocks")
    version = max((t.version for t in tables), default=0) + 1
    table = ValuationTable(
        government_id=government_id,
        version=version,
        name=v.text(data.name, "name", max_len=200, required=True),
        effective_from=start,
        effective_to=v.day(data.effective_to, "effective_to"),
        source=v.text(data.source, "source", max_len=1000),
        assumption=v.text(data.assumption, "assumption", max_len=1000) or None,
        group_caps=_group_caps(data.group_caps),
    )
    session.add(table)
    session.flush()
    blocks = [_block(row, table.id or 0) for row in data.blocks]
    # Only now that everything checked out does the previous version get its end date.
    for previous in tables:
        if previous.effective_to is None or previous.effective_to >= start:
            previous.effective_to = start - timedelta(days=1)
            session.add(previous)
    session.add_all(blocks)
    record(
        session,
        actor=actor,
        action="valuation_table.created",
        entity_type="valuation_table",
        entity_id=table.id or 0,
        after={"version": version, "blocks": sorted(codes)},
    )
    return table


# The organisation field each role belongs to, and its model.
ORGANISATION_OF_ROLE: dict[str, tuple[str, type[Company] | type[Initiative] | type[Government]]] = {
    "company": ("company_id", Company),
    "initiative": ("initiative_id", Initiative),
    "officer": ("government_id", Government),
}


def create_user(session: Session, *, actor: User | None, data: UserInput) -> User:
    _require_admin(actor)
    email = normalise_email(v.text(data.email, "email", max_len=254, required=True))
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ServiceError(N_("Enter a valid e-mail address."), field="email")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise ServiceError(N_("A user with this e-mail address exists already."), field="email")
    problem = weakness(data.password, email=email)
    if problem:
        raise ServiceError(problem, field="password")
    role = v.choice(data.role, "role", ROLES)
    user = User(
        email=email,
        name=v.text(data.name, "name", max_len=200),
        role=role,
        password_hash=hash_password(data.password),
        locale=v.choice(data.locale, "locale", LOCALES),
    )
    if role in ORGANISATION_OF_ROLE:
        org_field, model = ORGANISATION_OF_ROLE[role]
        org = session.get(model, data.organisation_id) if data.organisation_id is not None else None
        if org is None:
            raise ServiceError(N_("Choose the organisation this user belongs to."), field=org_field)
        setattr(user, org_field, getattr(org, "id", None))
    served: list[int] = []
    if role == "adviser":
        served = sorted(set(data.government_ids))
        found = (
            session.exec(select(Government.id).where(col(Government.id).in_(served))).all() if served else []
        )
        if not served or len(found) != len(served):
            raise ServiceError(N_("Choose the governments this adviser works for."), field="government_ids")
    session.add(user)
    session.flush()
    for government_id in served:
        session.add(AdviserGovernment(user_id=user.id or 0, government_id=government_id))
    record(
        session,
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id or 0,
        after={"email": email, "role": role, **({"governments": served} if served else {})},
    )
    return user


def set_user_active(
    session: Session, *, actor: User | None, user_id: int, active: bool, seen_version: int | None = None
) -> User:
    """Let a user log in again or not; `seen_version` is the version the confirmation page showed."""
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("This user does not exist."))
    if actor is not None and user.id == actor.id and not active:
        raise ServiceError(N_("You cannot deactivate yourself."), field="active")
    check_seen(user, seen_version, CHANGED)
    before = {"active": user.active}
    # Deactivation ends every session of the user at its next request (marketplace/sessions.py).
    revoke = {} if active else {"session_version": (user.session_version or 0) + 1}
    guarded_update(session, user, active=active, **revoke)
    record(
        session,
        actor=actor,
        action="user.activated" if active else "user.deactivated",
        entity_type="user",
        entity_id=user.id or 0,
        before=before,
        after={"active": active},
    )
    return user


# --- edits -----------------------------------------------------------------------------------------------

GOVERNMENT_FIELDS = ("name", "kind", "municipality", "notes")
COMPANY_FIELDS = ("name", "kvk", "city", "sector")
USER_FIELDS = ("email", "name", "locale", "company_id", "initiative_id", "government_id")
KVK_RE = re.compile(r"^\d{8}$")


@dataclass(frozen=True)
class GovernmentEdit:
    """What an admin may change of a government; its short name stays (it is in addresses and seeds)."""

    name: str
    kind: str
    municipality: str = ""
    notes: str = ""


@dataclass(frozen=True)
class CompanyEdit:
    name: str
    kvk: str
    city: str = ""
    sector: str = ""


@dataclass(frozen=True)
class UserEdit:
    """What an admin may change of a user; the role stays (make a new user for another role)."""

    email: str
    name: str = ""
    locale: str = "nl"
    organisation_id: int | None = None
    government_ids: tuple[int, ...] = ()
    # A new password, or "" to keep the current one.
    password: str = ""


def _save(
    session: Session,
    *,
    actor: User | None,
    row: Government | Company | User,
    seen_version: int | None,
    values: dict[str, object],
    fields: tuple[str, ...],
    action: str,
    entity_type: str,
    extra_after: dict[str, object] | None = None,
) -> None:
    """Write the edit only over the version the form showed, with one audit event of what changed."""
    check_seen(row, seen_version, CHANGED)
    before = snapshot(row, fields)
    guarded_update(session, row, **values)
    after = snapshot(row, fields)
    changed = {k for k in fields if before.get(k) != after.get(k)}
    record(
        session,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=row.id or 0,
        before={k: before[k] for k in sorted(changed)},
        after={**{k: after[k] for k in sorted(changed)}, **(extra_after or {})},
    )


def update_government(
    session: Session,
    *,
    actor: User | None,
    government_id: int,
    data: GovernmentEdit,
    seen_version: int | None,
) -> Government:
    _require_admin(actor)
    gov = session.get(Government, government_id)
    if gov is None:
        raise NotFound(N_("This government does not exist."))
    values: dict[str, object] = {
        "name": v.text(data.name, "name", max_len=200, required=True),
        "kind": v.choice(data.kind, "kind", GOVERNMENT_KINDS),
        "municipality": v.text(data.municipality, "municipality", max_len=100),
        "notes": v.text(data.notes, "notes", max_len=5000),
    }
    _save(
        session,
        actor=actor,
        row=gov,
        seen_version=seen_version,
        values=values,
        fields=GOVERNMENT_FIELDS,
        action="government.updated",
        entity_type="government",
    )
    return gov


def update_company(
    session: Session, *, actor: User | None, company_id: int, data: CompanyEdit, seen_version: int | None
) -> Company:
    from matching.sectors import SECTOR_CODES

    _require_admin(actor)
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(N_("This company does not exist."))
    kvk = (data.kvk or "").replace(" ", "").strip()
    if not KVK_RE.match(kvk):
        raise ServiceError(N_("A KvK number has 8 digits."), field="kvk")
    other = session.exec(select(Company.id).where(Company.kvk == kvk, Company.id != company_id)).first()
    if other is not None:
        raise ServiceError(N_("Another company has this KvK number."), field="kvk")
    values: dict[str, object] = {
        "name": v.text(data.name, "name", max_len=200, required=True),
        "kvk": kvk,
        "city": v.text(data.city, "city", max_len=100),
        "sector": v.choice(data.sector or "", "sector", ("", *SECTOR_CODES)),
    }
    _save(
        session,
        actor=actor,
        row=company,
        seen_version=seen_version,
        values=values,
        fields=COMPANY_FIELDS,
        action="company.updated",
        entity_type="company",
    )
    return company


def update_user(
    session: Session, *, actor: User | None, user_id: int, data: UserEdit, seen_version: int | None
) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("This user does not exist."))
    email = normalise_email(v.text(data.email, "email", max_len=254, required=True))
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ServiceError(N_("Enter a valid e-mail address."), field="email")
    taken = session.exec(select(User.id).where(User.email == email, User.id != user_id)).first()
    if taken is not None:
        raise ServiceError(N_("A user with this e-mail address exists already."), field="email")
    problem = weakness(data.password, email=email) if data.password else None
    if problem:
        raise ServiceError(problem, field="password")
    values: dict[str, object] = {
        "email": email,
        "name": v.text(data.name, "name", max_len=200),
        "locale": v.choice(data.locale, "locale", LOCALES),
    }
    if user.role in ORGANISATION_OF_ROLE:
        org_field, model = ORGANISATION_OF_ROLE[user.role]
        org = session.get(model, data.organisation_id) if data.organisation_id is not None else None
        if org is None:
            raise ServiceError(N_("Choose the organisation this user belongs to."), field=org_field)
        values[org_field] = getattr(org, "id", None)
    served: list[int] = []
    if user.role == "adviser":
        served = sorted(set(data.government_ids))
        found = (
            session.exec(select(Government.id).where(col(Government.id).in_(served))).all() if served else []
        )
        if not served or len(found) != len(served):
            raise ServiceError(N_("Choose the governments this adviser works for."), field="government_ids")
    if data.password:
        values["password_hash"] = hash_password(data.password)
        # A new password ends every session of the user (marketplace/sessions.py).
        values["session_version"] = (user.session_version or 0) + 1
    extra: dict[str, object] = {}
    if data.password:
        extra["password"] = "changed"  # never the password itself
    if user.role == "adviser":
        links = session.exec(select(AdviserGovernment).where(AdviserGovernment.user_id == user_id)).all()
        if sorted(link.government_id for link in links) != served:
            for link in links:
                session.delete(link)
            session.flush()
            session.add_all(AdviserGovernment(user_id=user_id, government_id=g) for g in served)
            extra["governments"] = served
    _save(
        session,
        actor=actor,
        row=user,
        seen_version=seen_version,
        values=values,
        fields=USER_FIELDS,
        action="user.updated",
        entity_type="user",
        extra_after=extra,
    )
    return user
