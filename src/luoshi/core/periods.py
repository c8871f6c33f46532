"""A date range asked for in a query (`?since=YYYY-MM-DD&until=YYYY-MM-DD`): one reading and one rule for every
page, export and API call that filters by a period — an end before the start is refused with a message,
never answered with an empty table or silently swapped."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from luoshi.core.errors import ServiceError


class PeriodRefused(ServiceError):
    """The range ends before it starts; `since` and `until` are the dates as asked, to show them again."""

    def __init__(self, since: date, until: date):
        super().__init__(
            _("The end date is before the start date: choose an end on or after the start."), field="until"
        )
        self.since, self.until = since, until


def period_from_query(params, *, since: date | None = None, until: date | None = None):
    """(since, until) from a query's `since` and `until`; each is its default (`since`, `until`) when absent
    or unreadable. Raises `PeriodRefused` when both are known and the end is before the start."""

    def day(name: str, default: date | None) -> date | None:
        try:
            return date.fromisoformat(params.get(name) or "")
        except (TypeError, ValueError):
            return default

    first, last = day("since", since), day("until", until)
    if first is not None and last is not None and last < first:
        raise PeriodRefused(first, last)
    return first, last
