"""The user's settings: API tokens (/settings/api-tokens), made and revoked here, shown once."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from wtforms import StringField

from marketplace.i18n import _l

from ..authz import ANY_USER, access
from ..forms import ChoiceField, Form, MultiCheckboxField, max_length, required
from ..models import API_SCOPES, TOKEN_KINDS
from ..services import api_tokens
from ..services.errors import ServiceError
from ._helpers import abort, get_session, me

bp = Blueprint("settings", __name__, url_prefix="/settings")


SCOPE_LABELS = {
    "read": _l("read: everything the API shows you"),
    "pledge": _l("pledge: pledges, plans van aanpak, revisions, certificates"),
    "decide": _l("decide: approve, reject, check reports, settle"),
    "report": _l("report: realisation reports, delivery"),
}


class TokenForm(Form):
    name = StringField(validators=[required(), max_length(100)])
    scopes = MultiCheckboxField(codes=API_SCOPES)
    kind = ChoiceField(codes=TOKEN_KINDS, default="personal")


class RevokeForm(Form):
    pass


def _render(form: TokenForm, *, secret: str | None = None, status: int = 200) -> Any:
    user = me()
    response = (
        render_template(
            "settings/api_tokens.html",
            tokens=api_tokens.tokens_of(get_session(), user),
            form=form,
            values=form.values(),
            errors=form.all_errors,
            scope_options=[(s, str(SCOPE_LABELS[s])) for s in api_tokens.allowed_scopes(user)],
            can_share=api_tokens.can_share(user),
            secret=secret,
        ),
        status,
    )
    return response


@bp.route("/api-tokens", methods=["GET", "POST"])
@access(ANY_USER)
def api_token_list():  # type: ignore[no-untyped-def]
    """The user's tokens and their organisation's; a new token is shown once, on the answer to its form."""
    form = TokenForm()
    if form.is_submitted():
        if not form.validate():
            return _render(form, status=400)
        try:
            _token, secret = api_tokens.create_token(
                get_session(),
                actor=me(),
                data=api_tokens.TokenInput(
                    name=form.name.data or "",
                    scopes=tuple(form.scopes.data or ()),
                    organisation=form.kind.data == "organisation",
                ),
            )
        except ServiceError as exc:
            form.add_service_error(exc)
            return _render(form, status=409 if exc.status == 409 else 400)
        body, status = _render(TokenForm(formdata=None), secret=secret)
        return body, status, {"Cache-Control": "no-store"}
    if not form.scopes.data:
        form.scopes.data = ["read"]
    return _render(form)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@access(ANY_USER)
def revoke_api_token(token_id: int):  # type: ignore[no-untyped-def]
    if not RevokeForm().validate():
        abort(400)
    try:
        token = api_tokens.revoke_token(get_session(), actor=me(), token_id=token_id)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(gettext("This token was revoked already."), "error")
        return redirect(url_for("settings.api_token_list"))
    flash(gettext("Token %(name)s revoked: it no longer works.", name=token.name), "info")
    return redirect(url_for("settings.api_token_list"))
