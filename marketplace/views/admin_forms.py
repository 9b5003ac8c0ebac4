"""The admin's valuation-table form: one row of fields per building block, every error at once.

A row left entirely empty is skipped, so "add a row" (a submit button, no JavaScript) gives an empty row to
fill in. The form checks every row and field itself and names the row in each message; the service
(services.admin.create_table) checks again and stores the new version.
"""

import re
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, FormField, HiddenField, StringField, TextAreaField
from wtforms import Form as BareForm

from marketplace.i18n import _l

from ..forms import (
    REQUIRED,
    ChoiceField,
    DayField,
    EuroField,
    Form,
    MultiCheckboxField,
    PercentField,
    WholeNumberField,
    max_length,
    required,
    row_error,
    row_summary,
    typed,
)
from ..models import BLOCK_UNITS, PERSON_FLAGS, ROUTES, TARGET_GROUPS, VALUED_UNITS, BlockUnit
from ..services.admin import MAX_BLOCKS, BlockInput, TableInput

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MIN_AGES = ("50", "55")
OTHER_GROUPS = "*"
MAX_CAPS = len(TARGET_GROUPS) + 1
# The blank rows a new table starts with, and a fresh form of an existing one gets below its blocks.
BLANK_ROWS = 1


class BlockRow(BareForm):
    """One building block of the table."""

    code = StringField(validators=[max_length(60)], filters=[lambda s: (s or "").strip().lower()])
    route = ChoiceField(codes=ROUTES)
    label = StringField(validators=[max_length(200)], filters=[lambda s: (s or "").strip()])
    label_en = StringField(validators=[max_length(200)], filters=[lambda s: (s or "").strip()])
    unit = ChoiceField(codes=BLOCK_UNITS)
    value = EuroField()
    percentage = PercentField()
    at_most = BooleanField()
    max_months = WholeNumberField(low=1, high=120)
    target_group = ChoiceField(codes=TARGET_GROUPS)
    min_age = ChoiceField(codes=MIN_AGES)
    requires = MultiCheckboxField(codes=PERSON_FLAGS)
    for_groups = MultiCheckboxField(codes=TARGET_GROUPS)

    def is_blank(self) -> bool:
        return not any(typed(f) for f in self)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.is_blank():
            for f in self:
                f.errors = []
            return True
        for name in ("code", "route", "label", "unit"):
            if not self[name].data:
                row_error(self[name], REQUIRED)
        if self.code.data and not CODE_RE.match(self.code.data):
            row_error(self.code, _l("Use lowercase letters, digits, _ or - (at most 60)."))
        unit = self.unit.data
        if unit in VALUED_UNITS and self.value.data is None:
            row_error(self.value, _l("A block of this unit needs a value in euro."))
        if self.percentage.raw_text and unit and unit != BlockUnit.EURO_SPENT:
            row_error(self.percentage, _l("A percentage is only for a share of the amount spent."))
        if self.at_most.data and unit and unit not in (BlockUnit.HOUR, BlockUnit.DAY):
            row_error(self.at_most, _l("Only an hour or a day can be valued 'at most'."))
        return not any(f.errors for f in self)

    def as_input(self) -> BlockInput:
        return BlockInput(
            code=self.code.data or "",
            route=self.route.data or "",
            label=self.label.data or "",
            label_en=self.label_en.data or "",
            unit=self.unit.data or "",
            value_cents=self.value.data,
            percentage_bp=self.percentage.data,
            max_months=self.max_months.data,
            target_group=self.target_group.data or None,
            at_most=bool(self.at_most.data),
            min_age=int(self.min_age.data) if self.min_age.data else None,
            requires=tuple(self.requires.data or ()),
            target_groups=tuple(self.for_groups.data or ()),
        )


class CapRow(BareForm):
    """How many months a candidate of a target group counts at most (Haaglanden's rule)."""

    group = ChoiceField(codes=(OTHER_GROUPS, *TARGET_GROUPS))
    months = WholeNumberField(low=1, high=120)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if not typed(self.group) and not typed(self.months):
            return True
        if not self.group.data:
            row_error(self.group, REQUIRED)
        return not any(f.errors for f in self)


class TableForm(Form):
    """A new version of a government's valuation table."""

    # The version the admin started from: a version added meanwhile makes the form stale.
    based_on = HiddenField()
    # Which "add a row" or "remove" button was pressed, if one was (then nothing is stored).
    row_action = StringField(validators=[max_length(40)])
    name = StringField(validators=[required(), max_length(200)])
    effective_from = DayField(validators=[required()])
    source = StringField(validators=[max_length(1000)])
    assumption = TextAreaField(validators=[max_length(1000)])
    blocks = FieldList(FormField(BlockRow), min_entries=1, max_entries=MAX_BLOCKS + 20)
    caps = FieldList(FormField(CapRow), min_entries=1, max_entries=MAX_CAPS + 5)

    def rows(self) -> list[BlockRow]:
        return [entry.form for entry in self.blocks.entries]

    def cap_rows(self) -> list[CapRow]:
        return [entry.form for entry in self.caps.entries]

    # Errors of the table as a whole (no block at all, too many), shown at the rows' fieldset.
    table_errors: list[str]

    def validate(self, extra_validators: Any = None) -> bool:
        self.table_errors = []
        ok = super().validate(extra_validators)
        filled = [row for row in self.rows() if not row.is_blank()]
        if not filled:
            self.table_errors.append(str(_l("A table needs at least one building block.")))
            ok = False
        elif len(filled) > MAX_BLOCKS:
            self.table_errors.append(str(_l("At most %(max)s building blocks in a table.", max=MAX_BLOCKS)))
            ok = False
        seen: dict[str, int] = {}
        for number, row in enumerate(self.rows(), start=1):
            code = row.code.data
            if not code or row.is_blank():
                continue
            if code in seen:
                row_error(
                    row.code,
                    _l("The code %(code)s is already used in row %(row)s.", code=code, row=seen[code]),
                )
                ok = False
            else:
                seen[code] = number
        groups: dict[str, int] = {}
        for number, cap in enumerate(self.cap_rows(), start=1):
            group = cap.group.data
            if not group:
                continue
            if group in groups:
                row_error(cap.group, _l("This group is already in row %(row)s.", row=groups[group]))
                ok = False
            else:
                groups[group] = number
        return (
            ok and not any(row.errors for row in self.rows()) and not any(c.errors for c in self.cap_rows())
        )

    def as_input(self) -> TableInput:
        return TableInput(
            name=self.name.data or "",
            effective_from=self.effective_from.data,
            source=self.source.data or "",
            assumption=self.assumption.data or "",
            blocks=tuple(row.as_input() for row in self.rows() if not row.is_blank()),
            group_caps=tuple((cap.group.data, cap.months.data) for cap in self.cap_rows() if cap.group.data),
        )

    def add_service_error(self, exc: Any, fields: dict[str, str] | None = None) -> None:
        """A refusal about the blocks or caps goes above the rows; the rest as the base form shows it."""
        from ..i18n import error_text

        if exc.field in ("blocks", "group_caps"):
            self.table_errors = [*getattr(self, "table_errors", []), error_text(exc)]
        else:
            super().add_service_error(exc, fields)

    # --- rows without JavaScript -------------------------------------------------------------------------

    def add_block(self) -> None:
        if len(self.blocks.entries) < (self.blocks.max_entries or MAX_BLOCKS):
            self.blocks.append_entry()

    def add_cap(self) -> None:
        if len(self.caps.entries) < (self.caps.max_entries or MAX_CAPS):
            self.caps.append_entry()

    def remove(self, which: str, index: int) -> None:
        field_list = self.blocks if which == "block" else self.caps
        if 0 <= index < len(field_list.entries):
            del field_list.entries[index]
            field_list._compact_indices()
            if not field_list.entries:
                field_list.append_entry()

    def flat_errors(self) -> dict[str, str]:
        out = super().flat_errors()
        if getattr(self, "table_errors", None):
            out["blocks"] = " ".join(self.table_errors)
        return out


# What each row field is called in the error summary ("Row 3, value in euro: ...").
ROW_FIELD_LABELS = {
    "code": _l("code"),
    "route": _l("route"),
    "label": _l("Dutch label"),
    "label_en": _l("English label"),
    "unit": _l("unit"),
    "value": _l("value in euro"),
    "percentage": _l("percentage"),
    "at_most": _l("at most"),
    "max_months": _l("counts at most (months)"),
    "target_group": _l("target group"),
    "min_age": _l("age"),
    "requires": _l("requires"),
    "for_groups": _l("only for"),
    "group": _l("target group"),
    "months": _l("months"),
}


def summary(errors: dict[str, str]) -> dict[str, str]:
    """The errors for the summary at the top: a row's errors name the row and the field."""
    return row_summary(
        errors,
        {
            "blocks": lambda i: _l("Building block %(n)s", n=i + 1),
            "caps": lambda i: _l("Month cap %(n)s", n=i + 1),
        },
        ROW_FIELD_LABELS,
    )


def _amount(cents: int | None) -> str:
    if cents is None:
        return ""
    return str(cents // 100) if cents % 100 == 0 else f"{cents // 100},{cents % 100:02d}"


def table_formdata(table: Any, blocks: list[Any]) -> MultiDict[str, str]:
    """The latest version as if it had been typed, so an admin starts the next version from it."""
    data: MultiDict[str, str] = MultiDict()
    data["based_on"] = str(table.version)
    data["name"], data["source"] = table.name, table.source or ""
    data["assumption"] = table.assumption or ""
    for i, b in enumerate(sorted(blocks, key=lambda b: b.id or 0)):
        p = f"blocks-{i}-"
        conditions = b.conditions or {}
        data[p + "code"], data[p + "route"], data[p + "label"] = b.code, b.route, b.label
        data[p + "label_en"], data[p + "unit"] = b.label_en or "", b.unit
        data[p + "value"], data[p + "percentage"] = _amount(b.value_cents), _amount(b.percentage_bp)
        data[p + "max_months"] = str(b.max_months or "")
        data[p + "target_group"] = b.target_group or ""
        if b.at_most:
            data[p + "at_most"] = "y"
        data[p + "min_age"] = str(conditions.get("min_age") or "")
        for flag in conditions.get("requires") or ():
            data.add(p + "requires", flag)
        for group in conditions.get("target_groups") or ():
            data.add(p + "for_groups", group)
    data[f"blocks-{len(blocks)}-code"] = ""  # one empty row to add a block
    for i, (group, months) in enumerate((table.group_caps or {}).items()):
        data[f"caps-{i}-group"], data[f"caps-{i}-months"] = group, str(months or "")
    data[f"caps-{len(table.group_caps or {})}-group"] = ""
    return data
