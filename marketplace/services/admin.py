"""Admins run the instance: governments, valuation tables, users."""

from typing import Any

from sqlmodel import Session, select

from ..models import (
    BLOCK_UNITS,
    GOVERNMENT_KINDS,
    ROLES,
    ROUTES,
    BuildingBlock,
    Company,
    Government,
    Initiative,
    User,
    ValuationTable,
)
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from . import validation as v
from .audit import record, snapshot
from .auth import hash_password, normalise_email
from .errors import N_, Forbidden, NotFound, ServiceError


def _require_admin(actor: User | None) -> None:
    # actor None is the command line, which runs with the operator's own rights.
    if actor is not None and actor.role != "admin":
        raise Forbidden(N_("You may not do this."))


def create_government(session: Session, *, actor: User | None, data: dict[str, Any]) -> Government:
    _require_admin(actor)
    slug = v.slug(data)
    if session.exec(select(Government.id).where(Government.slug == slug)).first() is not None:
        raise ServiceError(N_("This short name is taken."), field="slug")
    gov = Government(
        slug=slug, name=v.text(data, "name", max_len=200, required=True),
        kind=v.choice(data, "kind", GOVERNMENT_KINDS, default="municipality"),
        municipality=v.text(data, "municipality", max_len=100),
        percentage_bp=v.integer(data, "percentage_bp", low=0, high=10_000) or 0,
        threshold_cents=v.integer(data, "threshold_cents", low=0, high=MAX_CENTS) or 0,
        cap_cents=v.integer(data, "cap_cents", low=0, high=MAX_CENTS, required=False),
        basis=v.choice(data, "basis", ("contract_sum", "labour_component"), default="contract_sum"),
        small_contract_rule=v.choice(data, "small_contract_rule", ("one_social_activity", "none"),
                                     default="one_social_activity"),
        priority_themes=v.choices(data, "priority_themes", THEME_CODES),
        notes=v.text(data, "notes", max_len=5000),
    )
    session.add(gov)
    session.flush()
    record(session, actor=actor, action="government.created", entity_type="government", entity_id=gov.id or 0,
           after=snapshot(gov, ("slug", "name", "kind", "percentage_bp", "threshold_cents", "cap_cents")))
    session.commit()
    return gov


def create_table(session: Session, *, actor: User | None, government_id: int, data: dict[str, Any],
                 blocks: list[dict[str, Any]]) -> ValuationTable:
    """Add a new table version; the previous open-ended version ends the day before it starts."""
    try:
        return _create_table(session, actor=actor, government_id=government_id, data=data, blocks=blocks)
    except BaseException:
        session.rollback()  # nothing of a refused table stays behind, nor the previous version's new end
        raise


def _create_table(session: Session, *, actor: User | None, government_id: int, data: dict[str, Any],
                  blocks: list[dict[str, Any]]) -> ValuationTable:
    _require_admin(actor)
    gov = session.get(Government, government_id)
    if gov is None:
        raise NotFound(N_("This government does not exist."))
    start = v.day(data, "effective_from", required=True)
    assert start is not None
    tables = session.exec(select(ValuationTable).where(ValuationTable.government_id == government_id)).all()
    if any(t.effective_from >= start for t in tables):
        raise ServiceError(N_("A new version must start after the latest one."), field="effective_from")
    if not blocks:
        raise ServiceError(N_("A table needs at least one building block."), field="blocks")
    version = max((t.version for t in tables), default=0) + 1
    table = ValuationTable(government_id=government_id, version=version,
                           name=v.text(data, "name", max_len=200, required=True), effective_from=start,
                           effective_to=v.day(data, "effective_to"), source=v.text(data, "source", max_len=1000),
                           assumption=v.text(data, "assumption", max_len=1000) or None)
    for previous in tables:
        if previous.effective_to is None or previous.effective_to >= start:
            previous.effective_to = start.fromordinal(start.toordinal() - 1)
            session.add(previous)
    session.add(table)
    session.flush()
    codes: set[str] = set()
    for row in blocks:
        code = v.text(row, "code", max_len=60, required=True).lower()
        if code in codes:
            raise ServiceError(N_("Building-block codes must be unique in a table."), field="blocks")
        codes.add(code)
        unit = v.choice(row, "unit", BLOCK_UNITS)
        value = v.integer(row, "value_cents", low=0, high=MAX_CENTS, required=False)
        pct = v.integer(row, "percentage_bp", low=0, high=10_000, required=False)
        if unit in ("fte_year", "internship_year", "hour", "day", "bonus") and value is None:
            raise ServiceError(N_("Block %(code)s needs a value per unit."), field="blocks", code=code)
        session.add(BuildingBlock(
            table_id=table.id or 0, code=code, route=v.choice(row, "route", ROUTES),
            label=v.text(row, "label", max_len=200, required=True), unit=unit, value_cents=value,
            percentage_bp=pct if unit == "euro_spent" else None,
            max_months=v.integer(row, "max_months", low=1, high=120, required=False),
            target_group=v.text(row, "target_group", max_len=40) or None))
    record(session, actor=actor, action="valuation_table.created", entity_type="valuation_table",
           entity_id=table.id or 0, after={"version": version, "blocks": sorted(codes)})
    session.commit()
    return table


def create_user(session: Session, *, actor: User | None, data: dict[str, Any]) -> User:
    _require_admin(actor)
    email = normalise_email(v.text(data, "email", max_len=254, required=True))
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ServiceError(N_("Enter a valid e-mail address."), field="email")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise ServiceError(N_("A user with this e-mail address exists already."), field="email")
    password = str(data.get("password") or "")
    if len(password) < 10:
        raise ServiceError(N_("A password needs at least 10 characters."), field="password")
    role = v.choice(data, "role", ROLES)
    user = User(email=email, name=v.text(data, "name", max_len=200), role=role,
                password_hash=hash_password(password), locale=v.choice(data, "locale", ("nl", "en"), default="nl"))
    org_field, model = {"company": ("company_id", Company), "initiative": ("initiative_id", Initiative),
                        "officer": ("government_id", Government)}.get(role, (None, None))
    if org_field and model:
        raw = data.get(org_field)
        org = session.get(model, int(raw)) if raw not in (None, "") and str(raw).isdigit() else None
        if org is None:
            raise ServiceError(N_("Choose the organisation this user belongs to."), field=org_field)
        setattr(user, org_field, org.id)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.created", entity_type="user", entity_id=user.id or 0,
           after={"email": email, "role": role})
    session.commit()
    return user


def set_user_active(session: Session, *, actor: User | None, user_id: int, active: bool) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("This user does not exist."))
    if actor is not None and user.id == actor.id and not active:
        raise ServiceError(N_("You cannot deactivate yourself."), field="active")
    before = {"active": user.active}
    user.active = active
    session.add(user)
    record(session, actor=actor, action="user.activated" if active else "user.deactivated",
           entity_type="user", entity_id=user.id or 0, before=before, after={"active": active})
    session.commit()
    return user
