"""A person's own account: change the password; forgot it, get a link by e-mail, set a new one."""

import logging
from typing import Any

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, gettext
from wtforms import EmailField, PasswordField

from .. import mail, sessions
from ..authz import ANY_USER, PUBLIC, access
from ..forms import Form, max_length, required
from ..passwords import MAX_LENGTH, MIN_LENGTH
from ..services import accounts
from ..services.errors import RateLimited, ServiceError
from ._helpers import error_text, get_session, me

bp = Blueprint("account", __name__)


class PasswordChangeForm(Form):
    current = PasswordField(validators=[required(), max_length(MAX_LENGTH)])
    new = PasswordField(validators=[required(), max_length(MAX_LENGTH)])
    confirm = PasswordField(validators=[required(), max_length(MAX_LENGTH)])


class ForgotForm(Form):
    email = EmailField(validators=[required(), max_length(254)])


class ResetForm(Form):
    new = PasswordField(validators=[required(), max_length(MAX_LENGTH)])
    confirm = PasswordField(validators=[required(), max_length(MAX_LENGTH)])


def _no_referrer(response: Any) -> Any:
    # The reset page's address holds the token: never send it to another site in a Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@access(ANY_USER)
def password():  # type: ignore[no-untyped-def]
    form = PasswordChangeForm()
    if request.method == "POST":
        if form.validate():
            data = accounts.PasswordChange(
                current=form.current.data or "", new=form.new.data or "", confirm=form.confirm.data or ""
            )
            try:
                user = accounts.change_password(get_session(), actor=me(), data=data)
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                sessions.start(user)  # this browser stays logged in, on the new session version
                flash(gettext("Your password is changed. You are logged out everywhere else."), "info")
                return redirect(url_for("account.password"))
        return render_template("account/password.html", errors=form.all_errors, min_length=MIN_LENGTH), 400
    return render_template("account/password.html", errors={}, min_length=MIN_LENGTH)


def _reset_mail(user_email: str, locale: str, link: str) -> mail.Message:
    with force_locale(locale):
        return mail.Message(
            to=user_email,
            subject=gettext("Set a new password for SRX"),
            text=gettext(
                "Someone (we hope you) asked to set a new password for your SRX account.\n\n"
                "Open this link within an hour to choose a new password:\n%(link)s\n\n"
                "The link works once. If you did not ask for it, ignore this message: your password stays "
                "as it is.",
                link=link,
            ),
        )


def _deliver(message: mail.Message, url: str, sender: str) -> None:
    try:
        mail.send(message, url=url, sender=sender)
    except Exception:  # the answer is sent already; the person can ask again
        logging.getLogger(__name__).warning("password reset mail to %s failed", message.to, exc_info=True)


@bp.route("/password/forgot", methods=["GET", "POST"])
@access(PUBLIC)
def forgot():  # type: ignore[no-untyped-def]
    form = ForgotForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("account/forgot.html", errors=form.all_errors, values=form.values()), 400
        try:
            user = accounts.request_reset(
                get_session(), email=form.email.data or "", remote_addr=request.remote_addr or ""
            )
        except RateLimited as exc:
            form.form_errors.append(error_text(exc))
            return render_template("account/forgot.html", errors=form.all_errors, values=form.values()), 429
        if user is not None:
            link = url_for("account.reset", token=accounts.reset_token(user), _external=True)
            message = _reset_mail(user.email, user.locale, link)
            url, sender = current_app.config["MAIL_URL"], current_app.config["MAIL_FROM"]

            # Sent once the answer is on its way, so its time says nothing about whether the account exists.
            @after_this_request
            def _send(response: Any) -> Any:
                response.call_on_close(lambda: _deliver(message, url, sender))
                return response

        flash(
            gettext(
                "If an account exists for this address, we sent it a link to set a new password. "
                "The link works for an hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("account/forgot.html", errors={}, values={})


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def reset(token: str):  # type: ignore[no-untyped-def]
    after_this_request(_no_referrer)
    form = ResetForm()
    user = accounts.user_for_token(get_session(), token)
    if user is None:
        return render_template("account/reset.html", valid=False, errors={}, min_length=MIN_LENGTH), 400
    if request.method == "POST":
        if form.validate():
            data = accounts.PasswordReset(
                token=token, new=form.new.data or "", confirm=form.confirm.data or ""
            )
            try:
                accounts.reset_password(get_session(), data=data)
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                sessions.end()
                flash(gettext("Your new password is set. Log in with it."), "info")
                return redirect(url_for("auth.login"))
        return render_template(
            "account/reset.html", valid=True, errors=form.all_errors, min_length=MIN_LENGTH
        ), 400
    return render_template("account/reset.html", valid=True, errors={}, min_length=MIN_LENGTH)
