"""Which of a company's contracts a pledge to an initiative (or one of its needs) can come from."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from .models import OPEN_STATUSES, ContractStatus, Government
from .queries import ContractRow, contracts_for_company, eligible_governments


@dataclass
class PledgeContracts:
    """The company's contracts split into those that can pledge to the initiative and the others, with why."""

    governments: list[Government]  # those the initiative counts for
    eligible: list[ContractRow] = field(default_factory=list)
    # (row, reason): "closed" (met or settled), "ended" (past its end date), "not_counted" (its government
    # does not count this initiative)
    others: list[tuple[ContractRow, str]] = field(default_factory=list)


def running(row: ContractRow, today: date) -> bool:
    """Takes pledges: an open status, and not past its end date (a recovery period runs past it)."""
    c = row.contract
    return c.status in OPEN_STATUSES and (c.end_date >= today or c.status == ContractStatus.RECOVERY)


def pledge_contracts(
    session: Session, company_id: int, initiative_id: int | None, today: date
) -> PledgeContracts:
    """The company's contracts that can pledge to the initiative (to anything, without one)."""
    governments = eligible_governments(session, initiative_id) if initiative_id else []
    counted = {g.id for g in governments}
    out = PledgeContracts(governments)
    for row in contracts_for_company(session, company_id):
        if row.contract.status not in OPEN_STATUSES:
            out.others.append((row, "closed"))
        elif not running(row, today):
            out.others.append((row, "ended"))
        elif initiative_id and row.contract.government_id not in counted:
            out.others.append((row, "not_counted"))
        else:
            out.eligible.append(row)
    return out
