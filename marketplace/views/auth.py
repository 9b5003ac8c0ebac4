"""Log in (rate-limited), log out, choose the language."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import sessions
from ..authz import ANY_USER, PUBLIC, access
from ..db import keep_changes
from ..forms import ChoiceField, FilterForm, max_length
from ..models import LOCALES
from ..services.auth import authenticate, revoke_sessions, set_locale
from ..services.errors import RateLimited, ServiceError
from ._helpers import error_text, get_session, me

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    "company": "company.dashboard",
    "initiative": "initiative.dashboard",
    "officer": "officer.queue",
    "adviser": "officer.queue",
    "admin": "admin.index",
}


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Length(max=254)])
    password = PasswordField(validators=[DataRequired(), Length(max=500)])


class NextArgs(FilterForm):
    """The page the login returns to (?next=), checked again by safe_next."""

    next = StringField(validators=[max_length(2000)])


class LanguageForm(FlaskForm):
    """The language switch in the header: a locale, and the page to go back to."""

    locale = ChoiceField(codes=LOCALES)
    next = StringField(validators=[max_length(2000)])


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so the login cannot redirect elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    form = LoginForm()
    error = None
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        keep_changes()  # the attempt is recorded whatever its outcome: that is what the rate limit counts
        try:
            user = authenticate(
                get_session(),
                email=form.email.data or "",
                password=form.password.data or "",
                remote_addr=request.remote_addr or "",
            )
        except RateLimited as exc:
            error, status = error_text(exc), 429
            wait = int(exc.params.get("seconds") or 60 * int(exc.params.get("minutes") or 1))
            headers["Retry-After"] = str(wait)
        except ServiceError as exc:
            error, status = error_text(exc), 401
        else:
            sessions.start(user)  # a new session and CSRF token: nothing from before the login carries over
            back = safe_next(NextArgs().clean()["next"])
            return redirect(back or url_for(HOME_BY_ROLE[user.role]))
    elif request.method == "POST":
        error, status = gettext("Enter your e-mail address and password."), 400
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.route("/logout", methods=["POST"])
@access(ANY_USER)
def logout():  # type: ignore[no-untyped-def]
    # Every session of this user ends, also a copy of this cookie elsewhere.
    revoke_sessions(get_session(), user=me(), action="user.logged_out")
    sessions.end()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/language", methods=["POST"])
@access(PUBLIC)
def set_language():  # type: ignore[no-untyped-def]
    form = LanguageForm()
    # An unknown locale or an overlong `next` is no reason to refuse the switch: Dutch, and the start page.
    form.validate()
    locale = form.locale.data if not form.locale.errors and form.locale.data else "nl"
    session["locale"] = locale
    if current_user.is_authenticated:
        set_locale(get_session(), actor=me(), locale=locale)
    back = None if form.next.errors else safe_next(form.next.data)
    return redirect(back or url_for("public.home"))
