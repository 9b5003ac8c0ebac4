"""The filters of the list pages, one small form class a page, read from the query string.

Every list follows FilterForm's rule (marketplace/forms.py): a value that is not valid answers 400 with the
message beside the filter (or above the row of status tabs), and the list is shown without that filter.
"""

from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from marketplace.i18n import _l
from search import Query

from ..boundary import MAX_ID
from ..catalogue import SORTS, search_query_from_args
from ..forms import ChoiceField, FilterForm, WholeNumberField, max_length
from ..models import CONTRACT_STATUSES, INITIATIVE_KINDS, MATCH_STATUSES, NEED_KINDS, ROLES, TARGET_GROUPS
from ..queries_officer import ELIGIBILITY_FILTERS
from ..themes import THEME_CODES

MIN_YEAR, MAX_YEAR = 2000, 2100
# What the initiative's pledge list filters on (its tabs), in this order.
PLEDGE_FILTERS = ("proposed", "changes_requested", "approved", "delivered", "rejected", "cancelled")


def _search(label: Any, n: int = 100) -> StringField:
    return StringField(label, validators=[max_length(n)], filters=[lambda s: (s or "").strip()])


class UsersFilter(FilterForm):
    q = _search(_l("E-mail address or name"))
    role = ChoiceField(_l("Role"), codes=ROLES)


class CompaniesFilter(FilterForm):
    q = _search(_l("Name or KvK number"))


class ConfirmActiveArgs(FilterForm):
    """The (de)activation confirmation: which way, and the filtered users list to go back to."""

    active = ChoiceField(_l("Active"), codes=("0", "1"))
    next = StringField(_l("Back to"), validators=[max_length(2000)])


class MatchesFilter(FilterForm):
    status = ChoiceField(_l("Status"), codes=MATCH_STATUSES)


class PledgesFilter(FilterForm):
    status = ChoiceField(_l("Status"), codes=PLEDGE_FILTERS)


class EligibilityFilter(FilterForm):
    q = _search(_l("Name"))
    municipality = _search(_l("Municipality"))
    status = ChoiceField(_l("Status"), codes=ELIGIBILITY_FILTERS)


class RiskFilter(FilterForm):
    status = ChoiceField(_l("Lifecycle"), codes=CONTRACT_STATUSES)


class YearFilter(FilterForm):
    year = WholeNumberField(
        _l("Year"),
        low=MIN_YEAR,
        high=MAX_YEAR,
        invalid_message=_l("Choose a year from %(low)s to %(high)s.", low=MIN_YEAR, high=MAX_YEAR),
    )


class NeedKindArgs(FilterForm):
    """The kind a new need starts as (the links "new money need", "new hours need"...)."""

    kind = ChoiceField(_l("Kind"), codes=NEED_KINDS)


class ExportArgs(FilterForm):
    """A download's filters: the list's contract and status (the statuses are the dataset's)."""

    contract = WholeNumberField(_l("Contract"), low=1, high=MAX_ID)
    status = ChoiceField(_l("Status"), codes=())

    def __init__(self, args: Any = None, *, statuses: tuple[str, ...] | list[str] = ()) -> None:
        self._statuses = tuple(statuses)
        super().__init__(args)

    def validate(self, extra_validators: Any = None) -> bool:
        self.status.codes = self._statuses
        return super().validate(extra_validators)


# --- the public catalogue ----------------------------------------------------------------------------------


class ValuesField(Field):
    """A filter that may be given more than once (?theme=a&theme=b), each value one of `codes` when given."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, codes: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.codes = codes

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [v for v in valuelist if v]

    def pre_validate(self, form: Any) -> None:
        values = self.data or []
        if len(values) > MAX_VALUES:
            raise ValidationError(str(_l("Choose at most %(max)s.", max=MAX_VALUES)))
        if any(len(v) > 100 for v in values):
            raise ValidationError(str(_l("Too long: at most %(max)s characters.", max=100)))
        if self.codes and any(v not in self.codes for v in values):
            raise ValidationError(str(_l("Choose one of the options.")))

    def _value(self) -> str:
        return (self.data or [""])[0]


MAX_VALUES = 20


class RecommendationFilter(FilterForm):
    """The contract page's narrowing of its recommendations: words, a theme, a kind of need."""

    q = _search(_l("Narrow by words"), 200)
    theme = ValuesField(_l("Theme"), codes=tuple(THEME_CODES))
    need_kind = ValuesField(_l("Need"), codes=NEED_KINDS)

    def recommend_args(self) -> tuple[str, dict[str, list[str]]]:
        """The text and facet filters `recommend` takes (a filter that is not valid is left out)."""
        clean = self.clean()
        return clean["q"] or "", {"themes": clean["theme"] or [], "need_kinds": clean["need_kind"] or []}

    def values(self) -> dict[str, Any]:
        """What the fields show: the words, and the first theme and kind (each filter is one select)."""
        shown = super().values()
        return {**shown, "theme": self.theme._value(), "need_kind": self.need_kind._value()}


class CatalogueFilterForm(FilterForm):
    """The catalogue's search and facets; `query()` is the search the page runs."""

    q = _search(_l("Search"), 500)
    theme = ValuesField(_l("Theme"), codes=tuple(THEME_CODES))
    municipality = ValuesField(_l("Municipality"))
    kind = ValuesField(_l("Kind"), codes=INITIATIVE_KINDS)
    need_kind = ValuesField(_l("Need"), codes=NEED_KINDS)
    target_group = ValuesField(_l("Target group"), codes=TARGET_GROUPS)
    government = ValuesField(_l("Counts for"))
    type = ValuesField(_l("Type"))
    sort = ChoiceField(_l("Sort"), codes=SORTS)
    near = _search(_l("From"))
    page = StringField()

    def valid_args(self) -> MultiDict[str, str]:
        """The valid arguments, as the search reads them (a filter that is not valid is left out)."""
        out: MultiDict[str, str] = MultiDict()
        for name, value in self.clean().items():
            for v in value if isinstance(value, list) else [value]:
                if v not in (None, ""):
                    out.add(name, str(v))
        return out

    def query(self) -> Query:
        return search_query_from_args(self.valid_args())

    def first(self, name: str) -> str:
        value = self.clean()[name]
        return (value[0] if value else "") if isinstance(value, list) else str(value or "")

    def link_args(self) -> dict[str, str]:
        return {k: v for k, v in self.valid_args().items(multi=True) if k != "page"}
