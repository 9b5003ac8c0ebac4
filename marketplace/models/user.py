"""Users of the four roles, and login attempts for rate limiting."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from ._base import utcnow


class Role(StrEnum):
    COMPANY = "company"
    INITIATIVE = "initiative"
    OFFICER = "officer"
    # A WSP adviser: on the officer's side, for every government the WSP serves (models.lifecycle).
    ADVISER = "adviser"
    ADMIN = "admin"


ROLES = tuple(Role)
LOCALES = ("nl", "en")


class User(UserMixin, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    company_id: int | None = Field(default=None, foreign_key="company.id")
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id")
    government_id: int | None = Field(default=None, foreign_key="government.id")
    locale: str = Field(default="nl", max_length=5)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by every edit and (de)activation: a form opened on an older version stores nothing.
    version: int = 1
    # Raised by logout, a password change or reset, and deactivation: every session of an older version is
    # refused on its next request (marketplace/sessions.py), wherever its cookie was copied to.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session cookie holds: the id and the session version it was issued for."""
        return f"{self.id}:{self.session_version}"


class LoginAttempt(SQLModel, table=True):
    """One login (kind "login") or password-reset request (kind "reset"): the throttles count these rows."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email: str = Field(max_length=254, index=True)
    remote_addr: str = Field(default="", max_length=64, index=True)
    success: bool = False
    kind: str = Field(default="login", max_length=10, sa_column_kwargs={"server_default": "login"})
