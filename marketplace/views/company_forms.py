"""The company's forms: a pledge (and a placement, which is a pledge of one person), a SMART plan, a PSO
certificate, a revision. Each validates every field at once; what needs the contract (which blocks exist,
what is still open) is checked by the service, and its refusal is shown beside the field it names."""

import re
from datetime import date
from typing import Any

from flask import current_app
from wtforms import BooleanField, Field, FieldList, FormField, HiddenField, StringField, TextAreaField
from wtforms import Form as BareForm
from wtforms.validators import ValidationError

from marketplace.i18n import _l

from ..boundary import MAX_ID, parse_int
from ..forms import (
    REQUIRED,
    ChoiceField,
    DayField,
    EuroField,
    Form,
    WholeNumberField,
    _shown,
    max_length,
    required,
    row_error,
    row_summary,
    typed,
)
from ..models import TARGET_GROUPS, BlockUnit
from ..services import pledges
from ..services.errors import ServiceError
from ..services.placements import PlacementInput, person_key
from ..services.plans import IntendedPlacement
from ..services.suppliers import SupplierInput
from ._helpers import to_id

MONEY_UNITS = ("euro_spent", "by_agreement")
QUANTITY_UNITS = {"hour": _l("hours"), "day": _l("days")}
PERSON_UNITS = pledges.PERSON_UNITS


class CodesField(Field):
    """Several codes from checkboxes of the same name (bonuses); the service checks they exist."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [v.strip()[:60] for v in valuelist if v.strip()][:20]

    def _value(self) -> str:
        return ""


class PledgeForm(Form):
    """A pledge, or with the person fields a placement. `units` maps the contract's block codes to units."""

    submission_key = HiddenField(validators=[max_length(64)])
    target = StringField(_l("For whom"), validators=[max_length(40)])
    block = StringField(_l("Building block"), validators=[required(), max_length(60)])
    quantity = WholeNumberField(_l("Quantity"), low=1, high=10**9)
    amount = EuroField(_l("Amount in euro"))
    weeks = WholeNumberField(low=1, high=52)
    bonuses = CodesField()
    note = TextAreaField(validators=[max_length(pledges.MAX_NOTE)])
    certificate = WholeNumberField(low=1, high=MAX_ID, invalid_message=_l("Choose one of the options."))
    smart_plan = WholeNumberField(low=1, high=MAX_ID, invalid_message=_l("Choose one of the options."))
    supplier_kvk = StringField(validators=[max_length(20)])
    supplier_name = StringField(validators=[max_length(200)])
    supplier_kind = StringField(validators=[max_length(30)])
    supplier_basis = StringField(validators=[max_length(30)])
    supplier_evidence = TextAreaField(validators=[max_length(2000)])
    # A placement: the person (by the company's own reference, never stored) and the dates.
    person_reference = StringField(validators=[max_length(100)])
    target_group = StringField(validators=[max_length(40)])
    proof_kind = StringField(validators=[max_length(30)])
    employment = StringField(validators=[max_length(20)])
    start_date = DayField()
    end_date = DayField()
    hours_per_week = WholeNumberField(low=1, high=40)
    age_band = StringField(validators=[max_length(10)])
    statushouder_or_language = BooleanField()
    after_vso_pro_internship = BooleanField()
    occupational_disability = BooleanField()

    def __init__(self, *args: Any, units: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = units or {}

    @property
    def unit(self) -> str | None:
        return self.units.get((self.block.data or "").strip())

    def validate(self, extra_validators: Any = None) -> bool:
        """Every field at once, and what the chosen block needs: an amount, a quantity or a person."""
        ok = super().validate(extra_validators)
        unit = self.unit
        if self.block.data and unit is None and not self.block.errors:
            self.block.errors = [str(_l("Choose a building block from the contract's valuation table."))]
            ok = False
        needs: list[Field] = []
        if unit in MONEY_UNITS:
            needs = [self.amount]
        elif unit in PERSON_UNITS:
            needs = [
                self.person_reference,
                self.target_group,
                self.proof_kind,
                self.start_date,
                self.end_date,
                self.hours_per_week,
            ]
        elif unit not in (None, BlockUnit.CERTIFICATE):
            needs = [self.quantity]
        for field in needs:
            if field.data in (None, "") and not field.errors:
                field.errors = [str(_l("This field is required."))]
                ok = False
        if self.quantity.errors and unit in QUANTITY_UNITS:
            # Say what is wrong in the block's own unit: "2.5" is not a whole number of hours.
            what = str(QUANTITY_UNITS[unit])
            if self.quantity.parse_failed:
                self.quantity.errors = [
                    str(_l("Enter a whole number of %(unit)s, for example 10.", unit=what))
                ]
            elif self.quantity.data is not None:
                self.quantity.errors = [
                    str(
                        _l(
                            "Enter from 1 to %(high)s %(unit)s.",
                            high=f"{self.quantity.high:,}".replace(",", "."),
                            unit=what,
                        )
                    )
                ]
        return ok

    def request(self, contract_id: int, *, submission_key: str | None) -> pledges.PledgeRequest:
        """The service's input; a person's reference becomes its pseudonymous key here and goes no further."""
        unit = self.unit
        quantity: int | None = self.amount.data if unit in MONEY_UNITS else self.quantity.data
        if unit == BlockUnit.CERTIFICATE or unit in PERSON_UNITS:
            quantity = 1  # a certificate counts once; a placement is one person
        target = (self.target.data or "").strip()
        supplier = None
        if target == "supplier:new":
            supplier = SupplierInput(
                kvk=self.supplier_kvk.data or "",
                name=self.supplier_name.data or "",
                kind=self.supplier_kind.data or "",
                basis=self.supplier_basis.data or "",
                evidence=self.supplier_evidence.data or "",
            )
        return pledges.PledgeRequest(
            contract_id=contract_id,
            block_code=(self.block.data or "").strip(),
            quantity=quantity,
            need_id=to_id(target[5:]) if target.startswith("need:") else None,
            initiative_id=to_id(target[11:]) if target.startswith("initiative:") else None,
            weeks=self.weeks.data,
            bonuses=tuple(self.bonuses.data or ()),
            note=self.note.data or "",
            submission_key=submission_key,
            placement=self._placement() if unit in PERSON_UNITS else None,
            certificate_id=self.certificate.data,
            supplier=supplier,
            smart_plan_id=self.smart_plan.data,
        )

    def _placement(self) -> PlacementInput:
        try:
            key = person_key(self.person_reference.data or "", current_app.config["PERSON_KEY_SECRET"])
        except ServiceError:
            key = ""  # the service names the field
        return PlacementInput(
            person_key=key,
            target_group=self.target_group.data or "",
            proof_kind=self.proof_kind.data or "",
            employment=self.employment.data or "",
            start_date=self.start_date.data or date.min,
            end_date=self.end_date.data or date.min,
            hours_per_week=self.hours_per_week.data or 0,
            age_band=self.age_band.data or "under_50",
            statushouder_or_language=bool(self.statushouder_or_language.data),
            after_vso_pro_internship=bool(self.after_vso_pro_internship.data),
            occupational_disability=bool(self.occupational_disability.data),
        )

    def shown(self) -> dict[str, Any]:
        """The values to show again; never the person's reference after a refusal of the whole form."""
        values = self.values()
        values["bonuses"] = list(self.bonuses.data or [])
        return values

    def carried(self) -> list[tuple[str, str]]:
        """The pledge as hidden (name, value) pairs, for the review page's confirm form to submit unchanged."""
        pairs: list[tuple[str, str]] = []
        for name, value in self.shown().items():
            if name in ("csrf_token", "submission_key") or value in (None, "", False, []):
                continue
            if name == "bonuses":
                pairs.extend(("bonuses", str(code)) for code in value)
            elif isinstance(self._fields[name], BooleanField):
                pairs.append((name, "y"))
            else:
                pairs.append((name, value.isoformat() if isinstance(value, date) else str(value)))
        return pairs

    def link_args(self) -> dict[str, Any]:
        """The pledge as the full form's link arguments (see PledgeLinkForm), for "Change" on the review."""
        target = (self.target.data or "").strip()
        args: dict[str, Any] = {"block": (self.block.data or "").strip()}
        if target.startswith("need:"):
            args["need"] = target[5:]
        elif target.startswith("initiative:"):
            args["initiative"] = target[11:]
        for name in ("quantity", "amount", "weeks"):
            value = _shown_text(self._fields[name])
            if value:
                args[name] = value
        return args


def _shown_text(field: Field) -> str:
    raw = getattr(field, "raw_text", None)
    if raw is not None:
        return str(raw)
    return str(field.raw_data[0]) if field.raw_data else ""


class IdArgField(Field):
    """A row id from a link (?need=12): ASCII digits within the id range (boundary.parse_int), else None."""

    parse_failed = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = parse_int(text, low=1, high=MAX_ID) if text else None
        self.parse_failed = bool(text) and self.data is None

    def pre_validate(self, form: Any) -> None:
        if self.parse_failed:
            raise ValidationError(str(_l("Choose one of the options.")))

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class LinkForm(Form):
    """Arguments of a link that opens a page pre-filled (no state changes, so no CSRF token).

    Build it with `from_args()`: it reads the query string whatever the method, and a value that does not
    validate is dropped (`valid()`), so a mangled link opens the page without it rather than failing.
    """

    class Meta:
        csrf = False

    @classmethod
    def from_args(cls, formdata: Any = None) -> Any:
        from flask import request

        form = cls(formdata=request.args if formdata is None else formdata)
        form.validate()
        return form

    def valid(self, name: str) -> Any:
        field = self._fields[name]
        return None if field.errors or field.data in (None, "") else field.data

    def valid_text(self, name: str) -> str | None:
        """The value as typed (an amount keeps "1.250,50"), when it validates."""
        return _shown_text(self._fields[name]) or None if self.valid(name) is not None else None


class PledgeLinkForm(LinkForm):
    """What a link may pre-fill in the pledge and placement forms: ?need= or ?initiative=, ?block=, and the
    quantity, amount or weeks (a recommendation's defaults, or a reviewed pledge to change)."""

    need = IdArgField()
    initiative = IdArgField()
    block = StringField(validators=[max_length(60)])
    quantity = WholeNumberField(low=1, high=10**9)
    amount = EuroField()
    weeks = WholeNumberField(low=1, high=52)

    @property
    def target(self) -> str | None:
        if self.valid("need"):
            return f"need:{self.valid('need')}"
        if self.valid("initiative"):
            return f"initiative:{self.valid('initiative')}"
        return None

    def prefill(self) -> dict[str, Any]:
        """The pledge form's values this link sets (only those that validate)."""
        values: dict[str, Any] = {}
        if self.target:
            values["target"] = self.target
        if self.valid("block"):
            values["block"] = self.valid("block").strip()
        for name in ("quantity", "amount", "weeks"):
            if self.valid_text(name):
                values[name] = self.valid_text(name)
        return values


class SmartPlanLinkForm(LinkForm):
    """Which SMART plan to change (?plan=, also a hidden field of its form), or which initiative to start."""

    plan = IdArgField()
    initiative = IdArgField()


# The service's field names where they differ from the form's.
PLEDGE_FIELDS = {
    "need": "target",
    "initiative": "target",
    "placement": "person_reference",
    "person_key": "person_reference",
    "certificate_id": "certificate",
    "smart_plan_id": "smart_plan",
    "supplier": "supplier_kvk",
    "kvk": "supplier_kvk",
    "name": "supplier_name",
    "kind": "supplier_kind",
    "basis": "supplier_basis",
}


class SmartPlanForm(Form):
    initiative_id = WholeNumberField(
        validators=[required()], low=1, high=MAX_ID, invalid_message=_l("Choose one of the options.")
    )
    goal = TextAreaField(validators=[required(), max_length(2000)])
    target_group = TextAreaField(validators=[required(), max_length(2000)])
    roots = TextAreaField(validators=[required(), max_length(2000)])
    participants = TextAreaField(validators=[required(), max_length(2000)])


class CertificateForm(Form):
    level = StringField(validators=[required(), max_length(20)])
    issued_on = DayField(validators=[required()])
    valid_until = DayField(validators=[required()])
    number = StringField(validators=[max_length(60)])


class RevisionForm(Form):
    kind = StringField(validators=[required(), max_length(30)])
    reason = TextAreaField(validators=[required(), max_length(2000)])
    new_end_date = DayField()
    new_quantity = WholeNumberField(low=0, high=10**9)
    new_amount = EuroField()
    new_value = EuroField()


class NoteForm(Form):
    """Cancel a pledge, or confirm a delivery: a short text."""

    reason = TextAreaField(validators=[max_length(2000)])
    note = TextAreaField(validators=[max_length(5000)])


# --- the rows of a plan: proposed pledges (row-<n>-...) and intended placements (placement-<n>-...) ----------

PLAN_TARGET_RE = re.compile(r"^(need|initiative):\d{1,10}$")
PLAN_UNITS = ("euro", "hours", "days", "persons", "units")
MAX_PLAN_ROWS = 200  # the rows a plan page can show; the service allows pledges.MAX_PLAN_ITEMS of them ticked
MAX_INTENDED = 5


class NumberedRows(FieldList):
    """Rows keep the numbers the page gave them (row-3-units stays row 3), so an error is shown beside the
    row it is about and the summary names the row the user sees; WTForms would renumber them from 0."""

    def _compact_indices(self) -> None:
        pass


class _Row(BareForm):
    def shown(self) -> dict[str, str]:
        """The row as the plan page shows it again: what was typed."""
        return {
            name: str(v if v is not None else "") for name, v in ((f.short_name, _shown(f)) for f in self)
        }


class PlanRow(_Row):
    """One proposed pledge of a plan; only a ticked row is checked and submitted."""

    include = BooleanField(false_values=(False, "false", "", "0"))
    target = StringField(validators=[max_length(40)], filters=[lambda s: (s or "").strip()])
    block = StringField(validators=[max_length(60)], filters=[lambda s: (s or "").strip()])
    unit = ChoiceField(codes=PLAN_UNITS)
    units = WholeNumberField(low=1, high=10**9)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if not self.include.data:
            for f in self:
                f.errors = []
            return True
        if self.target.data and not PLAN_TARGET_RE.match(self.target.data):
            row_error(self.target, _l("Choose one of the options."))
        if not self.block.data:
            row_error(self.block, REQUIRED)
        if self.units.data is None:
            row_error(self.units, REQUIRED)
        return not any(f.errors for f in self)

    def as_request(self, contract_id: int = 0) -> pledges.PledgeRequest:
        units = self.units.data
        target = self.target.data or ""
        kind, _sep, number = target.partition(":")
        # Person-years at full time for a year, internships for a year: the plan counts whole units.
        return pledges.PledgeRequest(
            contract_id=contract_id,
            block_code=self.block.data or "",
            quantity=units * 100 if units is not None and self.unit.data == "euro" else units,
            need_id=int(number) if kind == "need" else None,
            initiative_id=int(number) if kind == "initiative" else None,
            hours_per_week=36,
            months=12,
            weeks=52,
        )


class IntendedRow(_Row):
    """A placement the company means to make; a row left empty is skipped."""

    target_group = ChoiceField(codes=TARGET_GROUPS)
    persons = WholeNumberField(low=1, high=1_000)
    months = WholeNumberField(low=1, high=120)
    hours_per_week = WholeNumberField(low=1, high=40)

    def is_blank(self) -> bool:
        return not (self.target_group.data or typed(self.persons) or typed(self.months))

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.is_blank():
            for f in self:
                f.errors = []
            return True
        for f in (self.target_group, self.persons, self.months):
            if not f.data:
                row_error(f, REQUIRED)
        return not any(f.errors for f in self)

    def as_input(self) -> IntendedPlacement:
        return IntendedPlacement(
            target_group=self.target_group.data or "",
            persons=self.persons.data or 0,
            months=self.months.data or 0,
            hours_per_week=self.hours_per_week.data or 36,
        )


ROW_LABELS = {
    "target": _l("need or initiative"),
    "block": _l("building block"),
    "unit": _l("unit"),
    "units": _l("units"),
    "target_group": _l("target group"),
    "persons": _l("people"),
    "months": _l("months"),
    "hours_per_week": _l("hours a week"),
}


class PlanRowsMixin:
    """The rows of a plan form and what the plan pages need of them."""

    row: FieldList
    placement: FieldList

    def ticked(self) -> list[PlanRow]:
        return [e.form for e in self.row.entries if e.form.include.data]

    def intended(self) -> list[IntendedRow]:
        rows = getattr(self, "placement", None)
        return [e.form for e in rows.entries] if rows is not None else []

    def row_error(self, exc: ServiceError) -> bool:
        """A service's refusal about pledge n of the ticked ones (item-n) or intended placement n, beside the
        row's field; False when it is about neither."""
        from ..i18n import error_text

        kind, _sep, field = (exc.field or "").partition(":")
        which, _dash, number = kind.rpartition("-")
        index = parse_int(number, low=1, high=MAX_PLAN_ROWS)
        if index is None or which not in ("item", "placement"):
            return False
        rows: list[Any] = self.ticked() if which == "item" else self.intended()
        if which == "placement":
            rows = [r for r in rows if not r.is_blank()]
        if index > len(rows):
            return False
        row = rows[index - 1]
        name = {
            "quantity": "units",
            "block_code": "block",
            "need_id": "target",
            "initiative_id": "target",
        }.get(field, field)
        target = row._fields.get(name) or row._fields["units" if which == "item" else "target_group"]
        target.errors = [*list(target.errors or []), error_text(exc)]
        return True


def plan_summary(errors: dict[str, str]) -> dict[str, str]:
    """The plan's errors for the summary: "Pledge 2 of the plan, units: ..."."""
    return row_summary(
        errors,
        {
            "row": lambda n: _l("Pledge %(n)s of the plan", n=n),
            "placement": lambda n: _l("Intended placement %(n)s", n=n),
        },
        ROW_LABELS,
    )


class PlanForm(PlanRowsMixin, Form):
    """The plan the planner proposed, as the company edits it: pledges only."""

    row = NumberedRows(FormField(PlanRow), max_entries=MAX_PLAN_ROWS)
