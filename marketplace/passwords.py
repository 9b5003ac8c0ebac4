"""The strength check every new password passes: long enough, not a common password, not the e-mail address.

The list of common passwords ships in the package (marketplace/data/common-passwords.txt, 10,000 entries);
a password is refused when it, in lower case, or what is left of it without trailing digits and punctuation,
is on the list ("Welkom2026!" is "welkom"). ASVS 2.1.7 asks for a check against breached passwords; a
fixed list is the offline version of it.
"""

from functools import lru_cache
from pathlib import Path

from .services.errors import N_

MIN_LENGTH = 10
MAX_LENGTH = 500
LIST_PATH = Path(__file__).parent / "data" / "common-passwords.txt"
TRAILING = "0123456789!@#$%^&*()-_=+.,;:?~ "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = LIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str, *, email: str = "") -> str | None:
    """Why `password` is too weak (a message to translate), or None when it is strong enough."""
    if len(password) < MIN_LENGTH:
        return N_("A password needs at least 10 characters.")
    if len(password) > MAX_LENGTH:
        return N_("A password may have at most 500 characters.")
    lower = password.lower()
    common = common_passwords()
    stripped = lower.rstrip(TRAILING)
    if lower in common or (len(stripped) >= 3 and stripped in common) or len(set(lower)) <= 2:
        return N_("This password is one of the most common passwords. Choose a less predictable one.")
    local = email.lower().partition("@")[0]
    if email and (lower == email.lower() or (len(local) >= 4 and local in lower)):
        return N_("A password must not contain your e-mail address.")
    return None
