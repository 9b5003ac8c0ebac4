"""How a notification reads (title and text, in the reader's language) and where it links to.

The service (services/notifications.py) stores the kind and the facts (reference, reason, amounts); the words
are made when someone reads them: in the list in the viewer's language, in a mail in the recipient's
(`user.locale`, through `force_locale`).
"""

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace.i18n import _l

from . import formatting
from .models import Notification, NotificationKind, User
from .services.notifications import as_date

K = NotificationKind

KIND_LABELS: dict[str, Any] = {
    K.PLEDGE_PROPOSED: _l("A pledge waits for a decision"),
    K.PLEDGE_DECIDED: _l("A pledge was approved or rejected"),
    K.CHANGES_REQUESTED: _l("Changes were asked for a pledge"),
    K.DELIVERY_CONFIRMED: _l("A delivery was confirmed"),
    K.PLAN_SUBMITTED: _l("A plan van aanpak was submitted"),
    K.PLAN_DUE: _l("A plan van aanpak is due tomorrow"),
    K.PLAN_OVERDUE: _l("A plan van aanpak is overdue"),
    K.PLAN_DECIDED: _l("A plan van aanpak was decided"),
    K.REPORT_SUBMITTED: _l("A realisation report waits for a check"),
    K.REPORT_DUE: _l("A realisation report is due"),
    K.REPORT_CHECKED: _l("A realisation report was checked"),
    K.END_DATE: _l("A contract ends in 60, 30 or 7 days"),
    K.SETTLEMENT: _l("A contract ended short or was settled"),
}

# The kinds each role can receive (the preferences page shows only these).
KINDS_FOR_ROLE: dict[str, tuple[str, ...]] = {
    "company": (
        K.PLEDGE_DECIDED,
        K.CHANGES_REQUESTED,
        K.DELIVERY_CONFIRMED,
        K.PLAN_DUE,
        K.PLAN_OVERDUE,
        K.PLAN_DECIDED,
        K.REPORT_DUE,
        K.REPORT_CHECKED,
        K.END_DATE,
        K.SETTLEMENT,
    ),
    "officer": (
        K.PLEDGE_PROPOSED,
        K.PLAN_SUBMITTED,
        K.PLAN_OVERDUE,
        K.REPORT_SUBMITTED,
        K.END_DATE,
        K.SETTLEMENT,
    ),
    "initiative": (K.PLEDGE_DECIDED,),
    "admin": (),
}
KINDS_FOR_ROLE["adviser"] = KINDS_FOR_ROLE["officer"]


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def _day(value: Any) -> str:
    d = as_date(value)
    return formatting.day(d) if d else "—"


def text_of(n: Notification) -> Text:
    """Title and text of a notification in the current locale."""
    p = n.params or {}
    ref = p.get("reference", "")
    what = p.get("what") or p.get("title") or ""
    if not what and isinstance(p.get("block"), dict):
        from flask_babel import get_locale

        what = p["block"].get(str(get_locale() or "nl")) or p["block"].get("nl", "")
    value = formatting.money(p.get("value_cents")) if p.get("value_cents") is not None else ""
    reason = p.get("reason", "")
    with_reason = (" " + _("Reason: %(reason)s", reason=reason)) if reason else ""
    kind = n.kind
    if kind == K.PLEDGE_PROPOSED:
        return Text(
            _("New pledge to decide on %(reference)s", reference=ref),
            _(
                "%(company)s proposed “%(what)s” worth %(value)s.",
                company=p.get("company", ""),
                what=what,
                value=value,
            ),
        )
    if kind == K.PLEDGE_DECIDED:
        if p.get("outcome") == "approved":
            return Text(
                _("Pledge approved on %(reference)s", reference=ref),
                _(
                    "“%(what)s” (%(value)s) was approved and counts toward the obligation.",
                    what=what,
                    value=value,
                )
                + with_reason,
            )
        return Text(
            _("Pledge rejected on %(reference)s", reference=ref),
            _("“%(what)s” (%(value)s) was rejected.", what=what, value=value) + with_reason,
        )
    if kind == K.CHANGES_REQUESTED:
        return Text(
            _("Changes requested on %(reference)s", reference=ref),
            _("The officer asks for changes to “%(what)s”.", what=what) + with_reason,
        )
    if kind == K.DELIVERY_CONFIRMED:
        return Text(
            _("Delivery confirmed on %(reference)s", reference=ref),
            _(
                "%(initiative)s confirmed that “%(what)s” was received.",
                initiative=p.get("initiative", ""),
                what=what,
            ),
        )
    if kind == K.PLAN_SUBMITTED:
        return Text(
            _("Plan van aanpak to check for %(reference)s", reference=ref),
            _("The company submitted the plan van aanpak for “%(title)s”.", title=p.get("title", "")),
        )
    if kind == K.PLAN_DUE:
        return Text(
            _("Plan van aanpak due tomorrow for %(reference)s", reference=ref),
            _(
                "Submit the plan van aanpak for “%(title)s” by %(due)s.",
                title=p.get("title", ""),
                due=_day(p.get("due")),
            ),
        )
    if kind == K.PLAN_OVERDUE:
        return Text(
            _("Plan van aanpak overdue for %(reference)s", reference=ref),
            _(
                "The plan van aanpak for “%(title)s” was due on %(due)s.",
                title=p.get("title", ""),
                due=_day(p.get("due")),
            ),
        )
    if kind == K.PLAN_DECIDED:
        if p.get("outcome") == "approved":
            return Text(
                _("Plan van aanpak approved for %(reference)s", reference=ref),
                _("The plan van aanpak was approved.") + with_reason,
            )
        return Text(
            _("Changes requested in the plan van aanpak for %(reference)s", reference=ref),
            _("The officer asks for changes to the plan van aanpak.") + with_reason,
        )
    if kind == K.REPORT_SUBMITTED:
        return Text(
            _("Realisation report to check on %(reference)s", reference=ref),
            _(
                "A report for “%(what)s”, %(start)s to %(end)s, waits for your check.",
                what=what,
                start=_day(p.get("period_start")),
                end=_day(p.get("period_end")),
            ),
        )
    if kind == K.REPORT_DUE:
        return Text(
            _("Realisation report due for %(reference)s", reference=ref),
            _(
                "Report what was realised from %(start)s to %(end)s, with evidence.",
                start=_day(p.get("period_start")),
                end=_day(p.get("period_end")),
            ),
        )
    if kind == K.REPORT_CHECKED:
        if p.get("outcome") == "accepted":
            return Text(
                _("Realisation report accepted on %(reference)s", reference=ref),
                _("The report for “%(what)s” was accepted: its value counts as verified.", what=what),
            )
        return Text(
            _("Realisation report rejected on %(reference)s", reference=ref),
            _("The report for “%(what)s” was rejected; you can send it again.", what=what) + with_reason,
        )
    if kind == K.END_DATE:
        days = int(p.get("days", 0))
        title = ngettext(
            "%(reference)s ends in %(num)s day", "%(reference)s ends in %(num)s days", days, reference=ref
        )
        open_cents = int(p.get("open_cents", 0))
        body = _("The contract ends on %(end)s.", end=_day(p.get("end_date")))
        if open_cents > 0:
            body += " " + _("%(open)s of the obligation is still open.", open=formatting.money(open_cents))
        else:
            body += " " + _("The obligation is met.")
        return Text(title, body)
    if kind == K.SETTLEMENT:
        outcome = p.get("outcome", "")
        if outcome == "settlement":
            return Text(
                _("%(reference)s ended short", reference=ref),
                _("The contract ended before its obligation was met; the officer decides how it is settled."),
            )
        if outcome == "recovery":
            return Text(
                _("A recovery period for %(reference)s", reference=ref),
                _(
                    "You have until %(until)s to make up what is still open.",
                    until=_day(p.get("recovery_until")),
                )
                + with_reason,
            )
        return Text(
            _("%(reference)s was settled", reference=ref),
            _("The officer settled the contract; the statement is on the contract page.") + with_reason,
        )
    return Text(str(KIND_LABELS.get(kind, kind)), "")


def link_of(n: Notification, user: User, *, external: bool = False) -> str:
    """Where the notification takes its reader: the pledge or the contract, on the reader's side."""
    p = n.params or {}
    officer = user.role in ("officer", "adviser")
    match_id = p.get("match_id")
    contract_id = p.get("contract_id")
    if n.subject_type == "match" and match_id:
        if user.role == "initiative":
            return url_for("initiative.pledge", match_id=match_id, _external=external)
        if n.kind in (K.REPORT_SUBMITTED,) and officer and contract_id:
            return url_for("officer.reports", contract_id=contract_id, _external=external)
        return url_for("officer.match" if officer else "company.match", match_id=match_id, _external=external)
    if contract_id:
        if officer:
            return url_for("officer.contract", contract_id=contract_id, _external=external)
        if user.role == "company":
            return url_for("company.contract", contract_id=contract_id, _external=external)
    return url_for("notifications.index", _external=external)
