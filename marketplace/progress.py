"""Progress of a contract over time: the burn-down series, the forecast and the pace status.

Pure and deterministic: plain dated amounts in, numbers and codes out.

- **committed** grows when a contribution is approved (its value at that time) and changes when a revision of
  it is approved; **verified** grows when the officer accepts a realisation report;
- the **straight line** runs from nothing at the award to the whole obligation at the end date;
- the **pace** is the growth of committed over the last `PACE_WEEKS` weeks (or since the award when that is
  shorter), per week; the **forecast** is the day the remaining obligation is committed at that pace;
- the **status** compares them: met (nothing remains), short (the end date passed and something remains),
  on track (committed at or above the straight line), behind (below it, but the forecast reaches the
  obligation by the end date), at risk (the forecast does not, or there is no pace at all);
- in the first `PACE_WEEKS` after the award there is too little history for a pace: a contract then counts
  as on track unless it is met (`Forecast.early`), while its plan and first pledges come in.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

PACE_WEEKS = 13  # a quarter


class Pace(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    AT_RISK = "at_risk"
    MET = "met"
    SHORT = "short"


# How urgent each status is, for sorting an officer's overview (most urgent first).
URGENCY = {Pace.SHORT: 0, Pace.AT_RISK: 1, Pace.BEHIND: 2, Pace.ON_TRACK: 3, Pace.MET: 4}


@dataclass(frozen=True)
class Change:
    """From `day` on, a line is `delta_cents` higher (or lower, for a revision)."""

    day: date
    delta_cents: int


@dataclass(frozen=True)
class Point:
    day: date
    obligation_cents: int
    committed_cents: int
    verified_cents: int
    line_cents: int  # the straight line from the award to the end date


@dataclass(frozen=True)
class Forecast:
    status: Pace
    pace_cents_per_week: int
    pace_from: date
    pace_to: date
    expected_cents: int  # where the straight line is today
    committed_cents: int
    verified_cents: int
    remaining_cents: int
    forecast_day: date | None  # when the obligation is committed at the current pace; None without pace
    days_left: int  # to the end date (negative once it passed)
    early: bool = False  # within the first PACE_WEEKS after the award: too early for a pace


def line_at(day: date, award: date, end: date, obligation: int) -> int:
    """The straight line from 0 at the award to the obligation at the end date (integer cents)."""
    if day <= award:
        return 0
    if day >= end:
        return obligation
    total = max(1, (end - award).days)
    return obligation * (day - award).days // total


def total_on(changes: Iterable[Change], day: date) -> int:
    return sum(c.delta_cents for c in changes if c.day <= day)


def series(
    changes_committed: Sequence[Change],
    changes_verified: Sequence[Change],
    *,
    award: date,
    end: date,
    obligation: int,
    today: date,
    step_days: int = 14,
) -> list[Point]:
    """Points every `step_days` from the award to the end date (or today, when later), and on today."""
    last = max(end, today)
    days: list[date] = []
    day = award
    while day < last:
        days.append(day)
        day += timedelta(days=step_days)
    days.append(last)
    if award <= today < last and today not in days:
        days.append(today)
    days.sort()
    return [
        Point(
            d,
            obligation,
            total_on(changes_committed, d),
            total_on(changes_verified, d),
            line_at(d, award, end, obligation),
        )
        for d in days
    ]


def forecast(
    changes_committed: Sequence[Change],
    changes_verified: Sequence[Change],
    *,
    award: date,
    end: date,
    obligation: int,
    today: date,
) -> Forecast:
    """The pace over the last weeks, the day the obligation is met at that pace, and the status."""
    committed = total_on(changes_committed, today)
    verified = total_on(changes_verified, today)
    remaining = max(0, obligation - committed)
    pace_from = max(award, today - timedelta(weeks=PACE_WEEKS))
    weeks = max(1, (today - pace_from).days) / 7
    grown = committed - total_on(changes_committed, pace_from)
    pace = max(0, int(grown / weeks)) if today > award else 0
    expected = line_at(today, award, end, obligation)
    forecast_day: date | None
    if remaining == 0:
        forecast_day = None
    elif pace > 0:
        forecast_day = today + timedelta(days=-(-remaining * 7 // pace))
    else:
        forecast_day = None
    early = (today - award).days < PACE_WEEKS * 7
    if remaining == 0:
        status = Pace.MET
    elif today > end:
        status = Pace.SHORT
    elif committed >= expected or early:
        status = Pace.ON_TRACK
    elif forecast_day is not None and forecast_day <= end:
        status = Pace.BEHIND
    else:
        status = Pace.AT_RISK
    return Forecast(
        status,
        pace,
        pace_from,
        today,
        expected,
        committed,
        verified,
        remaining,
        forecast_day,
        (end - today).days,
        early and remaining > 0 and today <= end,
    )


@dataclass(frozen=True)
class Period:
    """One reporting period of a contract: calendar quarters or half-years, cut to the contract's term."""

    start: date
    end: date

    @property
    def key(self) -> str:
        return self.start.isoformat()


PERIOD_MONTHS = {"quarterly": 3, "half_yearly": 6}


def periods(start: date, end: date, kind: str) -> list[Period]:
    """The reporting periods from `start` to `end` (both included), on calendar boundaries."""
    months = PERIOD_MONTHS.get(kind, 3)
    out: list[Period] = []
    day = start
    while day <= end:
        first_month = (day.month - 1) // months * months + 1
        nxt_month = first_month + months
        nxt = date(day.year + (nxt_month - 1) // 12, (nxt_month - 1) % 12 + 1, 1)
        out.append(Period(day, min(end, nxt - timedelta(days=1))))
        day = nxt
    return out


def period_of(day: date, start: date, end: date, kind: str) -> Period | None:
    for p in periods(start, end, kind):
        if p.start <= day <= p.end:
            return p
    return None
