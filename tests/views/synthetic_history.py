"""A synthetic decision history in the database, decided by a stated officer rule, for `srx evaluate` and `srx
train` tests and for their figures in docs/decisions.md.

On top of the test world (`tests.conftest.build_world`): initiatives with open needs of six kinds, eligible for
gov-a; companies of three sectors (SBI F construction, J ICT, Q care); contracts at gov-a with EUR 10,000 to
60,000 owed. Per contract, the company pledges `per_contract` of the candidates the recommender offers it
(`candidate_pool` from the database), each sized a random share of what is owed, and gov-a's officer decides
by `matching.synthetic.RULE_A`:

    logit P(approve) = -0.5 + 1.0 x [serves gov-a's priority theme] + sector_kind[sector][kind]
                       - 1.2 x max(0, log2(pledged value / remaining obligation))

The decisions are stored as imported rows (no stored features), so training and evaluation resolve them
from today's data, as they do for a CSV import. Fixed seeds: the same arguments give the same history.
"""

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from marketplace.models import Company, Contract, Decision, Eligibility, HandprintScore, Initiative, Need
from marketplace.recommendations import candidate_pool, contract_context
from matching.synthetic import RULE_A, OfficerRule
from matching.types import THEMES
from tests.conftest import TEST_POLICY, World

SECTORS = ("F", "J", "Q")
# kind -> (unit, lowest and highest quantity in that unit; euro amounts in whole euro)
NEED_KINDS = {
    "hours": ("hours", 20, 300),
    "expertise": ("hours", 10, 200),
    "money": ("cents", 1_000, 50_000),
    "goods": ("cents", 1_000, 30_000),
    "internship": ("places", 1, 3),
    "job": ("places", 1, 2),
}
START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class History:
    n_decisions: int
    n_approved: int
    n_contracts: int
    n_companies: int
    n_candidates: int  # candidates offered per contract


def add_history(
    world: World,
    n_decisions: int,
    *,
    seed: int = 0,
    per_contract: int = 12,
    n_initiatives: int = 10,
    companies_per_sector: int = 4,
    rule: OfficerRule = RULE_A,
) -> History:
    """Add initiatives, companies, contracts and `n_decisions` decisions by `rule` (module docstring)."""
    s = world.session
    rng = np.random.default_rng(seed)
    for i in range(n_initiatives):
        main = str(rng.choice(THEMES))
        ini = Initiative(
            slug=f"syn-ini-{i}",
            name=f"Initiatief {i}",
            municipality="Aastad",
            summary=f"Werk aan {main}",
            description="Buurtwerk met vrijwilligers",
            lat=52.0 + float(rng.normal(0, 0.05)),
            lon=5.0 + float(rng.normal(0, 0.05)),
            target_groups=["participatiewet"],
        )
        s.add(ini)
        s.flush()
        themes = {main: int(rng.integers(60, 95))}
        if rng.random() < 0.5:
            themes["armoedebestrijding"] = int(rng.integers(55, 95))  # gov-a's priority theme
        s.add_all(HandprintScore(initiative_id=ini.id or 0, theme=t, score=v) for t, v in themes.items())
        s.add(
            Eligibility(government_id=world.gov_a.id or 0, initiative_id=ini.id or 0, since=date(2024, 1, 1))
        )
        for k, kind in enumerate(rng.choice(list(NEED_KINDS), size=4, replace=False).tolist()):
            unit, low, high = NEED_KINDS[kind]
            amount = int(rng.integers(low, high + 1))
            s.add(
                Need(
                    reference=f"syn-{i}-{k}",
                    initiative_id=ini.id or 0,
                    kind=kind,
                    title=f"{kind} voor initiatief {i}",
                    description="Hulp gezocht",
                    quantity=amount * 100 if unit == "cents" else amount,
                    unit=unit,
                )
            )
    companies = []
    for c in range(companies_per_sector * len(SECTORS)):
        company = Company(
            slug=f"syn-bedrijf-{c}",
            name=f"Bedrijf {c}",
            kvk=f"5{c:07d}",
            sector=SECTORS[c % len(SECTORS)],
            city="Aastad",
            lat=52.0 + float(rng.normal(0, 0.05)),
            lon=5.0 + float(rng.normal(0, 0.05)),
            profile="Onderhoud en dienstverlening",
            interests=[str(rng.choice(THEMES))],
        )
        s.add(company)
        companies.append(company)
    s.flush()
    n_contracts = -(-n_decisions // per_contract)
    contracts = []
    for c in range(n_contracts):
        company = companies[int(rng.integers(0, len(companies)))]
        owed_eur = int(rng.integers(10_000, 60_001))
        contract = Contract(
            reference=f"SYN-{c:03d}",
            government_id=world.gov_a.id or 0,
            company_id=company.id or 0,
            title=f"Opdracht {c}",
            sum_cents=owed_eur * 100 * 20,  # 5% of the sum is owed
            award_date=date(2024, 1, 1),
            end_date=date(2029, 12, 31),
            table_id=world.table_a.id or 0,
            policy=TEST_POLICY.as_dict(),
        )
        s.add(contract)
        contracts.append((contract, company))
    s.commit()

    n = approved = offered = 0
    for c, (contract, company) in enumerate(contracts):
        ctx = contract_context(s, contract)
        pool = candidate_pool(s, contract, ctx, use_search=False)
        offered = len(pool.candidates)
        picks = rng.choice(offered, size=min(per_contract, offered, n_decisions - n), replace=False)
        for j, pick in enumerate(picks.tolist()):
            cand = pool.candidates[pick]
            valuer = pool.valuers[cand.id]
            share = float(rng.uniform(0.2, 2.5))  # of what is owed; the larger ones overshoot
            units = max(
                1, min(cand.open_units, math.ceil(share * ctx.remaining_cents / cand.unit_value_cents))
            )
            value = units * cand.unit_value_cents
            ok = bool(rng.random() < rule.chance(ctx, replace(cand, open_value_cents=value)))
            need = pool.needs[cand.id]
            s.add(
                Decision(
                    decided_at=START + timedelta(hours=c, minutes=j),
                    government=world.gov_a.slug,
                    contract_reference=contract.reference,
                    company_kvk=company.kvk,
                    initiative=cand.initiative_slug,
                    need=need.reference if need is not None else "",
                    building_block=valuer.block.code,
                    route=valuer.block.route,
                    quantity=units * 100 if valuer.unit == "euro" else units,
                    outcome="approved" if ok else "rejected",
                    reason="" if ok else "Past niet",
                    source="import",
                )
            )
            n += 1
            approved += ok
    s.commit()
    return History(n, approved, len(contracts), len(companies), offered)
