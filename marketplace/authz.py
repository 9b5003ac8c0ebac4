"""Who may call which view: every route declares its rule, and a test checks none is missing.

Role checks live here; object checks (own organisation, own government) live in the queries
and services, which answer 404 for anything outside the caller's reach.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from .models import User

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
ANY_USER = "any_user"


def access(*roles: str) -> Callable[[F], F]:
    """Declare who may call a view: PUBLIC, ANY_USER, or one or more roles."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if PUBLIC not in roles:
                if not current_user.is_authenticated:
                    if request.path.startswith("/api/"):
                        abort(401)
                    return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
                if ANY_USER not in roles and current_user.role not in roles:
                    abort(403)
            return view(*args, **kwargs)

        wrapper.srx_access = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def access_of(view: Callable[..., Any]) -> tuple[str, ...] | None:
    return getattr(view, "srx_access", None)


def me() -> User:
    """The logged-in user (views are guarded by `access`, so there is one)."""
    user: User = current_user._get_current_object()
    return user
