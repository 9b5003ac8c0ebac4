"""An initiative's published contact details: the checks and the links, shared by the form and the service.

A contact field left empty is not published; there is no separate publish switch (docs/privacy.md says why).
"""

import re
from urllib.parse import urlsplit

MAX_WEBSITE = 200
MAX_EMAIL = 254
MAX_PHONE = 30
MAX_CONTACT_NAME = 100

# One @, no spaces, a dotted domain: the shape of an address people type; delivery is not checked.
EMAIL_RE = re.compile(r"^[^@\s<>\"',;?&#%/:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
HOST_RE = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
PHONE_CHARS_RE = re.compile(r"^\+?[0-9 ()\-.]+$")


def normalise_website(text: str | None) -> str | None:
    """'www.x.nl' -> 'https://www.x.nl'; None when it is no http(s) address with a host (javascript: is not)."""
    text = (text or "").strip()
    if not text:
        return None
    if "://" not in text and ":" not in text.split("/", 1)[0]:
        text = "https://" + text  # "www.x.nl/pad": an address without its scheme
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or any(c.isspace() for c in text):
        return None
    host = parts.hostname or ""
    if not HOST_RE.match(host) or parts.username or parts.password:
        return None
    return text


def website_label(url: str) -> str:
    """The address as shown: without its scheme and a trailing slash."""
    return re.sub(r"^https?://", "", url, flags=re.IGNORECASE).rstrip("/")


def valid_email(text: str) -> bool:
    return len(text) <= MAX_EMAIL and bool(EMAIL_RE.match(text))


def phone_national(text: str) -> str | None:
    """A Dutch number in any common notation -> its ten national digits ('0201234567'); None otherwise.

    Accepted: 020 123 4567, 020-1234567, (020) 123 45 67, 06 12345678, +31 20 123 4567, +31 (0)20 123 4567,
    0031 20 123 4567. 10 to 15 digits as typed; foreign numbers and short service numbers are refused.
    """
    text = text.strip()
    if not PHONE_CHARS_RE.match(text):
        return None
    digits = re.sub(r"\D", "", text.replace("(0)", "", 1) if text.startswith(("+31", "0031")) else text)
    if not 10 <= len(digits) <= 15:
        return None
    if text.startswith("+"):
        if not digits.startswith("31"):
            return None
        digits = "0" + digits[2:]
    elif digits.startswith("0031"):
        digits = "0" + digits[4:]
    if len(digits) != 10 or not digits.startswith("0") or digits[1] == "0":
        return None
    return digits


def tel_href(phone: str) -> str:
    """tel:+31201234567 for a stored number (as typed)."""
    national = phone_national(phone)
    return f"tel:+31{national[1:]}" if national else "tel:" + re.sub(r"[^0-9+]", "", phone)
