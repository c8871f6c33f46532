"""Periods of the meeting rules: the month, quarter, half year or year a day falls in."""

from datetime import date, timedelta

MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def period_of(frequency: str, day: date) -> tuple[date, date]:
    """(first day, last day) of the period of `frequency` that holds `day`."""
    length = MONTHS[frequency]
    first_month = (day.month - 1) // length * length + 1
    start = date(day.year, first_month, 1)
    return start, next_period_start(frequency, start) - timedelta(days=1)


def month_start(day: date, shift: int = 0) -> date:
    """The first day of the month `shift` months after (before, if negative) the month of `day`."""
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def next_period_start(frequency: str, start: date) -> date:
    return month_start(start, MONTHS[frequency])


def month_end(first: date) -> date:
    return next_period_start("month", first) - timedelta(days=1)


def quarter(year: int, number: int) -> tuple[date, date]:
    return period_of("quarter", date(year, 3 * number - 2, 1))
