"""The catalogs: Dutch complete and faithful to every placeholder, both up to date with the code and compiled.

msgids are English; the English catalog stays empty on purpose (the msgid is the text). When one of these
tests fails, run `scripts/i18n.sh`, translate what it lists in marketplace/translations/nl/LC_MESSAGES/messages.po,
and run it again (it also compiles).
"""

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from babel.support import Translations
from sqlmodel import Session

from marketplace import create_app
from tests.conftest import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations"
SCRIPT = ROOT / "scripts" / "i18n.sh"
LOCALES = ("nl", "en")
FIX = (
    "run scripts/i18n.sh, translate the listed entries in marketplace/translations/nl/LC_MESSAGES/messages.po "
    "(no fuzzy flags), then run scripts/i18n.sh again"
)

# A printf-style conversion as Python's % operator reads it: %(name)s, %s, %5.2f, %%.
CONVERSION = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    assert path.is_file(), f"{path} is missing: {FIX}"
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def singular(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (list, tuple)) else message.id)


def plural(message: Message) -> str | None:
    return str(message.id[1]) if isinstance(message.id, (list, tuple)) else None


def strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string or "",)


def where(message: Message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:3]) or "no location"


def conversions(text: str) -> tuple[Counter[str], bool]:
    """The conversions in `text` (named ones by name, `%%` as itself) and whether a lone `%` is left over."""
    found: Counter[str] = Counter(match.group(0) for match in CONVERSION.finditer(text))
    return found, "%" in CONVERSION.sub("", text)


def keywords_of_the_script() -> list[str]:
    """The extraction keywords of scripts/i18n.sh, so this test extracts exactly what the script does."""
    match = re.search(r'^KEYWORDS="([^"]*)"', SCRIPT.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f'{SCRIPT} no longer sets KEYWORDS="..."; keep this test and the script in step'
    return match.group(1).split()


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {locale: read_catalog(po_path(locale), locale) for locale in LOCALES}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every translatable string in the code now, extracted as scripts/i18n.sh does (same babel.cfg, keywords)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            *keywords_of_the_script(),
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    catalog = read_catalog(pot)
    # A sanity floor, so an extraction that silently found nothing cannot pass the comparison below.
    assert len(entries(catalog)) > 300, (
        f"only {len(entries(catalog))} messages extracted; is babel.cfg intact?"
    )
    return catalog


# --- (a) complete --------------------------------------------------------------------------------------


def test_every_dutch_entry_is_translated_and_not_fuzzy(catalogs: dict[str, Catalog]) -> None:
    nl = catalogs["nl"]
    assert not nl.fuzzy, (
        f"the header of the Dutch catalog is marked fuzzy, so it would not be compiled: {FIX}"
    )
    assert len(entries(nl)) > 300, "the Dutch catalog is (nearly) empty"
    todo = [
        f"{where(m)}: {singular(m)!r}" + (" (fuzzy)" if m.fuzzy else " (untranslated)")
        for m in entries(nl)
        if m.fuzzy or not all(s.strip() for s in strings(m))
    ]
    assert not todo, f"{len(todo)} Dutch entries need a translation; {FIX}:\n" + "\n".join(todo)


def test_dutch_plurals_have_both_forms(catalogs: dict[str, Catalog]) -> None:
    nl = catalogs["nl"]
    assert nl.num_plurals == 2, nl.plural_forms
    wrong = [
        f"{where(m)}: {singular(m)!r}"
        for m in entries(nl)
        if plural(m) is not None and len(strings(m)) != nl.num_plurals
    ]
    assert not wrong, "plural entries need msgstr[0] and msgstr[1]:\n" + "\n".join(wrong)


# --- (b) placeholders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(catalogs: dict[str, Catalog], locale: str) -> None:
    """Same %(name)s set, same number of %%, and no lone % that would break formatting at run time."""
    problems = []
    for message in entries(catalogs[locale]):
        sources = [singular(message)] + ([plural(message) or ""] if plural(message) is not None else [])
        for index, text in enumerate(strings(message)):
            if not text:
                continue  # untranslated: the English msgid is shown (the English catalog is empty on purpose)
            source = sources[min(index, len(sources) - 1)]
            expected, expected_lone = conversions(source)
            got, lone = conversions(text)
            if set(got) != set(expected) or got["%%"] != expected["%%"] or (lone and not expected_lone):
                problems.append(
                    f"{where(message)}: {source!r} has {sorted(expected.elements())}, "
                    f"msgstr {text!r} has {sorted(got.elements())}" + (" and a lone %" if lone else "")
                )
    assert not problems, (
        f"{locale}: placeholders differ (keep %(name)s exactly, write %% for a percent sign):\n"
        + "\n".join(problems)
    )


def test_the_placeholder_check_catches_mistakes() -> None:
    assert conversions("%(pct)s%% of %(amount)s") == (
        Counter({"%(pct)s": 1, "%%": 1, "%(amount)s": 1}),
        False,
    )
    assert conversions("%(pct)s% van")[1]  # a lone percent sign
    assert set(conversions("%(aantal)s stuks")[0]) != set(conversions("%(num)s items")[0])


# --- (c) up to date with the code ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_every_string_of_the_code(
    catalogs: dict[str, Catalog], extracted: Catalog, locale: str
) -> None:
    catalog = catalogs[locale]
    missing = []
    for message in entries(extracted):
        entry = catalog.get(singular(message))
        if entry is None:
            missing.append(f"{where(message)}: {singular(message)!r} is not in the catalog")
        elif plural(entry) != plural(message):
            missing.append(
                f"{where(message)}: the plural of {singular(message)!r} is {plural(message)!r} in the code "
                f"but {plural(entry)!r} in the catalog"
            )
    assert not missing, (
        f"{locale}/messages.po is behind the code ({len(missing)} strings); {FIX}:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_no_strings_the_code_dropped(
    catalogs: dict[str, Catalog], extracted: Catalog, locale: str
) -> None:
    stale = [
        f"{singular(m)!r} (was at {where(m)})"
        for m in entries(catalogs[locale])
        if extracted.get(singular(m)) is None
    ]
    assert not stale, f"{locale}/messages.po holds strings the code no longer uses; {FIX}:\n" + "\n".join(
        stale
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_the_po(catalogs: dict[str, Catalog], locale: str) -> None:
    """The app reads the .mo files (git ignores them): they must be compiled from the current .po."""
    mo = po_path(locale).with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run `make translations` (or scripts/i18n.sh compile)"
    translations = Translations.load(str(TRANSLATIONS), [locale])
    stale = []
    for message in entries(catalogs[locale]):
        texts = strings(message)
        if message.fuzzy or not all(texts):
            continue  # not compiled: the English msgid shows
        if plural(message) is None:
            got = translations.ugettext(singular(message))
            if got != texts[0]:
                stale.append(f"{singular(message)!r}: .mo has {got!r}, .po has {texts[0]!r}")
        else:
            for n, form in ((1, 0), (2, 1)):
                got = translations.ungettext(singular(message), plural(message) or "", n)
                if got != texts[form]:
                    stale.append(f"{singular(message)!r} (n={n}): .mo has {got!r}, .po has {texts[form]!r}")
    assert not stale, (
        f"{mo} is older than its .po: run `make translations` (or scripts/i18n.sh compile):\n"
        + "\n".join(stale[:20])
    )


# --- rendering with the production default -------------------------------------------------------------


@pytest.fixture
def dutch_app(app_config: dict[str, Any]) -> Iterator[Any]:
    """The app with the production locale settings: the suite's English default is left out on purpose."""
    app = create_app({k: v for k, v in app_config.items() if k != "BABEL_DEFAULT_LOCALE"})
    assert app.config["BABEL_DEFAULT_LOCALE"] == "nl"
    yield app
    app.extensions["srx.engine"].dispose()


def test_login_page_is_dutch_by_default(dutch_app: Any) -> None:
    html = dutch_app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Inloggen" in html and "E-mailadres" in html and "Wachtwoord" in html
    assert "Log in" not in html and "Password" not in html


def test_company_dashboard_is_dutch_for_a_dutch_user(
    dutch_app: Any, world: World, db_session: Session
) -> None:
    user = world.users["company_a"]
    user.locale = "nl"
    db_session.add(user)
    db_session.commit()
    client = dutch_app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    html = client.get("/company/").get_data(as_text=True)
    assert '<html lang="nl">' in html
    for dutch in (
        "Mijn opdrachten",
        "Opdrachtsom",
        "Verplichting",
        "Toegezegd",
        "In behandeling",
        "Gerealiseerd",
        "Resterend",
        "Uitloggen",
    ):
        assert dutch in html, dutch
    for english in ("My contracts", "Contract sum", "Obligation", "Remaining", "Log out"):
        assert english not in html, english
    assert "€ 100.000,00" in html or "€\xa0100.000,00" in html  # the obligation of A-001, in Dutch notation
