"""Reports: a government's (officers), a company's, and their printable annual statements.

Each report is scoped by the caller: an officer sees the government it acts for now, a company its own
contracts. There is no id in the URL to tamper with. The reads are in marketplace/queries_reports.py.
"""

from datetime import date
from typing import Any

from flask import Blueprint, render_template
from flask_babel import format_date, format_decimal, gettext
from markupsafe import Markup

from ..authz import access
from ..charts import Bar, bar_chart
from ..formatting import label, money
from ..models import Company, Government
from ..models._base import utcnow
from ..queries_reports import NONE, Report, Share, build_report
from ..services.scope import OFFICER_SIDE
from ._helpers import abort, acting_government_id, get_session, me
from .filter_forms import MAX_YEAR, MIN_YEAR, YearFilter

bp = Blueprint("reports", __name__)


def _share_label(kind: str, key: str, report: Report | None = None) -> str:
    if key == NONE:
        return {
            "THEMES": gettext("No theme"),
            "TARGET_GROUPS": gettext("Not a placement"),
            "NEIGHBOURHOODS": gettext("Not to an initiative"),
        }.get(kind, "—")
    if kind == "NEIGHBOURHOODS":
        return key
    if kind == "GOVERNMENTS" and report is not None:
        gov = report.governments.get(int(key))
        return gov.name if gov else key
    if kind == "MONTHS":
        return format_date(date(2000, int(key), 1), "MMMM")
    if kind == "YEARS":
        return key
    return label(kind, key)


def _money_bars(shares: list[Share], kind: str, total: int, report: Report | None = None) -> list[Bar]:
    return [
        Bar(
            _share_label(kind, s.key, report),
            s.value_cents,
            f"{money(s.value_cents, whole=True)} ({s.pct_of(total)}%)" if total else money(s.value_cents),
        )
        for s in shares
    ]


def charts_of(report: Report) -> dict[str, Markup]:
    """The report's charts as SVG; the page shows each one's numbers in a table beside it."""
    total = report.committed_cents
    handprint = [
        Bar(label("THEMES", theme), score, f"{score}/100") for theme, score in report.handprint.items()
    ]
    over_time_kind = "MONTHS" if report.year else "YEARS"
    return {
        "route": bar_chart(
            _money_bars(report.by_route, "ROUTES", total),
            chart_id="chart-route",
            title=gettext("Contributions by route"),
            desc=_desc(report.by_route, "ROUTES", total),
        ),
        "theme": bar_chart(
            _money_bars(report.by_theme, "THEMES", total),
            chart_id="chart-theme",
            title=gettext("Contributions by theme"),
            desc=_desc(report.by_theme, "THEMES", total),
        ),
        "time": bar_chart(
            [
                Bar(_share_label(over_time_kind, s.key), s.value_cents, money(s.value_cents, whole=True))
                for s in report.by_year
            ],
            chart_id="chart-time",
            title=gettext("Contributions over time"),
            desc="; ".join(
                f"{_share_label(over_time_kind, s.key)}: {money(s.value_cents)}" for s in report.by_year
            ),
        ),
        "handprint": bar_chart(
            handprint,
            chart_id="chart-handprint",
            title=gettext("Handprint of what was supported"),
            desc=gettext(
                "Mean handprint score per theme of the %(n)s initiatives supported, weighted by what each "
                "received: %(scores)s.",
                n=report.initiatives_supported,
                scores="; ".join(f"{b.label} {b.shown}" for b in handprint),
            ),
            top=100,
        ),
    }


def _desc(shares: list[Share], kind: str, total: int) -> str:
    return "; ".join(
        f"{_share_label(kind, s.key)}: {money(s.value_cents)} ({format_decimal(s.pct_of(total))}%)"
        for s in shares
    )


def _context(report: Report, **extra: Any) -> dict[str, Any]:
    return {
        "report": report,
        "charts": charts_of(report),
        "share_label": _share_label,
        "today": utcnow().date(),
        **extra,
    }


def _government() -> Government:
    gov = get_session().get(Government, acting_government_id() or 0)
    if gov is None:
        abort(404)
    return gov


def _company() -> Company:
    company = get_session().get(Company, me().company_id or 0)
    if company is None:
        abort(404)
    return company


def _statement_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        abort(404)
    return year


@bp.route("/officer/report")
@access(*OFFICER_SIDE)
def officer_report():  # type: ignore[no-untyped-def]
    gov = _government()
    filters = YearFilter()
    report = build_report(get_session(), government_id=gov.id, year=filters.clean()["year"])
    return render_template(
        "reports/government.html", **_context(report, government=gov), year_errors=filters.all_errors
    ), filters.http_status


@bp.route("/officer/report/<int:year>/statement")
@access(*OFFICER_SIDE)
def officer_statement(year: int):  # type: ignore[no-untyped-def]
    gov = _government()
    report = build_report(get_session(), government_id=gov.id, year=_statement_year(year))
    return render_template(
        "reports/statement.html", **_context(report, party=gov.name, government=gov, side="government")
    )


@bp.route("/company/report")
@access("company")
def company_report():  # type: ignore[no-untyped-def]
    company = _company()
    filters = YearFilter()
    report = build_report(get_session(), company_id=company.id, year=filters.clean()["year"])
    return render_template(
        "reports/company.html", **_context(report, company=company), year_errors=filters.all_errors
    ), filters.http_status


@bp.route("/company/report/<int:year>/statement")
@access("company")
def company_statement(year: int):  # type: ignore[no-untyped-def]
    company = _company()
    report = build_report(get_session(), company_id=company.id, year=_statement_year(year))
    return render_template(
        "reports/statement.html",
        **_context(report, party=f"{company.name} (KvK {company.kvk})", company=company, side="company"),
    )
