"""The per-request shortcuts of the speed issue give the same pages as the library code they replace.

- Template `_()`, `gettext()` and `ngettext()` in one call (marketplace.i18n): same text, same escaping and
  the same `%` rule as Jinja's new-style gettext, in Dutch and English, and `force_locale` still switches.
- WTForms' own messages (Flask-WTF) loaded once per locale, not per request: still in the reader's language.
- URLs kept per process (marketplace.app_class): a kept URL is the URL Flask builds, per script root and
  per value type, and a URL that cannot be built still raises.
"""

from typing import Any

import pytest
from flask import render_template_string, url_for
from flask_babel import force_locale
from jinja2 import Environment
from werkzeug.routing import BuildError
from wtforms import StringField
from wtforms.validators import DataRequired

from marketplace import create_app, i18n
from marketplace.forms import Form

# Each snippet exercises one rule: a translated text, an untranslated one, a variable that must be escaped,
# '%%' with and without variables, plurals with `num`, `{% trans %}` blocks.
SNIPPETS = [
    '{{ _("Log in") }}',
    '{{ gettext("Log in") }}',
    '{{ _("No such text in the catalogue") }}',
    '{{ _("%(who)s logged in", who="<b>Ann & Bo</b>") }}',
    '{{ _("100%% sure") }}',
    '{{ _("%(n)s%% of %(m)s", n=5, m="<i>") }}',
    '{{ ngettext("%(n)s hour", "%(n)s hours", 1, n=1) }}',
    '{{ ngettext("%(n)s hour", "%(n)s hours", 3, n=3) }}',
    '{{ ngettext("%(num)s item", "%(num)s items", 2) }}',
    "{% trans %}Log in{% endtrans %}",
    "{% trans who='<x>' %}Hello {{ who }}{% endtrans %}",
    "{% trans count=2 %}{{ count }} file{% pluralize %}{{ count }} files{% endtrans %}",
]


@pytest.fixture
def dutch_app(app_config: dict[str, Any]) -> Any:
    app = create_app({k: v for k, v in app_config.items() if k != "BABEL_DEFAULT_LOCALE"})
    yield app
    app.extensions["srx.engine"].dispose()


def stock_render(source: str, translations: Any) -> str:
    """The same snippet through Jinja's own new-style gettext callables, as Flask-Babel installs them."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env.from_string(source).render()


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("source", SNIPPETS)
def test_template_gettext_renders_what_jinjas_own_gettext_renders(
    dutch_app: Any, lang: str, source: str
) -> None:
    with dutch_app.test_request_context(f"/?lang={lang}"):
        ours = render_template_string(source)
        stock = stock_render(source, i18n._translations())
    assert ours == stock
    if source == '{{ _("Log in") }}':
        assert ours == ("Inloggen" if lang == "nl" else "Log in")


def test_template_gettext_escapes_variables_but_not_the_translation(dutch_app: Any) -> None:
    with dutch_app.test_request_context("/?lang=en"):
        html = render_template_string('{{ _("%(who)s logged in", who="<b>Ann</b>") }}')
    assert html == "&lt;b&gt;Ann&lt;/b&gt; logged in"


def test_force_locale_switches_the_template_language_inside_a_request(dutch_app: Any) -> None:
    with dutch_app.test_request_context("/?lang=nl"):
        assert render_template_string('{{ _("Log in") }}') == "Inloggen"
        with force_locale("en"):
            assert render_template_string('{{ _("Log in") }}') == "Log in"
            assert i18n.gettext("Log in") == "Log in"
            assert i18n.locale_code() == "en"
        assert render_template_string('{{ _("Log in") }}') == "Inloggen"
        assert i18n.locale_code() == "nl"


def test_python_gettext_and_lazy_labels_follow_the_request(dutch_app: Any) -> None:
    label = i18n._l("Log in")
    for lang, expected in (("nl", "Inloggen"), ("en", "Log in")):
        with dutch_app.test_request_context(f"/?lang={lang}"):
            assert i18n.gettext("Log in") == expected
            assert str(label) == expected
            assert i18n.ngettext("%(n)s hour", "%(n)s hours", 3, n=3) == (
                "3 uur" if lang == "nl" else "3 hours"
            )


class _NameForm(Form):
    name = StringField("Name", validators=[DataRequired()])


@pytest.mark.parametrize(
    ("lang", "message"), [("nl", "Dit veld is vereist."), ("en", "This field is required.")]
)
def test_wtforms_own_messages_stay_in_the_readers_language(dutch_app: Any, lang: str, message: str) -> None:
    # Both languages in one process: the catalogue is kept per locale, so the second one must not get the first.
    for other in ("en", "nl"):
        with dutch_app.test_request_context(f"/?lang={other}", method="POST", data={}):
            _NameForm(meta={"csrf": False}).validate()
    with dutch_app.test_request_context(f"/?lang={lang}", method="POST", data={}):
        form = _NameForm(meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == [message]


def test_a_kept_url_is_the_url_flask_builds(dutch_app: Any) -> None:
    with dutch_app.test_request_context("/"):
        first = url_for("public.catalogue", page=2, q="a b")
        assert url_for("public.catalogue", page=2, q="a b") == first == "/catalogue?page=2&q=a+b"
        # Equal keys of different types are different URLs.
        assert url_for("public.catalogue", page=1) == "/catalogue?page=1"
        assert url_for("public.catalogue", page=True) == "/catalogue?page=True"
        assert url_for("public.catalogue", _anchor="results") == "/catalogue#results"
        assert url_for("public.catalogue", _external=True) == "http://localhost/catalogue"
        # A list is no dictionary key: Flask builds it.
        assert (
            url_for("public.catalogue", theme=["werk", "onderwijs"])
            == "/catalogue?theme=werk&theme=onderwijs"
        )
    with dutch_app.test_request_context("/", base_url="http://localhost/srx/"):
        assert url_for("public.catalogue", page=2, q="a b") == "/srx/catalogue?page=2&q=a+b"


def test_a_url_that_cannot_be_built_still_raises_every_time(dutch_app: Any) -> None:
    with dutch_app.test_request_context("/"):
        for _ in range(2):
            with pytest.raises(BuildError):
                url_for("public.no_such_page")
