"""Form fields and helpers shared by every page: amounts in euro, percentages, whole numbers, choices.

Each form is a Flask-WTF class that checks every field at once; the page shows each error beside its field.
Amounts are typed the Dutch way or the English way ("1.250,50", "1250.50", "€ 2.500") and arrive as cents;
percentages ("5", "2,5") arrive as basis points. Messages are the app's own, in the reader's language.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms import Form as BareForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.i18n import _l

from .services.errors import ServiceError

REQUIRED = _l("This field is required.")
THOUSANDS_RE = re.compile(r"^\d{1,3}(\.\d{3})+$")


def required() -> InputRequired:
    return InputRequired(message=REQUIRED)


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("Too long: at most %(max)s characters.", max=n))


class _ParsedField(StringField):
    """A text box whose value is parsed into a number; the typed text is kept for redisplay."""

    parse: Callable[[str], int | None] = staticmethod(lambda _text: None)
    invalid_message: Any = _l("This value is not valid.")
    # An empty POST has no form data at all, so process_formdata never runs: start from nothing typed.
    raw_text: str | None = None
    parse_failed = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_text = str(valuelist[0]).strip() if valuelist else ""
        self.data = self.parse(self.raw_text) if self.raw_text else None
        self.parse_failed = bool(self.raw_text) and self.data is None

    def pre_validate(self, form: Any) -> None:
        if getattr(self, "parse_failed", False):
            raise ValidationError(str(self.invalid_message))


def euros_to_cents(value: Any) -> int | None:
    """'1.234,56', '1234.56' or '1234' euro to cents; None when it is not an amount."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("€", "").replace(" ", "").replace("\xa0", "")
    if "," in text:
        # Dutch notation: 1.234,56
        text = text.replace(".", "").replace(",", ".")
    elif THOUSANDS_RE.match(text):
        # 2.500 or 1.250.000: dots that group thousands, as Dutch users type them
        text = text.replace(".", "")
    try:
        amount = Decimal(text)
    except (ValueError, ArithmeticError):
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal(10) ** 12:
        return None
    return int((amount * 100).to_integral_value())


class EuroField(_ParsedField):
    """An amount in euro, stored as cents."""

    parse = staticmethod(euros_to_cents)
    invalid_message = _l("Enter an amount in euro, for example 125000 or 125.000,00.")


class PercentField(_ParsedField):
    """A percentage ("5", "2,5"), stored as basis points (500, 250); from 0 to 100."""

    parse = staticmethod(euros_to_cents)  # the same x100 as euro to cents
    invalid_message = _l("Enter a percentage, for example 5 or 2,5.")

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if self.data is not None and self.data > 10_000:
            raise ValidationError(str(_l("Enter a percentage from 0 to 100.")))


class WholeNumberField(IntegerField):
    """A whole number within bounds, with the app's messages."""

    parse_failed = False

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        low: int | None = None,
        high: int | None = None,
        invalid_message: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high
        # A select of ids says what to choose rather than "enter a whole number".
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        self.parse_failed = False
        if text:
            if (
                text.isascii()
                and (text.isdigit() or (text[:1] == "-" and text[1:].isdigit()))
                and len(text) < 19
            ):
                self.data = int(text)
            else:
                self.parse_failed = True

    def pre_validate(self, form: Any) -> None:
        out_of_range = self.data is not None and (
            (self.low is not None and self.data < self.low)
            or (self.high is not None and self.data > self.high)
        )
        if (self.parse_failed or out_of_range) and self.invalid_message is not None:
            raise ValidationError(str(self.invalid_message))
        if self.parse_failed:
            raise ValidationError(str(_l("Enter a whole number.")))
        if out_of_range:
            raise ValidationError(
                str(_l("Enter a number from %(low)s to %(high)s.", low=self.low, high=self.high))
            )


class DayField(StringField):
    """A date typed or picked as YYYY-MM-DD."""

    raw_text: str | None = None
    parse_failed = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        self.parse_failed = False
        if self.raw_text:
            try:
                self.data = date.fromisoformat(self.raw_text)
            except ValueError:
                self.parse_failed = True

    def pre_validate(self, form: Any) -> None:
        if self.parse_failed:
            raise ValidationError(str(_l("Enter a date as YYYY-MM-DD.")))

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        return self.data.isoformat() if isinstance(self.data, date) else ""


class ChoiceField(SelectField):
    """A select whose value must be one of `codes` (the template renders the options in the reader's language)."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, codes: Iterable[str], **kwargs: Any
    ) -> None:
        self.codes = tuple(str(c) for c in codes)
        super().__init__(label, validators, choices=[SelectChoice(c) for c in self.codes], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data not in self.codes and self.data not in (None, ""):
            raise ValidationError(str(_l("Choose one of the options.")))


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a set of codes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(
        self, label: Any = None, validators: Any = None, *, codes: Iterable[str], **kwargs: Any
    ) -> None:
        self.codes = tuple(str(c) for c in codes)
        super().__init__(label, validators, choices=[SelectChoice(c) for c in self.codes], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if any(v not in self.codes for v in self.data or ()):
            raise ValidationError(str(_l("Choose one of the options.")))


class IdsField(Field):
    """Several row ids from checkboxes of the same name (for example the governments a WSP serves)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        ids = []
        for raw in valuelist:
            text = raw.strip()
            if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 1 <= int(text) <= 2**31 - 1:
                raise ValueError(str(_l("Choose one of the options.")))
            ids.append(int(text))
        self.data = ids

    def _value(self) -> str:
        return ""


def options(codes: Iterable[str], labels: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, label in the reader's language) pairs for a select."""
    return [(str(code), str(labels.get(code, code))) for code in codes]


class FieldErrors(dict[str, str]):
    """Errors by field name; `labels` names each field, so the summary can say which field is wrong."""

    def __init__(self, errors: dict[str, str], labels: dict[str, str]) -> None:
        super().__init__(errors)
        self.labels = labels


class Form(FlaskForm):
    """Base form: errors and values in the shape the templates' field macros read."""

    def errors_by_field(self) -> FieldErrors:
        errors = {
            name: " ".join(str(e) for e in errs)
            for name, errs in self.errors.items()
            if name is not None and errs
        }
        labels = {name: str(self._fields[name].label.text) for name in errors if name in self._fields}
        return FieldErrors(errors, labels)

    def values(self) -> dict[str, Any]:
        """What each field shows again: the text as typed for parsed fields, the data otherwise."""
        out: dict[str, Any] = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            out[name] = _shown(field)
        return out

    def add_service_error(self, exc: ServiceError, fields: dict[str, str] | None = None) -> None:
        """Show a service's refusal beside the field it names (renamed by `fields`), or above the form."""
        from .i18n import error_text

        name = (fields or {}).get(exc.field or "", exc.field or "")
        target = self._fields.get(name)
        if target is None:
            self.form_errors.append(error_text(exc))
        else:
            target.errors = [*list(target.errors or []), error_text(exc)]

    @property
    def all_errors(self) -> FieldErrors:
        out = self.errors_by_field()
        if self.form_errors:
            out["_form"] = " ".join(str(e) for e in self.form_errors)
        return out

    # --- forms with rows (FieldList of FormField): every field by its full name, e.g. "row-2-units" -------

    def flat_values(self) -> dict[str, Any]:
        return {f.name: v for f, v in leaves(self, values=True)}

    def flat_errors(self) -> dict[str, str]:
        out = {f.name: " ".join(str(e) for e in f.errors) for f, _ in leaves(self) if f.errors}
        if self.form_errors:
            out["_form"] = " ".join(str(e) for e in self.form_errors)
        return out


ROW_NAME_RE = re.compile(r"^([a-z_]+)-(\d+)-(\w+)$")


def row_error(field: Field, message: Any) -> None:
    """Put `message` on a field of a form row, unless the field already carries one (the first reason wins)."""
    if not field.errors:
        field.errors = [str(message)]


def typed(field: Field) -> bool:
    """Whether the field holds anything the user typed, picked or ticked (a row with none is left out)."""
    raw = getattr(field, "raw_text", None)
    if raw is not None:
        return bool(raw)
    if isinstance(field, WholeNumberField):
        return bool(field.raw_data and str(field.raw_data[0]).strip())
    data = field.data
    if isinstance(data, list | tuple):
        return bool(data)
    return data not in (None, "", False)


def row_summary(
    errors: dict[str, str], where: dict[str, Callable[[int], Any]], labels: dict[str, Any]
) -> dict[str, str]:
    """The errors for the summary at the top: a row's error names the row and the field
    ("Building block 3, value in euro: ..."); `where` names a row of each list by its number in the name."""
    out: dict[str, str] = {}
    for name, message in errors.items():
        m = ROW_NAME_RE.match(name)
        if m is None or m.group(1) not in where:
            out[name] = message
            continue
        which, index, field = m.groups()
        out[name] = f"{where[which](int(index))}, {labels.get(field, field)}: {message}"
    return out


def leaves(form: Any, *, values: bool = False) -> Iterator[tuple[Field, Any]]:
    """Every plain field, descending into the rows; with its value as shown again when asked."""
    from wtforms import FieldList

    for name, f in form._fields.items():
        if name == "csrf_token":
            continue
        if isinstance(f, FieldList):
            for entry in f.entries:
                yield from leaves(entry.form, values=values)
        else:
            yield f, (_shown(f) if values else None)


class FilterForm(BareForm):
    """The filters of a list page, read from the query string (a GET changes nothing, so no CSRF token).

    The rule for every list: a filter value that is not valid (not one of the choices, too long, not a year)
    answers 400 with the message beside that filter, and the list is shown as if that filter were not set.
    `clean` is what the query uses, `args` what the page's links carry on, `values` what the fields show.
    """

    def __init__(self, args: Any = None, **kwargs: Any) -> None:
        from flask import request

        super().__init__(formdata=request.args if args is None else args, **kwargs)
        self.valid = self.validate()

    @property
    def http_status(self) -> int:
        return 200 if self.valid else 400

    def clean(self) -> dict[str, Any]:
        """Each filter's value, None or "" where it was not valid."""
        return {
            name: (None if isinstance(f, IntegerField) else "") if f.errors else f.data
            for name, f in self._fields.items()
        }

    def args(self) -> dict[str, str]:
        """The valid filters that are set, for the page's links (pagination, downloads)."""
        return {name: str(v) for name, v in self.clean().items() if v not in (None, "")}

    def values(self) -> dict[str, Any]:
        return {name: _shown(f) for name, f in self._fields.items()}

    @property
    def all_errors(self) -> FieldErrors:
        errors = {name: " ".join(str(e) for e in errs) for name, errs in self.errors.items() if errs}
        return FieldErrors(errors, {name: str(self._fields[name].label.text) for name in errors})


def _shown(field: Field) -> Any:
    raw = getattr(field, "raw_text", None)
    if raw is not None:
        return raw
    if isinstance(field, IntegerField) and field.raw_data:
        return field.raw_data[0]
    return field.data


__all__ = [
    "row_error",
    "typed",
    "REQUIRED",
    "ChoiceField",
    "DayField",
    "EuroField",
    "FilterForm",
    "Form",
    "MultiCheckboxField",
    "Optional",
    "PercentField",
    "StringField",
    "WholeNumberField",
    "euros_to_cents",
    "max_length",
    "options",
    "required",
]
