"""Settings from the environment, with safe defaults for the embedded demo."""

import os
import secrets
from pathlib import Path
from typing import Any

from .mail import DEFAULT_SENDER


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path, name: str = "SECRET_KEY", file: str = "secret_key") -> str:
    """Use the variable, or a random key kept in the instance folder so it survives restarts."""
    if os.environ.get(name):
        return os.environ[name]
    key_file = instance_path / file
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: Path) -> dict[str, Any]:
    """Build the configuration dict from the environment."""
    env = os.environ
    default_db = f"sqlite:///{instance_path / 'srx.sqlite3'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        # The key of the pseudonymous person keys of placements (an HMAC): set it once and keep it; a new one
        # would stop SRX from seeing that two placements are the same person. Separate from SECRET_KEY so that
        # rotating the session key changes nothing here.
        "PERSON_KEY_SECRET": _secret_key(instance_path, "PERSON_KEY_SECRET", "person_key_secret"),
        # The key of the audit trail's hash chain (marketplace/audit_chain.py): keep it outside the database and
        # never change it, or `srx audit verify` reports every row as changed.
        "AUDIT_KEY": _secret_key(instance_path, "AUDIT_KEY", "audit_key"),
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
        # fts5 (embedded default) or meili; MEILI_URL alone also selects meili.
        "SEARCH_BACKEND": env.get("SEARCH_BACKEND", "meili" if env.get("MEILI_URL") else "fts5"),
        "SEARCH_SQLITE_PATH": env.get("SEARCH_SQLITE_PATH", str(instance_path / "search.sqlite3")),
        "SEARCH_POSTGRES_URL": env.get("SEARCH_POSTGRES_URL") or env.get("DATABASE_URL", default_db),
        "MEILI_URL": env.get("MEILI_URL"),
        "MEILI_KEY": env.get("MEILI_KEY"),
        "MEILI_INDEX": env.get("MEILI_INDEX", "srx"),
        # Meilisearch: short timeouts and a circuit breaker (open after this many failures in a row, one trial
        # call after the cool-down); while it is open no request waits for the server (docs/security.md).
        "SEARCH_CONNECT_TIMEOUT": float(env.get("SEARCH_CONNECT_TIMEOUT", "0.5")),
        "SEARCH_READ_TIMEOUT": float(env.get("SEARCH_READ_TIMEOUT", "2")),
        "SEARCH_BREAKER_FAILURES": int(env.get("SEARCH_BREAKER_FAILURES", "3")),
        "SEARCH_BREAKER_COOLDOWN": float(env.get("SEARCH_BREAKER_COOLDOWN", "30")),
        # Inline sync applies outbox rows right after each commit; production may run `srx search sync`.
        "SEARCH_SYNC_INLINE": _bool(env.get("SEARCH_SYNC_INLINE"), True),
        "MODEL_PATH": env.get("MODEL_PATH", str(instance_path / "model" / "scorer.skops")),
        # A session ends this long after the login (default 12 hours), or after this long without a request
        # (default 30 minutes); marketplace/sessions.py checks both on the server.
        "SESSION_LIFETIME": int(env.get("SESSION_LIFETIME", str(12 * 3600))),
        "SESSION_IDLE_TIMEOUT": int(env.get("SESSION_IDLE_TIMEOUT", str(30 * 60))),
        # The decision history behind the recommender's approval rates is re-read at most this often.
        "RECOMMENDER_HISTORY_REFRESH_S": float(env.get("RECOMMENDER_HISTORY_REFRESH_S", "5")),
        # The host names this instance answers to: API URLs are built from SERVER_NAME (host[:port]) when set,
        # else from the request's host only when TRUSTED_HOSTS (comma-separated) vouches for it (others: 400).
        "SERVER_NAME": env.get("SERVER_NAME") or None,
        "TRUSTED_HOSTS": [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None,
        "PREFERRED_URL_SCHEME": "https" if _bool(env.get("SESSION_COOKIE_SECURE"), False) else "http",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ["nl", "en"],
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        # The login throttle (services/auth.py): failures per (account, client) pair before the waits start,
        # the first wait (doubling with each further failure, up to the longest), the failures one client
        # address may make in the window whatever the accounts, and the window itself.
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_DELAY_SECONDS": int(env.get("LOGIN_DELAY_SECONDS", "2")),
        "LOGIN_MAX_DELAY_SECONDS": int(env.get("LOGIN_MAX_DELAY_SECONDS", "900")),
        "LOGIN_CLIENT_MAX_FAILURES": int(env.get("LOGIN_CLIENT_MAX_FAILURES", "100")),
        "LOGIN_WINDOW_SECONDS": int(env.get("LOGIN_WINDOW_SECONDS", "3600")),
        # Password reset links expire after an hour; requests per client address and per e-mail address in the
        # window (past that, requests for the same address send no mail until the window has passed).
        "PASSWORD_RESET_MAX_AGE": int(env.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "PASSWORD_RESET_WINDOW_SECONDS": int(env.get("PASSWORD_RESET_WINDOW_SECONDS", "3600")),
        "PASSWORD_RESET_CLIENT_MAX": int(env.get("PASSWORD_RESET_CLIENT_MAX", "10")),
        "PASSWORD_RESET_EMAIL_MAX": int(env.get("PASSWORD_RESET_EMAIL_MAX", "3")),
        # How many reverse proxies in front of SRX set X-Forwarded-For/-Proto (Werkzeug's ProxyFix). 0: none,
        # the client address is the connection's. Set it only when every request passes through them.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # Calls one API token may make per window (api/tokens.py); over it: 429 with Retry-After.
        "API_RATE_LIMIT": int(env.get("API_RATE_LIMIT", "120")),
        "API_RATE_WINDOW": int(env.get("API_RATE_WINDOW", "60")),
        # Evidence uploads are the largest requests: a 10 MB file and its form.
        "MAX_CONTENT_LENGTH": 11 * 1024 * 1024,
        "EVIDENCE_MAX_BYTES": int(env.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))),
        "EVIDENCE_STORAGE": env.get("EVIDENCE_STORAGE", "local"),
        "EVIDENCE_PATH": env.get("EVIDENCE_PATH", str(instance_path / "evidence")),
        "EVIDENCE_S3_BUCKET": env.get("EVIDENCE_S3_BUCKET", ""),
        "EVIDENCE_S3_ENDPOINT": env.get("EVIDENCE_S3_ENDPOINT", ""),
        # Evidence and placement details are deleted this long after a contract is settled (docs/privacy.md).
        # The demo (`make run`): the login page lists the demo accounts. Never on a real instance.
        "DEMO": env.get("SRX_DEMO", "") == "1",
        "RETENTION_DAYS": int(env.get("RETENTION_DAYS", str(2 * 365))),
        "PER_PAGE": 20,
        # How long the officer who approved a pledge can undo the approval (then a revision corrects it).
        "APPROVAL_UNDO_MINUTES": int(env.get("APPROVAL_UNDO_MINUTES", "10")),
        # Outgoing mail (marketplace/mail.py): console:// prints it, smtp://user:pass@host:587?starttls=1 sends it.
        "MAIL_URL": env.get("MAIL_URL", "console://"),
        "MAIL_FROM": env.get("MAIL_FROM", DEFAULT_SENDER),
        # Seconds without an answer before a mail server counts as hanging (the job then retries later).
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "10")),
        # The address the links in e-mails point to.
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000"),
        # The job queue (marketplace/jobs.py): Redis when set, else SQLite in the instance folder.
        "REDIS_URL": env.get("REDIS_URL"),
        "JOBS_IMMEDIATE": _bool(env.get("JOBS_IMMEDIATE"), False),
        # Search index changes through the job queue instead of right after each request.
        "SEARCH_SYNC_QUEUE": _bool(env.get("SEARCH_SYNC_QUEUE"), False),
    }
