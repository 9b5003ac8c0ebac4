"""Charts drawn on the server as SVG: no script, readable without colour, printable, and next to a table.

Why not a chart library: the pages must work without JavaScript under a strict content security policy,
print for the finance department, and pass axe; a line chart of a few series is ~100 lines of SVG. Each chart
has a <title> and <desc> for screen readers, and every page that shows one also shows its numbers as a table.
Series are told apart by dash pattern and marker as well as colour.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Series:
    key: str  # css class: obligation | committed | verified | line
    label: str
    values: Sequence[int]
    dash: str = ""  # stroke-dasharray


@dataclass(frozen=True)
class Axis:
    days: Sequence[date]
    today: date | None = None
    end: date | None = None  # the contract's end date, marked when it lies inside the axis
    end_label: str = ""


WIDTH, HEIGHT = 720, 300
PAD_L, PAD_R, PAD_T, PAD_B = 72, 16, 16, 40


def _nice_max(value: int) -> int:
    """A round top for the value axis (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def line_chart(
    axis: Axis, series: Sequence[Series], *, title: str, desc: str, money: Callable[[int], str]
) -> Markup:
    """A line chart of `series` over `axis.days`; `money` formats the value ticks."""
    if not axis.days:
        return Markup("")
    first, last = axis.days[0], axis.days[-1]
    span = max(1, (last - first).days)
    top = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(day: date) -> float:
        return PAD_L + plot_w * (day - first).days / span

    def y(value: int) -> float:
        return PAD_T + plot_h * (1 - value / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for i in range(5):
        value = top * i // 4
        parts.append(
            f'<line class="grid" x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{PAD_L - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(money(value))}</text>"
        )
    years = sorted({d.year for d in axis.days})
    for year in years:
        jan = date(year, 1, 1)
        if first < jan <= last:
            parts.append(
                f'<line class="grid" x1="{x(jan):.1f}" x2="{x(jan):.1f}" y1="{PAD_T}" y2="{HEIGHT - PAD_B}"/>'
            )
            parts.append(f'<text class="year" x="{x(jan) + 3:.1f}" y="{PAD_T + 11}">{year}</text>')
    for day, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f'<text class="tick" x="{x(day):.1f}" y="{HEIGHT - PAD_B + 18}" text-anchor="{anchor}">'
            f"{day.strftime('%d-%m-%Y')}</text>"
        )
    if axis.end and first < axis.end < last:
        ex = x(axis.end)
        parts.append(
            f'<line class="endline" x1="{ex:.1f}" x2="{ex:.1f}" y1="{PAD_T}" y2="{HEIGHT - PAD_B}"/>'
        )
        parts.append(
            f'<text class="tick" x="{ex - 4:.1f}" y="{HEIGHT - PAD_B - 6}" text-anchor="end">'
            f"{escape(axis.end_label)} {axis.end.strftime('%d-%m-%Y')}</text>"
        )
    if axis.today and first <= axis.today <= last:
        tx = x(axis.today)
        parts.append(f'<line class="today" x1="{tx:.1f}" x2="{tx:.1f}" y1="{PAD_T}" y2="{HEIGHT - PAD_B}"/>')
    for s in series:
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(axis.days, s.values, strict=False))
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(
            f'<polyline class="series {escape(s.key)}" fill="none" points="{points}"{dash}>'
            f"<title>{escape(s.label)}</title></polyline>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def burndown(points: Sequence["PointLike"], *, today: date, end: date | None = None) -> Markup:
    """The burn-down of a contract: obligation, committed, verified and the straight line, over time."""
    from flask_babel import gettext

    from .formatting import money

    days = [p.day for p in points]
    series = [
        Series("obligation", gettext("Obligation"), [p.obligation_cents for p in points], "2 4"),
        Series(
            "line", gettext("Straight line from award to end date"), [p.line_cents for p in points], "8 4"
        ),
        Series("committed", gettext("Committed"), [p.committed_cents for p in points]),
        Series("verified", gettext("Verified"), [p.verified_cents for p in points], "1 0"),
    ]
    last = points[-1] if points else None
    desc = (
        gettext(
            "On %(day)s: committed %(committed)s and verified %(verified)s of an obligation of "
            "%(obligation)s.",
            day=last.day.isoformat(),
            committed=money(last.committed_cents),
            verified=money(last.verified_cents),
            obligation=money(last.obligation_cents),
        )
        if last
        else ""
    )
    return line_chart(
        Axis(days, today, end, gettext("end date")),
        series,
        title=gettext("Burn-down of the obligation"),
        desc=desc,
        money=lambda c: money(c, whole=True),
    )


class PointLike:  # the shape of progress.Point the chart reads
    day: date
    obligation_cents: int
    committed_cents: int
    verified_cents: int
    line_cents: int


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    shown: str  # the value as the reader sees it: "€ 12.000 (40%)", "80/100"


BAR_ROW, BAR_H, BAR_FONT = 52, 20, 13
INSIDE_FROM = 55  # from this percentage of the width the value is written inside the bar, else after it


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str, top: int | None = None) -> Markup:
    """Horizontal bars, one per row: the label on a line, the bar under it with its value after or inside it.

    No viewBox: one unit is one CSS pixel, so the 13 px labels stay 13 px on a 360 px phone; the bars are a
    percentage of the width. The value sits in a nested <svg> placed at the bar's end (x as a percentage), so
    it never runs into the label whatever the width. `top` is the value of a full bar (the largest value when
    None). The SVG is an image with a title and description; the page shows the same numbers in a table.
    """
    if not bars:
        return Markup("")
    top = top or max((b.value for b in bars), default=0) or 1
    cid = escape(chart_id)
    height = BAR_ROW * len(bars) + 4
    parts = [
        f'<svg class="bars" width="100%" height="{height}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = i * BAR_ROW
        pct = 0.0 if bar.value <= 0 else max(0.5, min(100.0, 100 * bar.value / top))
        inside = pct >= INSIDE_FROM
        value = (
            f'<text class="bar-value inside" x="-6" y="{BAR_H - 5}" font-size="{BAR_FONT}" text-anchor="end">'
            if inside
            else f'<text class="bar-value" x="6" y="{BAR_H - 5}" font-size="{BAR_FONT}">'
        )
        parts.append(
            f'<text class="bar-label" x="0" y="{y + 15}" font-size="{BAR_FONT}">{escape(bar.label)}</text>'
            f'<rect class="bar-track" x="0" y="{y + 22}" width="100%" height="{BAR_H}" rx="3"/>'
            f'<rect class="bar" x="0" y="{y + 22}" width="{pct:.1f}%" height="{BAR_H}" rx="3"/>'
            f'<svg x="{pct:.1f}%" y="{y + 22}" width="1" height="{BAR_H}" overflow="visible">'
            f"{value}{escape(bar.shown)}</text></svg>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
