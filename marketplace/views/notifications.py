"""The bell's list (/notifications), marking as read, and the preferences (/settings/notifications)."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlmodel import col, select
from wtforms import BooleanField

from marketplace.i18n import gettext, ngettext

from ..authz import ANY_USER, access
from ..forms import ChoiceField, Form
from ..models import DELIVERIES, Notification, NotificationKind
from ..notifications import KIND_LABELS, KINDS_FOR_ROLE, link_of, text_of
from ..queries import Page, paginate
from ..services import notifications as service
from ..services.errors import ServiceError
from ._helpers import abort, get_session, me, page_arg

bp = Blueprint("notifications", __name__)
PER_PAGE = 20


class ReadForm(Form):
    """Marking as read: its CSRF token, and whether to open the notification's page after."""

    open = BooleanField(false_values=(False, "false", "", "0"))


@bp.route("/notifications")
@access(ANY_USER)
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    user = me()
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id, Notification.kind != NotificationKind.DIGEST)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    )
    rows, total = paginate(session, stmt, page_arg(), PER_PAGE)
    items = [{"n": n, "text": text_of(n), "link": link_of(n, user)} for n in rows]
    page = Page(items=items, page=page_arg(), per_page=PER_PAGE, total=total)
    return render_template("notifications/index.html", page=page)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@access(ANY_USER)
def read(notification_id: int):  # type: ignore[no-untyped-def]
    form = ReadForm()
    if not form.validate():
        abort(400)
    session = get_session()
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != me().id:
        abort(404)
    service.mark_read(session, actor=me(), notification_id=notification_id)
    if form.open.data:
        return redirect(link_of(n, me()))
    page = page_arg()
    return redirect(url_for("notifications.index", page=page if page > 1 else None))


@bp.route("/notifications/read-all", methods=["POST"])
@access(ANY_USER)
def read_all():  # type: ignore[no-untyped-def]
    if not ReadForm().validate():
        abort(400)
    count = service.mark_read(get_session(), actor=me())
    flash(
        ngettext("%(num)s notification marked as read.", "%(num)s notifications marked as read.", count),
        "info",
    )
    return redirect(url_for("notifications.index"))


def preferences_form(kinds: tuple[str, ...]) -> type[Form]:
    """A form with one choice (immediately, daily digest, off) per kind the user can receive."""
    fields = {kind: ChoiceField(codes=DELIVERIES) for kind in kinds}
    return type("PreferencesForm", (Form,), fields)


def _render_preferences(
    kinds: tuple[str, ...], values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Any:
    rows = [(kind, KIND_LABELS[kind]) for kind in kinds]
    return render_template(
        "notifications/preferences.html", rows=rows, values=values, errors=errors, deliveries=DELIVERIES
    ), status


@bp.route("/settings/notifications", methods=["GET", "POST"])
@access(ANY_USER)
def preferences():  # type: ignore[no-untyped-def]
    session = get_session()
    user = me()
    kinds = KINDS_FOR_ROLE.get(user.role, ())
    current = service.delivery_for(session, user.id or 0)
    form_class = preferences_form(kinds)
    if request.method == "GET":
        return _render_preferences(kinds, {k: current[k] for k in kinds}, {})
    form = form_class()
    if not form.validate():
        return _render_preferences(kinds, form.values(), form.all_errors, 400)
    data = service.PreferencesInput(deliveries={k: form[k].data or current[k] for k in kinds})
    try:
        service.set_preferences(session, actor=user, data=data)
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render_preferences(kinds, form.values(), form.all_errors, 400)
    flash(gettext("Notification settings saved."), "info")
    return redirect(url_for("notifications.preferences"))
