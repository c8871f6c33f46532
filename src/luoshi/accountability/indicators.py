"""What the accountability app offers to assessment (see luoshi.core.indicators): circulars naming the unit."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from luoshi.accountability.models import Circular
from luoshi.core.indicators import COUNT, Record, grouped, indicator_source


def _circulars(period):
    return Circular.objects.filter(issued_on__gte=period.since, issued_on__lte=period.until)


@indicator_source(
    "accountability.circulars",
    mode=COUNT,
    label=_("Circulars naming the unit"),
    rule=_(
        "Points − (the indicator's points per item) × circulars naming the unit in the period; never below 0."
    ),
)
def circulars(period, scope, params):
    return grouped(_circulars(period), scope, num=Count("id"), den=Count("id"))


@circulars.records
def circulars_records(period, organization, params):
    return [
        Record(label=c.title, url=c.get_absolute_url(), counts=True, note=str(c.issued_on), subject=c)
        for c in _circulars(period).filter(organization=organization)
    ]
