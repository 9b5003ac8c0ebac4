"""Load a seed folder (docs/seeds.md) through the services, so seeds obey the same rules as users.

Everything is added to the caller's transaction (`srx seed` wraps the load in one unit of work): a seed
folder with one bad entry stores nothing.
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from .models import (
    BuildingBlock,
    Company,
    Eligibility,
    Government,
    HandprintScore,
    Initiative,
    Need,
    PolicyVersion,
    User,
    ValuationTable,
)
from .policy import Policy
from .services import approvals, deliveries, pledges
from .services.auth import hash_password
from .services.contracts import ContractInput, register_contract
from .services.errors import ServiceError
from .services.policies import check_policy


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the file and entry."""


def _read(folder: Path, name: str, key: str) -> list[dict[str, Any]]:
    path = folder / name
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML: {exc}") from exc
    rows = data.get(key, [])
    if not isinstance(rows, list):
        raise SeedError(f"{path}: '{key}' must be a list")
    return rows


def load_seeds(
    session: Session, folder: Path, *, if_empty: bool = False, progress: Callable[[str], None] | None = None
) -> dict[str, int] | None:
    """Load governments, initiatives, companies (with contracts and matches) and users."""
    say = progress or (lambda _msg: None)
    if not folder.is_dir():
        raise SeedError(f"{folder}: no such folder")
    if if_empty and session.exec(select(Government.id)).first() is not None:
        return None
    counts: dict[str, int] = {}
    try:
        govs = _load_governments(session, _read(folder, "governments.yaml", "governments"))
        counts["governments"] = len(govs)
        say(f"governments: {len(govs)}")
        inits, needs = _load_initiatives(session, _read(folder, "initiatives.yaml", "initiatives"), govs)
        counts["initiatives"], counts["needs"] = len(inits), len(needs)
        say(f"initiatives: {len(inits)}, needs: {len(needs)}")
        companies = _load_companies(session, _read(folder, "companies.yaml", "companies"))
        counts["companies"] = len(companies)
        users = _load_users(session, _read(folder, "users.yaml", "users"), govs, companies, inits)
        counts["users"] = len(users)
        say(f"companies: {len(companies)}, users: {len(users)}")
        contracts, matches = _load_contracts(
            session, _read(folder, "companies.yaml", "companies"), govs, companies, inits, needs, users
        )
        counts["contracts"], counts["matches"] = contracts, matches
        say(f"contracts: {contracts}, matches: {matches}")
    except (KeyError, TypeError, ValueError) as exc:
        raise SeedError(f"bad seed entry: {exc!r}") from exc
    return counts


def _load_governments(session: Session, rows: list[dict[str, Any]]) -> dict[str, Government]:
    """Governments with their policy versions (`policies`, or one `policy` in force from 2000) and tables."""
    out: dict[str, Government] = {}
    for row in rows:
        gov = Government(slug=row["slug"], name=row["name"], kind=row.get("kind", "municipality"),
                         municipality=row.get("municipality", ""), lat=row.get("lat"), lon=row.get("lon"),
                         notes=row.get("notes") or (row.get("policy") or {}).get("notes") or "")
        session.add(gov)
        session.flush()
        versions = row.get("policies") or [{"effective_from": "2000-01-01", **(row.get("policy") or {})}]
        for number, prow in enumerate(versions, start=1):
            fields = {k: val for k, val in prow.items() if k not in ("effective_from", "notes", "note")}
            policy = check_policy(Policy.from_dict(fields))
            session.add(PolicyVersion(government_id=gov.id or 0, version=number,
                                      effective_from=_required_date(prow["effective_from"]),
                                      policy=policy.as_dict(), note=prow.get("note") or "demo seed"))
        for trow in row.get("tables", []):
            table = ValuationTable(
                government_id=gov.id or 0, version=trow["version"], name=trow["name"],
                effective_from=_required_date(trow["effective_from"]), effective_to=_date(trow.get("effective_to")),
                source=trow.get("source") or "", assumption=trow.get("assumption"),
                group_caps=dict(trow.get("group_caps") or {}))
            session.add(table)
            session.flush()
            for brow in trow.get("blocks", []):
                session.add(BuildingBlock(
                    table_id=table.id or 0, code=brow["code"], route=brow["route"], label=brow["label"],
                    label_en=brow.get("label_en") or "", unit=brow["unit"], value_cents=brow.get("value_cents"),
                    percentage_bp=brow.get("percentage_bp"), max_months=brow.get("max_months"),
                    target_group=brow.get("target_group"), at_most=bool(brow.get("at_most")),
                    conditions=dict(brow.get("conditions") or {})))
        out[gov.slug] = gov
    session.flush()
    return out


def _required_date(value: Any) -> date:
    day = _date(value)
    if day is None:
        raise SeedError(f"a date is required, found {value!r}")
    return day


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _load_initiatives(
    session: Session, rows: list[dict[str, Any]], govs: dict[str, Government]
) -> tuple[dict[str, Initiative], dict[str, Need]]:
    inits: dict[str, Initiative] = {}
    needs: dict[str, Need] = {}
    for row in rows:
        ini = Initiative(
            slug=row["slug"],
            kind=row.get("kind", "initiative"),
            name=row["name"],
            summary=row.get("summary", ""),
            description=row.get("description", ""),
            municipality=row.get("municipality", ""),
            neighbourhood=row.get("neighbourhood", ""),
            lat=row.get("lat"),
            lon=row.get("lon"),
            life_phase=row.get("life_phase", "start"),
            website=row.get("website"),
            target_groups=row.get("target_groups") or [],
        )
        session.add(ini)
        session.flush()
        for h in row.get("handprint", []):
            session.add(
                HandprintScore(
                    initiative_id=ini.id or 0,
                    theme=h["theme"],
                    score=int(h["score"]),
                    yearly_value_cents=h.get("yearly_value_cents"),
                    indicator=h.get("indicator", ""),
                )
            )
        for slug in row.get("eligible_for", []):
            if slug not in govs:
                raise SeedError(f"initiative {ini.slug}: unknown government '{slug}' in eligible_for")
            session.add(
                Eligibility(
                    government_id=govs[slug].id or 0,
                    initiative_id=ini.id or 0,
                    since=date(2025, 1, 1),
                    note="demo",
                )
            )
        for n in row.get("needs", []):
            need = Need(
                reference=n["reference"],
                initiative_id=ini.id or 0,
                kind=n["kind"],
                title=n["title"],
                description=n.get("description", ""),
                themes=n.get("themes") or [],
                quantity=int(n["quantity"]),
                unit=n["unit"],
                deadline=_date(n.get("deadline")),
                status=n.get("status", "open"),
            )
            session.add(need)
            needs[need.reference] = need
        inits[ini.slug] = ini
    session.flush()
    return inits, needs


def _load_companies(session: Session, rows: list[dict[str, Any]]) -> dict[str, Company]:
    out: dict[str, Company] = {}
    for row in rows:
        company = Company(
            slug=row["slug"],
            name=row["name"],
            kvk=str(row["kvk"]),
            sector=row.get("sector", ""),
            city=row.get("city", ""),
            lat=row.get("lat"),
            lon=row.get("lon"),
            profile=row.get("profile", ""),
            interests=row.get("interests") or [],
            pso_level=row.get("pso_level"),
        )
        session.add(company)
        out[company.slug] = company
    session.flush()
    return out


def _load_users(
    session: Session,
    rows: list[dict[str, Any]],
    govs: dict[str, Government],
    companies: dict[str, Company],
    inits: dict[str, Initiative],
) -> list[User]:
    users = []
    hashes: dict[str, str] = {}
    for row in rows:
        password = row["password"]
        # The demo reuses few passwords; hash each once.
        if password not in hashes:
            hashes[password] = hash_password(password)
        user = User(
            email=row["email"].lower(),
            name=row.get("name", ""),
            role=row["role"],
            password_hash=hashes[password],
            locale=row.get("locale", "nl"),
        )
        if row["role"] == "officer":
            user.government_id = govs[row["government"]].id
        elif row["role"] == "company":
            user.company_id = companies[row["company"]].id
        elif row["role"] == "initiative":
            user.initiative_id = inits[row["initiative"]].id
        session.add(user)
        users.append(user)
    session.flush()
    return users


def _actor(users: list[User], role: str, **org: int | None) -> User:
    """The seeded user acting for an organisation, or a stand-in recorded as the system."""
    key, value = next(iter(org.items()))
    for user in users:
        if user.role == role and getattr(user, key) == value:
            return user
    stand_in = User(id=None, email="seed@srx.local", role=role, password_hash="!")
    setattr(stand_in, key, value)
    return stand_in


def _load_contracts(
    session: Session,
    rows: list[dict[str, Any]],
    govs: dict[str, Government],
    companies: dict[str, Company],
    inits: dict[str, Initiative],
    needs: dict[str, Need],
    users: list[User],
) -> tuple[int, int]:
    n_contracts = n_matches = 0
    for row in rows:
        company = companies[row["slug"]]
        for c in row.get("contracts", []):
            gov = govs.get(c["government"])
            if gov is None:
                raise SeedError(f"contract {c.get('reference')}: unknown government '{c['government']}'")
            data = ContractInput(
                reference=str(c["reference"]),
                title=str(c["title"]),
                sum_cents=c["sum_cents"],
                award_date=_date(c["award_date"]),
                end_date=_date(c["end_date"]),
                company_id=company.id,
                labour_component_cents=c.get("labour_component_cents"),
            )
            try:
                contract = register_contract(session, actor=None, government=gov, data=data)
            except ServiceError as exc:
                raise SeedError(f"contract {c.get('reference')}: {exc}") from exc
            n_contracts += 1
            company_user = _actor(users, "company", company_id=company.id)
            officer = _actor(users, "officer", government_id=gov.id)
            for i, m in enumerate(c.get("matches", [])):
                where = f"contract {contract.reference}, match {i + 1}"
                need = needs.get(m["need"]) if m.get("need") else None
                if m.get("need") and need is None:
                    raise SeedError(f"{where}: unknown need '{m['need']}'")
                initiative = inits.get(m["initiative"]) if m.get("initiative") else None
                if m.get("initiative") and initiative is None:
                    raise SeedError(f"{where}: unknown initiative '{m['initiative']}'")
                req = pledges.PledgeRequest(
                    contract_id=contract.id or 0,
                    block_code=m["block"],
                    quantity=m.get("quantity"),
                    need_id=need.id if need else None,
                    initiative_id=initiative.id if initiative and not need else None,
                    hours_per_week=m.get("hours_per_week"),
                    months=m.get("months"),
                    weeks=m.get("weeks"),
                    bonuses=tuple(m.get("bonuses") or ()),
                    note=m.get("note") or "",
                )
                try:
                    match = pledges.create_pledge(session, actor=company_user, req=req)
                    _advance(session, match.id or 0, m, company_user, officer, users)
                except ServiceError as exc:
                    raise SeedError(f"{where}: {exc}") from exc
                n_matches += 1
    return n_contracts, n_matches


def _advance(
    session: Session, match_id: int, m: dict[str, Any], company_user: User, officer: User, users: list[User]
) -> None:
    status = m.get("status", "proposed")
    reason = m.get("reason") or ""
    if status == "proposed":
        return
    if status == "cancelled":
        pledges.cancel_pledge(session, actor=company_user, match_id=match_id)
    elif status == "rejected":
        approvals.reject_match(session, actor=officer, match_id=match_id, reason=reason or "—")
    elif status == "changes_requested":
        approvals.request_changes(session, actor=officer, match_id=match_id, reason=reason or "—")
    elif status in ("approved", "delivered"):
        match = approvals.approve_match(
            session,
            actor=officer,
            match_id=match_id,
            reason=reason,
            agreed_value_cents=m.get("agreed_value_cents"),
        )
        if status == "delivered":
            if match.initiative_id is not None:
                actor = _actor(users, "initiative", initiative_id=match.initiative_id)
            else:
                actor = company_user
            deliveries.confirm_delivery(
                session, actor=actor, match_id=match_id, note=m.get("delivered_note") or ""
            )
    else:
        raise SeedError(f"unknown status '{status}'")
