"""SRX, the Social Return Exchange: the Flask application."""

import contextlib
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.exceptions import HTTPException, SecurityError

from marketplace.i18n import _l

from . import boundary, headers
from .app_class import SRXFlask
from .boundary import BoundedIntConverter  # noqa: F401  (re-exported)
from .config import load_config

ROOT = Path(__file__).resolve().parent.parent


class TokenAwareCSRFProtect(CSRFProtect):
    """CSRF protection, except for API calls that carry `Authorization: Bearer`: they are authenticated by
    the token alone (never by the cookie beside it), which a browser does not add to a forged request."""

    def protect(self, *args: Any, **kwargs: Any) -> None:
        from .api.tokens import bearer_secret

        if bearer_secret() is not None:
            return
        super().protect(*args, **kwargs)


csrf = TokenAwareCSRFProtect()
babel = Babel()
login_manager = LoginManager()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error handlers."""
    app = SRXFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    # The input boundary (NUL bytes, ASCII-only bounded ids, 401 before CSRF on the API) comes first.
    boundary.init_app(app)
    if app.config.get("TRUSTED_PROXIES", 0) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only then is X-Forwarded-For the client's address (login throttle) and X-Forwarded-Proto the scheme.
        proxies = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    from . import db  # SQLAlchemy loads with the app, not with `srx --help`

    db.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    from .search_sync import init_app as init_search

    init_search(app)
    from . import jobs

    jobs.init_app(app)
    headers.init_app(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import db
    from .i18n import select_locale
    from .models import User

    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.login_message_category = "info"

    from . import sessions

    sessions.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return sessions.load_user(db.get_session().get, user_id)


def register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .views import (
        account,
        admin,
        auth,
        company,
        company_lifecycle,
        company_profile,
        exports,
        initiative,
        notifications,
        officer,
        officer_lifecycle,
        open_data,
        public,
        reports,
        settings,
    )

    # These modules hang their routes on the company and officer blueprints.
    _ = (company_lifecycle, officer_lifecycle, company_profile)

    for module in (
        public,
        auth,
        account,
        company,
        initiative,
        officer,
        admin,
        reports,
        exports,
        open_data,
        settings,
        notifications,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def register_errorhandlers(app: Flask) -> None:
    from flask_babel import gettext

    messages = {
        400: _l("The request could not be understood."),
        401: _l("Log in first."),
        403: _l("You may not see this page."),
        404: _l("This page does not exist, or it is not yours to see."),
        405: _l("This action is not allowed here."),
        413: _l("That was too much data at once."),
        429: _l("Too many requests. Wait a moment and try again."),
        500: _l("Something went wrong on our side. Nothing you entered was stored twice; try again."),
    }

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        text = gettext("Your form expired or did not come from this site. Reload the page and try again.")
        if _wants_json():
            return problem(400, "CSRF", text)
        return render_template("error.html", code=400, message=text), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if isinstance(exc, SecurityError):  # a Host outside TRUSTED_HOSTS: no URL can be built for it
            return app.response_class(
                "Bad Request: this host is not served here.\n", 400, mimetype="text/plain"
            )
        code = exc.code or 500
        text = str(messages.get(code, exc.description or ""))
        if _wants_json():
            response = problem(code, exc.name, text)
        else:
            response = app.make_response((render_template("error.html", code=code, message=text), code))
        # The exception's own headers: Allow on a 405, Retry-After on a 429 or 503, WWW-Authenticate on a 401.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        from sqlalchemy.exc import DBAPIError, OperationalError

        # Undo the failed transaction; the session stays open for the error page (teardown closes it).
        session = g.get("db_session")
        if session is not None:
            with contextlib.suppress(Exception):  # the database may be the thing that is down
                session.rollback()
        if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            app.logger.error("Database unavailable on %s: %s", request.path, type(exc.orig).__name__)
            text = gettext("The service is unavailable for a moment. Nothing was stored; try again shortly.")
            if _wants_json():
                response = problem(503, "Service Unavailable", text)
                response.headers["Retry-After"] = "30"
                return response
            # A page of its own, as an anonymous visitor: loading the logged-in user would ask the database.
            g._login_user = login_manager.anonymous_user()
            return render_template("error_plain.html", code=503, message=text), 503, {"Retry-After": "30"}
        app.logger.exception("Unhandled error on %s", request.path)
        text = str(messages[500])
        if _wants_json():
            return problem(500, "Internal Server Error", text)
        return render_template("error.html", code=500, message=text), 500


def problem(status: int, title: str, detail: str, **extra: Any) -> Any:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept for the whole process, shared by every app in it (tests build many)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = SharedBytecodeCache()


def register_template_helpers(app: Flask) -> None:
    from flask_wtf.csrf import generate_csrf

    app.jinja_env.bytecode_cache = _BYTECODE_CACHE

    from . import contact, formatting, i18n

    i18n.install_fast_gettext(app.jinja_env)
    i18n.install_fast_wtforms_translations()
    from .policy import Policy
    from .themes import THEME_CODES

    app.jinja_env.filters["money"] = formatting.money
    app.jinja_env.filters["day"] = formatting.day
    app.jinja_env.filters["when"] = formatting.when
    app.jinja_env.filters["clock"] = formatting.clock
    app.jinja_env.filters["quantity"] = formatting.quantity
    app.jinja_env.filters["block_quantity"] = formatting.block_quantity
    app.jinja_env.filters["percent"] = formatting.percent
    app.jinja_env.filters["decimal"] = formatting.decimal
    app.jinja_env.filters["breakdown_line"] = formatting.breakdown_line
    app.jinja_env.filters["block_value"] = formatting.block_value
    app.jinja_env.filters["block_label"] = formatting.block_label
    app.jinja_env.filters["conditions"] = formatting.conditions_text
    app.jinja_env.filters["route_label"] = lambda code: formatting.label("ROUTES", code)
    app.jinja_env.filters["as_policy"] = Policy.from_dict
    app.jinja_env.filters["website_label"] = contact.website_label
    app.jinja_env.filters["tel_href"] = contact.tel_href
    app.jinja_env.filters["route_option"] = lambda code: (code, formatting.label("ROUTES", code))
    # Options of a select for the field macros: (code, its label of `kind`), or (text, text).
    app.jinja_env.filters["label_option"] = lambda code, kind: (code, formatting.label(kind, code))
    app.jinja_env.filters["pair"] = lambda text: (text, text)
    from .charts import burndown

    app.jinja_env.globals.update(
        burndown=burndown,
        label=formatting.label,
        i18n=i18n,
        THEME_CODES=THEME_CODES,
        csrf_token=generate_csrf,
        radar=formatting.radar,
        remaining_activities=formatting.remaining_activities,
        obligation_steps=formatting.obligation_steps,
    )

    @app.context_processor
    def _locale() -> dict[str, Any]:
        return {"current_locale": i18n.locale_code(), "unread_notifications": unread_notifications}


def unread_notifications() -> int:
    """The bell's figure: one statement per page that shows it, counted once per request."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return 0
    if "srx_unread" not in g:
        from .db import get_session
        from .services.notifications import unread_count

        g.srx_unread = unread_count(get_session(), current_user.id)
    count: int = g.srx_unread
    return count
