"""Obligation and progress of a contract: the counting rules of design.md, in integer cents."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .valuation import round_div

COMMITTED = frozenset({"approved", "delivered"})


@dataclass(frozen=True)
class Policy:
    percentage_bp: int
    threshold_cents: int
    cap_cents: int | None = None
    basis: str = "contract_sum"
    small_contract_rule: str = "one_social_activity"


@dataclass(frozen=True)
class Totals:
    obligation_cents: int
    committed_cents: int
    pending_cents: int
    realised_cents: int
    remaining_cents: int
    small_contract: bool = False
    # Under the small-contract rule: social activities asked and approved.
    activities_required: int = 0
    activities_committed: int = 0

    @property
    def progress_pct(self) -> int:
        """Committed share of the obligation, 0-100, for progress bars."""
        if self.small_contract:
            if not self.activities_required:
                return 100
            return min(100, 100 * self.activities_committed // self.activities_required)
        if self.obligation_cents <= 0:
            return 100
        return min(100, 100 * self.committed_cents // self.obligation_cents)


def obligation_cents(
    policy: Policy, sum_cents: int, labour_component_cents: int | None = None
) -> tuple[int, bool]:
    """Return (obligation in cents, small_contract) for a contract sum under a policy.

    At or above the threshold: percentage of the basis (contract sum, or the labour component
    when the policy says so and it is known), rounded half up, capped. Below it: no amount, and
    the small-contract rule (one social activity, or nothing) applies.
    """
    if sum_cents < policy.threshold_cents:
        return 0, policy.small_contract_rule == "one_social_activity"
    basis = sum_cents
    if policy.basis == "labour_component" and labour_component_cents is not None:
        basis = labour_component_cents
    amount = round_div(basis * policy.percentage_bp, 10_000)
    if policy.cap_cents is not None:
        amount = min(amount, policy.cap_cents)
    return amount, False


def contract_obligation(contract: Any) -> tuple[int, bool]:
    """(obligation in cents, small_contract) of a contract under the policy frozen on it at award."""
    policy = Policy(
        contract.percentage_bp,
        contract.threshold_cents,
        contract.cap_cents,
        contract.basis,
        contract.small_contract_rule,
    )
    return obligation_cents(policy, contract.sum_cents, contract.labour_component_cents)


def totals(obligation: int, small_contract: bool, matches: Iterable[tuple[str, int]]) -> Totals:
    """Sum the (status, value_cents) of a contract's matches into its totals."""
    committed = pending = realised = 0
    committed_count = 0
    for status, value in matches:
        if status in COMMITTED:
            committed += value
            committed_count += 1
        if status == "delivered":
            realised += value
        elif status == "proposed":
            pending += value
    remaining = max(0, obligation - committed)
    return Totals(
        obligation_cents=obligation,
        committed_cents=committed,
        pending_cents=pending,
        realised_cents=realised,
        remaining_cents=remaining,
        small_contract=small_contract,
        activities_required=1 if small_contract else 0,
        activities_committed=committed_count if small_contract else 0,
    )
