"""Load a seed folder (docs/seeds.md) through the services, so seeds obey the same rules as users.

Everything is added to the caller's transaction (`srx seed` wraps the load in one unit of work): a seed
folder with one bad entry stores nothing.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import update
from sqlmodel import Session, col, select

from .models import (
    AdviserGovernment,
    AuditEvent,
    BuildingBlock,
    Company,
    Contract,
    Decision,
    Eligibility,
    Government,
    HandprintScore,
    Initiative,
    Match,
    Need,
    PolicyVersion,
    User,
    ValuationTable,
)
from .models._base import utcnow
from .policy import Policy
from .seeding_lifecycle import SeedLifecycleError, seed_plan, seed_reports, seed_settlements
from .services import (
    approvals,
    certificates,
    deliveries,
    pledges,
    revisions,
    smart_plans,
    suppliers,
    validation,
)
from .services.auth import hash_password
from .services.contracts import ContractInput, register_contract
from .services.errors import ServiceError
from .services.placements import PlacementInput, person_key
from .services.policies import check_policy
from .services.suppliers import SupplierInput
from .storage import storage


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
    from sqlalchemy import func

    from .models import Notification

    before = session.exec(select(func.max(Notification.id))).one() or 0
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
    _quiet_history(session, before)
    # The seeds date their history back after writing it: chain the audit trail again over the dated rows.
    from . import audit_chain

    session.flush()
    conn = session.connection()
    audit_chain.rebuild(conn, audit_chain.key_for(conn.engine))
    session.expire_all()
    return counts


def _quiet_history(session: Session, after_id: int) -> None:
    """The seeds replay history through the services: its notifications show under the bell, but nobody
    gets mail about what happened before the demo started."""
    from sqlalchemy import update

    from .models import MailState, Notification

    session.flush()
    session.execute(
        update(Notification)
        .where(
            col(Notification.id) > after_id,
            col(Notification.mail_state).in_((MailState.PENDING, MailState.DIGEST)),
        )
        .values(mail_state=MailState.OFF)
    )


def _load_governments(session: Session, rows: list[dict[str, Any]]) -> dict[str, Government]:
    """Governments with their policy versions (`policies`, or one `policy` in force from 2000) and tables."""
    out: dict[str, Government] = {}
    for row in rows:
        gov = Government(
            slug=row["slug"],
            name=row["name"],
            kind=row.get("kind", "municipality"),
            municipality=row.get("municipality", ""),
            lat=row.get("lat"),
            lon=row.get("lon"),
            notes=row.get("notes") or (row.get("policy") or {}).get("notes") or "",
        )
        session.add(gov)
        session.flush()
        versions = row.get("policies") or [{"effective_from": "2000-01-01", **(row.get("policy") or {})}]
        for number, prow in enumerate(versions, start=1):
            fields = {k: val for k, val in prow.items() if k not in ("effective_from", "notes", "note")}
            policy = check_policy(Policy.from_dict(fields))
            session.add(
                PolicyVersion(
                    government_id=gov.id or 0,
                    version=number,
                    effective_from=_required_date(prow["effective_from"]),
                    policy=policy.as_dict(),
                    note=prow.get("note") or "demo seed",
                )
            )
        for trow in row.get("tables", []):
            table = ValuationTable(
                government_id=gov.id or 0,
                version=trow["version"],
                name=trow["name"],
                effective_from=_required_date(trow["effective_from"]),
                effective_to=_date(trow.get("effective_to")),
                source=trow.get("source") or "",
                assumption=trow.get("assumption"),
                group_caps=dict(trow.get("group_caps") or {}),
            )
            session.add(table)
            session.flush()
            for brow in [*trow.get("blocks", []), *trow.get("extra_blocks", [])]:
                session.add(
                    BuildingBlock(
                        table_id=table.id or 0,
                        code=brow["code"],
                        route=brow["route"],
                        label=brow["label"],
                        label_en=brow.get("label_en") or "",
                        unit=brow["unit"],
                        value_cents=brow.get("value_cents"),
                        percentage_bp=brow.get("percentage_bp"),
                        max_months=brow.get("max_months"),
                        target_group=brow.get("target_group"),
                        at_most=bool(brow.get("at_most")),
                        conditions=dict(brow.get("conditions") or {}),
                    )
                )
        out[gov.slug] = gov
    session.flush()
    return out


def _required_date(value: Any) -> date:
    day = _date(value)
    if day is None:
        raise SeedError(f"a date is required, found {value!r}")
    return day


def _date(value: Any) -> date | None:
    """An ISO date, or one relative to the day the seeds load: `today`, `today+30`, `today-6`."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if text.startswith("today"):
        offset = text[5:].replace(" ", "")
        return utcnow().date() + timedelta(days=int(offset) if offset else 0)
    return date.fromisoformat(text)


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
            # Checked as the profile form checks them: a seed file cannot publish a javascript: link.
            website=validation.website(row.get("website"), "website"),
            contact_email=validation.email(row.get("contact_email"), "contact_email"),
            contact_phone=validation.phone(row.get("contact_phone"), "contact_phone"),
            contact_name=validation.text(row.get("contact_name"), "contact_name", max_len=100),
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
    served: list[tuple[User, list[Government]]] = []
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
        if row["role"] == "adviser":
            served.append((user, [govs[slug] for slug in row["governments"]]))
    session.flush()
    for user, governments in served:
        session.add_all(AdviserGovernment(user_id=user.id or 0, government_id=g.id or 0) for g in governments)
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


def _placement(m: dict[str, Any], secret: str) -> PlacementInput:
    p = m["placement"]
    return PlacementInput(
        person_key=person_key(str(p["reference"]), secret),
        target_group=p["target_group"],
        proof_kind=p.get("proof_kind", "benefit_letter"),
        employment=p.get("employment", "temporary"),
        start_date=_required_date(p["start_date"]),
        end_date=_required_date(p["end_date"]),
        hours_per_week=int(p.get("hours_per_week", 36)),
        age_band=p.get("age_band", "under_50"),
        statushouder_or_language=bool(p.get("statushouder_or_language")),
        after_vso_pro_internship=bool(p.get("after_vso_pro_internship")),
        occupational_disability=bool(p.get("occupational_disability")),
    )


def _load_certificates(session: Session, row: dict[str, Any], company_user: User) -> dict[str, int]:
    out: dict[str, int] = {}
    for cert in row.get("certificates", []):
        made = certificates.add_certificate(
            session,
            actor=company_user,
            data=certificates.CertificateInput(
                level=cert["level"],
                issued_on=_date(cert["issued_on"]),
                valid_until=_date(cert["valid_until"]),
                number=str(cert.get("number", "")),
            ),
        )
        out[made.level] = made.id or 0
    return out


def _load_smart_plans(
    session: Session,
    c: dict[str, Any],
    contract: Contract,
    inits: dict[str, Initiative],
    company_user: User,
    officer: User,
) -> dict[int, int]:
    """The contract's SMART plans; returns the approved plan per initiative id."""
    approved: dict[int, int] = {}
    for plan in c.get("smart_plans", []):
        ini = inits[plan["initiative"]]
        made = smart_plans.submit_smart_plan(
            session,
            actor=company_user,
            data=smart_plans.SmartPlanInput(
                contract_id=contract.id or 0,
                initiative_id=ini.id or 0,
                goal=plan["goal"],
                target_group=plan["target_group"],
                roots=plan["roots"],
                participants=plan["participants"],
            ),
        )
        status = plan.get("status", "submitted")
        if status in ("approved", "changes_requested"):
            smart_plans.decide_smart_plan(
                session,
                actor=officer,
                plan_id=made.id or 0,
                approve=status == "approved",
                reason=plan.get("reason") or "",
            )
        if status == "approved":
            approved[ini.id or 0] = made.id or 0
    return approved


def _pledge_day(contract: Contract, position: int, m: dict[str, Any], today: date) -> date:
    """When a seeded pledge was made: as the seed says, or spread over the contract's first months."""
    if m.get("on"):
        return _required_date(m["on"])
    day = contract.award_date + timedelta(days=10 + 23 * position)
    return min(day, contract.end_date, today)


def _backdate(session: Session, match: Match, day: date) -> None:
    """Put a seeded pledge and its history at the day it was made (events a week apart), not at seeding time."""
    at = datetime.combine(day, time(9, 30), tzinfo=UTC)
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "match", AuditEvent.entity_id == match.id)
        .order_by(col(AuditEvent.id))
    ).all()
    for n, event in enumerate(events):
        event.at = at + timedelta(days=7 * n, hours=n)
        session.add(event)
    last = events[-1].at if events else at
    session.execute(update(Match).where(col(Match.id) == match.id).values(created_at=at, updated_at=last))
    approved = next((e.at for e in events if e.action == "match.approved"), None)
    if approved is not None:
        session.execute(update(Match).where(col(Match.id) == match.id).values(approved_at=approved))
    if match.status == "delivered":
        session.execute(update(Match).where(col(Match.id) == match.id).values(delivered_at=last))
    for decision in session.exec(select(Decision).where(Decision.match_id == match.id)).all():
        decision.decided_at = at + timedelta(days=7)
        session.add(decision)


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
    secret = current_app.config["PERSON_KEY_SECRET"]
    today = utcnow().date()
    officers: dict[int, User] = {}
    to_settle: list[tuple[Contract, dict[str, Any]]] = []
    for row in rows:
        company = companies[row["slug"]]
        company_user = _actor(users, "company", company_id=company.id)
        certs = _load_certificates(session, row, company_user)
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
                kind=c.get("kind", "services"),
            )
            try:
                contract = register_contract(session, actor=None, government=gov, data=data)
            except ServiceError as exc:
                raise SeedError(f"contract {c.get('reference')}: {exc}") from exc
            n_contracts += 1
            officer = _actor(users, "officer", government_id=gov.id)
            officers[gov.id or 0] = officer
            life = c.get("lifecycle") or {}
            try:
                plans = _load_smart_plans(session, c, contract, inits, company_user, officer)
                seed_plan(
                    session,
                    contract,
                    life.get("plan"),
                    has_matches=bool(c.get("matches")),
                    company_user=company_user,
                    officer=officer,
                    day=_date,
                )
            except (ServiceError, KeyError) as exc:
                raise SeedError(
                    f"contract {contract.reference}, SMART plans and plan van aanpak: {exc}"
                ) from exc
            if life.get("settlement"):
                to_settle.append((contract, life["settlement"]))
            for i, m in enumerate(c.get("matches", [])):
                where = f"contract {contract.reference}, match {i + 1}"
                need = needs.get(m["need"]) if m.get("need") else None
                if m.get("need") and need is None:
                    raise SeedError(f"{where}: unknown need '{m['need']}'")
                initiative = inits.get(m["initiative"]) if m.get("initiative") else None
                if m.get("initiative") and initiative is None:
                    raise SeedError(f"{where}: unknown initiative '{m['initiative']}'")
                supplier = None
                if m.get("supplier"):
                    sup = m["supplier"]
                    supplier = SupplierInput(
                        kvk=str(sup["kvk"]),
                        name=sup["name"],
                        kind=sup["kind"],
                        basis=sup["basis"],
                        evidence=sup.get("evidence", ""),
                    )
                req = pledges.PledgeRequest(
                    contract_id=contract.id or 0,
                    block_code=m["block"],
                    quantity=m.get("quantity"),
                    need_id=need.id if need else None,
                    initiative_id=initiative.id if initiative and not need else None,
                    weeks=m.get("weeks"),
                    note=m.get("note") or "",
                    placement=_placement(m, secret) if m.get("placement") else None,
                    certificate_id=certs.get(m["certificate"]) if m.get("certificate") else None,
                    supplier=supplier,
                    smart_plan_id=plans.get(initiative.id or 0) if initiative else None,
                )
                try:
                    day = _pledge_day(contract, i, m, today)
                    match = pledges.create_pledge(session, actor=company_user, req=req, today=day)
                    if m.get("recognised") and match.supplier_id:
                        recognition = suppliers.recognition_for(session, gov.id or 0, match.supplier_id)
                        assert recognition is not None
                        suppliers.decide_recognition(
                            session,
                            actor=officer,
                            recognition_id=recognition.id or 0,
                            recognise=True,
                            note="",
                        )
                    _advance(session, match.id or 0, m, company_user, officer, users)
                    if m.get("revision"):
                        _revise(session, match, m["revision"], company_user, officer)
                    _backdate(session, match, day)
                    if m.get("reports"):
                        seed_reports(
                            session,
                            match,
                            m["reports"],
                            company_user=company_user,
                            officer=officer,
                            store=storage(),
                            today=today,
                            day=_date,
                        )
                except (ServiceError, SeedLifecycleError) as exc:
                    raise SeedError(f"{where}: {exc}") from exc
                n_matches += 1
    try:
        seed_settlements(session, to_settle, officers=officers, today=today, day=_date)
    except SeedLifecycleError as exc:
        raise SeedError(str(exc)) from exc
    return n_contracts, n_matches


def _revise(session: Session, match: Match, r: dict[str, Any], company_user: User, officer: User) -> None:
    revision = revisions.propose_revision(
        session,
        actor=company_user,
        data=revisions.RevisionInput(
            match_id=match.id or 0,
            kind=r["kind"],
            reason=r["reason"],
            new_end_date=_date(r.get("new_end_date")),
            new_quantity=r.get("new_quantity"),
            new_value_cents=r.get("new_value_cents"),
        ),
    )
    if r.get("status", "proposed") in ("approved", "rejected"):
        revisions.decide_revision(
            session,
            actor=officer,
            revision_id=revision.id or 0,
            approve=r["status"] == "approved",
            reason=r.get("decision_reason") or "",
        )


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
