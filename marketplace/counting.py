"""Obligation and progress of a contract: the counting rules of design.md, in integer cents.

- obligation: from the policy frozen on the contract (marketplace.policy); it may be incomplete (not computable);
- committed: the current (revised) values of approved and delivered matches; pending: proposed ones;
- realised: delivered ones; remaining = max(0, obligation - committed);
- reported and verified: the values of realisation reports, sent and accepted (services.reports); the
  settlement uses obligation - verified;
- under the small-contract rule the obligation is one social activity: an approved match counts as one when
  its value and route meet the policy (a EUR 1 invoice does not).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .policy import ContractFacts, Obligation, ObligationState, Policy, obligation

COMMITTED = frozenset({"approved", "delivered"})


@dataclass(frozen=True)
class Totals:
    obligation: Obligation
    committed_cents: int
    pending_cents: int
    realised_cents: int
    remaining_cents: int
    # Under the small-contract rule: social activities asked and approved.
    activities_required: int = 0
    activities_committed: int = 0
    # Realisation: reported (submitted or accepted reports) and verified (accepted by the officer).
    reported_cents: int = 0
    verified_cents: int = 0

    @property
    def shortfall_cents(self) -> int:
        """What the settlement is about: the obligation minus what was verified."""
        return max(0, self.obligation_cents - self.verified_cents) if self.computable else 0

    @property
    def obligation_cents(self) -> int:
        return self.obligation.amount_cents

    @property
    def small_contract(self) -> bool:
        return self.obligation.state == ObligationState.SMALL

    @property
    def computable(self) -> bool:
        return self.obligation.computable

    @property
    def progress_pct(self) -> int:
        """Committed share of the obligation, 0-100, for progress bars."""
        if not self.computable:
            return 0
        if self.small_contract:
            if not self.activities_required:
                return 100
            return min(100, 100 * self.activities_committed // self.activities_required)
        if self.obligation_cents <= 0:
            return 100
        return min(100, 100 * self.committed_cents // self.obligation_cents)

    @property
    def met(self) -> bool:
        if not self.computable:
            return False
        if self.small_contract:
            return self.activities_committed >= self.activities_required
        return self.remaining_cents == 0


def policy_of(contract: Any) -> Policy:
    return Policy.from_dict(contract.policy)


def facts_of(contract: Any) -> ContractFacts:
    return ContractFacts(
        sum_cents=contract.sum_cents,
        kind=contract.kind,
        award_date=contract.award_date,
        end_date=contract.end_date,
        labour_component_cents=contract.labour_component_cents,
    )


def contract_obligation(contract: Any) -> Obligation:
    """The contract's obligation under the policy frozen on it at award."""
    return obligation(policy_of(contract), facts_of(contract))


def counts_as_activity(policy: Policy, value_cents: int, route: str) -> bool:
    """Whether one approved contribution fulfils the small-contract rule of `policy`."""
    if value_cents < max(1, policy.small_activity_min_cents):
        return False
    return not policy.small_activity_routes or route in policy.small_activity_routes


def totals(
    ob: Obligation,
    matches: Iterable[tuple[str, int]],
    *,
    activities: int = 0,
    reported: int = 0,
    verified: int = 0,
) -> Totals:
    """Sum the (status, value_cents) of a contract's matches; `activities` counts the qualifying ones."""
    committed = pending = realised = 0
    for status, value in matches:
        if status in COMMITTED:
            committed += value
        if status == "delivered":
            realised += value
        elif status == "proposed":
            pending += value
    small = ob.state == ObligationState.SMALL
    remaining = max(0, ob.amount_cents - committed) if ob.state == ObligationState.AMOUNT else 0
    return Totals(
        obligation=ob,
        committed_cents=committed,
        pending_cents=pending,
        realised_cents=realised,
        remaining_cents=remaining,
        activities_required=1 if small else 0,
        activities_committed=activities if small else 0,
        reported_cents=reported,
        verified_cents=verified,
    )
