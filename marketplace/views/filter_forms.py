"""The filters of the list pages, one small form class a page, read from the query string.

Every list follows FilterForm's rule (marketplace/forms.py): a value that is not valid answers 400 with the
message beside the filter (or above the row of status tabs), and the list is shown without that filter.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from ..boundary import MAX_ID
from ..forms import ChoiceField, FilterForm, WholeNumberField, max_length
from ..models import CONTRACT_STATUSES, MATCH_STATUSES, NEED_KINDS, ROLES
from ..queries_officer import ELIGIBILITY_FILTERS

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
