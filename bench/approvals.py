"""Approvals benchmark: officers approving proposed pledges on PostgreSQL under gunicorn.

Run: .venv/bin/python -m bench approvals [--database-url postgresql://postgres@127.0.0.1:5432/srx_bench]
     [--clients 32] [--matches 640] [--contended 200] [--out FILE]

The database (default: `srx_bench` on the server of BENCH_DATABASE_URL or TEST_DATABASE_URL) is dropped
and created again, migrated and seeded; --matches + --matches + --contended proposed pledges are added to
Amsterdam's open contracts (copies of a demo pledge), and a second Amsterdam officer. SRX runs under
gunicorn with gunicorn.conf.py and the production search setting (SEARCH_SYNC_INLINE=false: `srx search
sync --loop` applies index changes, not the request). Three runs, each --clients concurrent keep-alive
clients, each with its own slice:

1. the API: POST /api/v1/matches/<id>/approve (JSON, the session cookie and X-CSRFToken);
2. the form: POST /officer/matches/<id>/approve (csrf_token and the version the officer saw), as a browser;
3. contended: two officers (half the clients each) approve the same pledges at the same time through the API.

Afterwards it checks in the database that nothing was lost or doubled: every pledge approved exactly once,
one decision and one `match.approved` audit event per pledge, the committed sum equal to the pledges'
values; in the contended run exactly one 200 per pledge and one refusal (409 when the second waited on the
row lock, 412 when its If-Match already names the old version). It prints approvals/s, p50 and p95,
and the checks. It measures; it asserts nothing (a failed check is printed, and the exit status is 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

from .serve import Gunicorn, Instance, cookie_header, csrf_token, get_page, login, machine

TARGET_PER_S = 300.0
OFFICERS = {
    "officer@amsterdam.demo": "demo-officer-2026",
    "officer2@amsterdam.demo": "demo-officer-2026",
}


def database_url(given: str | None) -> str | None:
    base = given or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        return None
    if given:
        return given
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/srx_bench"))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


SETUP = """
import json, sys
from sqlmodel import select, col
from marketplace import create_app
from marketplace.db import get_session, unit_of_work
from marketplace.models import BlockUnit, BuildingBlock, Contract, Government, Match, User
from marketplace.services.admin import UserInput, create_user

n = json.loads(sys.argv[1])
app = create_app()
with app.app_context(), unit_of_work() as s:
    gov = s.exec(select(Government).where(Government.slug == "amsterdam")).one()
    admin = s.exec(select(User).where(User.email == "admin@srx.demo")).one()
    create_user(s, actor=admin, data=UserInput(email="officer2@amsterdam.demo", role="officer",
                password="demo-officer-2026", organisation_id=gov.id))
    contracts = {c.id: c for c in s.exec(select(Contract).where(Contract.government_id == gov.id,
                 col(Contract.status).in_(("running", "plan_approved", "awarded", "plan_due")))).all()}
    template = None
    for m in s.exec(select(Match).where(col(Match.contract_id).in_(list(contracts)),
                                        col(Match.supplier_id).is_(None)).order_by(Match.id)).all():
        block = s.get(BuildingBlock, m.block_id)
        if block.unit != BlockUnit.BY_AGREEMENT and not block.at_most and m.value_cents > 0:
            template = m
            break
    assert template is not None, "no demo pledge to copy"
    fields = template.model_dump(exclude={"id", "submission_key", "status", "version", "approved_at",
                                          "officer_reason", "created_at", "updated_at"})
    groups = {}
    for name, count in n.items():
        rows = [Match(**fields, status="proposed") for _ in range(count)]
        s.add_all(rows)
        s.flush()
        groups[name] = [r.id for r in rows]
    print(json.dumps({"groups": groups, "contract_id": template.contract_id,
                      "value_cents": template.value_cents}))
"""

CHECK = """
import json, sys
from sqlalchemy import create_engine, text
import os
url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
ids = json.loads(sys.argv[1])
with create_engine(url).connect() as c:
    q = lambda sql: c.execute(text(sql), {"ids": ids}).all()
    print(json.dumps({
        "approved": q("select count(*) from match where id = any(:ids) and status = 'approved'")[0][0],
        "other_status": dict(q("select status, count(*) from match where id = any(:ids) "
                               "and status <> 'approved' group by status")),
        "decisions": dict(zip(("count", "distinct"), q("select count(*), count(distinct match_id) "
                                                        "from decision where match_id = any(:ids)")[0])),
        "audit_approved": dict(zip(("count", "distinct"), q("select count(*), count(distinct entity_id) "
                            "from auditevent where entity_type = 'match' and action = 'match.approved' "
                            "and entity_id = any(:ids)")[0])),
        "approved_sum_cents": int(q("select coalesce(sum(value_cents), 0) from match where id = any(:ids) "
                                    "and status = 'approved'")[0][0]),
    }))
"""


# The value of every copied pledge (set once they are made): the form sends it as the value the officer saw.
SEEN: dict[str, int] = {"value_cents": 0}


def _post_api(conn: Any, match_id: int, cookie: str, token: str) -> int:
    body = b"{}"
    head = (
        f"POST /api/v1/matches/{match_id}/approve HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\nX-CSRFToken: {token}\r\n"
        f'If-Match: "match-{match_id}-v1"\r\n'
        f"Cookie: {cookie}\r\nContent-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return int(conn.request(head.encode() + body))


def _post_form(conn: Any, match_id: int, cookie: str, token: str) -> int:
    # What the confirmation page posts: the version and value the officer saw, confirmed.
    fields = {"csrf_token": token, "version": "1", "seen_value": str(SEEN["value_cents"]), "reason": ""}
    body = urllib.parse.urlencode({**fields, "confirmed": "yes"}).encode()
    head = (
        f"POST /officer/matches/{match_id}/approve HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nCookie: {cookie}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return int(conn.request(head.encode() + body))


def drive(port: int, plan: list[tuple[list[int], str, str]], kind: str) -> dict[str, Any]:
    """One thread per (ids, cookie, token); each approves its ids one after the other."""
    from .serve import _Conn

    post = _post_api if kind == "api" else _post_form
    lats: list[list[float]] = [[] for _ in plan]
    codes: list[Counter[int]] = [Counter() for _ in plan]
    per_match: list[list[tuple[int, int]]] = [[] for _ in plan]
    barrier = threading.Barrier(len(plan) + 1)

    def worker(i: int) -> None:
        ids, cookie, token = plan[i]
        conn = _Conn(port)
        barrier.wait()
        try:
            for mid in ids:
                t0 = time.perf_counter()
                try:
                    status = post(conn, mid, cookie, token)
                except OSError:
                    status = 599
                lats[i].append((time.perf_counter() - t0) * 1000)
                codes[i][status] += 1
                per_match[i].append((mid, status))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(plan))]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    xs = sorted(x for ls in lats for x in ls)
    total = sum(codes, Counter())
    return {
        "requests": len(xs),
        "seconds": round(seconds, 2),
        "per_s": round(len(xs) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(xs[len(xs) // 2], 1) if xs else None,
        "p95_ms": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 1) if xs else None,
        "statuses": {str(k): v for k, v in sorted(total.items())},
        "_per_match": [pm for ls in per_match for pm in ls],
    }


def _slices(ids: list[int], n: int) -> list[list[int]]:
    return [ids[i::n] for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench approvals", description=(__doc__ or "").splitlines()[0]
    )
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (dropped and created again)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--matches", type=int, default=640, help="pledges per disjoint run (API, form)")
    ap.add_argument("--contended", type=int, default=200, help="pledges both officers approve")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "approvals.json"))
    args = ap.parse_args(argv)
    url = database_url(args.database_url)
    if not url:
        print(
            "approvals skipped: no --database-url, BENCH_DATABASE_URL or TEST_DATABASE_URL", file=sys.stderr
        )
        return 0
    results: dict[str, Any] = {
        "machine": machine(),
        "target_per_s": TARGET_PER_S,
        "settings": vars(args).copy(),
    }
    results["settings"]["database_url"] = urllib.parse.urlsplit(url)._replace(netloc="…").geturl()
    print(f"… recreating {urllib.parse.urlsplit(url).path.lstrip('/')}", file=sys.stderr, flush=True)
    recreate_database(url)
    inst = Instance(url, SEARCH_SYNC_INLINE="false")
    ok = True
    try:
        print("… migrate, seed, proposed pledges", file=sys.stderr, flush=True)
        inst.prepare()
        counts = {"api": args.matches, "form": args.matches, "contended": args.contended}
        made = json.loads(inst.python(SETUP, json.dumps(counts)).strip().splitlines()[-1])
        groups: dict[str, list[int]] = made["groups"]
        SEEN["value_cents"] = int(made["value_cents"])
        with Gunicorn(inst, workers=args.workers, threads=args.threads) as server:
            sessions = {}
            for email, password in OFFICERS.items():
                jar = login(server.port, email, password)
                # The page's token belongs to the session it sets (the login starts a new session).
                html = get_page(server.port, "/officer/", jar)
                sessions[email] = (cookie_header(jar), csrf_token(html))
            first = sessions["officer@amsterdam.demo"]
            second = sessions["officer2@amsterdam.demo"]
            runs: dict[str, Any] = {}
            for kind in ("api", "form"):
                print(f"… {kind}: {len(groups[kind])} approvals, {args.clients} clients", file=sys.stderr)
                plan = [(ids, *first) for ids in _slices(groups[kind], args.clients)]
                runs[kind] = drive(server.port, plan, kind)
                print({k: v for k, v in runs[kind].items() if k != "_per_match"}, file=sys.stderr)
            print(f"… contended: {len(groups['contended'])} pledges, two officers", file=sys.stderr)
            half = max(1, args.clients // 2)
            ids = groups["contended"]
            plan = [(s, *first) for s in _slices(ids, half)] + [(s, *second) for s in _slices(ids, half)]
            runs["contended"] = drive(server.port, plan, "api")
            print({k: v for k, v in runs["contended"].items() if k != "_per_match"}, file=sys.stderr)
        for kind, run in runs.items():
            per_match = run.pop("_per_match")
            check = json.loads(inst.python(CHECK, json.dumps(groups[kind])))
            n = len(groups[kind])
            expected_sum = n * made["value_cents"]
            problems = []
            if check["approved"] != n:
                problems.append(f"{n - check['approved']} not approved ({check['other_status']})")
            if check["decisions"]["count"] != n or check["decisions"]["distinct"] != n:
                problems.append(f"decisions {check['decisions']} for {n} pledges")
            if check["audit_approved"]["count"] != n or check["audit_approved"]["distinct"] != n:
                problems.append(f"audit events {check['audit_approved']} for {n} pledges")
            if check["approved_sum_cents"] != expected_sum:
                problems.append(f"approved sum {check['approved_sum_cents']} != {expected_sum}")
            if kind == "contended":
                by_match: dict[int, Counter[int]] = {}
                for mid, status in per_match:
                    by_match.setdefault(mid, Counter())[status] += 1
                wrong = {
                    m: dict(c)
                    for m, c in by_match.items()
                    if c not in (Counter({200: 1, 409: 1}), Counter({200: 1, 412: 1}))
                }
                check["one_200_one_409"] = len(by_match) - len(wrong)
                if wrong:
                    problems.append(f"{len(wrong)} pledges without exactly one 200 and one 409/412: "
                                    f"{dict(list(wrong.items())[:5])}")  # fmt: skip
            else:
                good = {"api": "200", "form": "302"}[kind]
                if run["statuses"].get(good, 0) != n:
                    problems.append(f"statuses {run['statuses']}, expected {n} × {good}")
            run["check"] = check
            run["problems"] = problems
            ok = ok and not problems
        results["runs"] = runs
    finally:
        results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        inst.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten to {out}")
    return 0 if ok else 1


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"approvals: {r['settings']['clients']} clients, PostgreSQL, {m['cpus']} CPUs, load average "
        f"{m['load_average'][0]} at start, {m['load_average_at_end'][0]} at end",
        "",
        "| run | approvals | per second | p50 ms | p95 ms | statuses | checks |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    names = {"api": "API, disjoint", "form": "form, disjoint", "contended": "API, two officers, same pledges"}
    for kind, run in r.get("runs", {}).items():
        checks = "; ".join(run["problems"]) or "none lost or doubled"
        if kind == "contended" and not run["problems"]:
            checks = f"exactly one 200 and one 409/412 for all {run['check']['one_200_one_409']}"
        lines.append(
            f"| {names[kind]} | {run['check']['approved']} | {run['per_s']:.0f} | {run['p50_ms']} | "
            f"{run['p95_ms']} | {run['statuses']} | {checks} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
