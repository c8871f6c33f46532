"""The core's own indicator source (see luoshi.core.indicators): obligations whose ladder reached a
consequence — a circular or worse, proposed or confirmed — in the period. A penalty."""

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from luoshi.core.indicators import COUNT, Measure, Record, grouped, indicator_source
from luoshi.core.models import Escalation, EscalationStatus, Obligation, StepAction

CONSEQUENCES = [a for a in StepAction.values if a not in StepAction.automatic()]


def _escalated(period):
    reached = Escalation.objects.filter(
        obligation=OuterRef("pk"),
        action__in=CONSEQUENCES,
        status__in=[EscalationStatus.PROPOSED, EscalationStatus.CONFIRMED],
        scheduled_on__gte=period.since,
        scheduled_on__lte=period.until,
    )
    return Obligation.objects.filter(Exists(reached))


@indicator_source(
    "core.escalated",
    mode=COUNT,
    label=_("Obligations escalated"),
    rule=_(
        "Points − (the indicator's points per item) × obligations of the unit whose ladder reached a "
        "consequence (circular or worse, proposed or confirmed) in the period; never below 0."
    ),
)
def escalated(period, scope, params) -> dict[int, Measure]:
    return grouped(_escalated(period), scope, num=Count("id"), den=Count("id"))


@escalated.records
def escalated_records(period, organization, params):
    return [
        Record(
            label=f"{o.title}（{o.due_date}）",
            url=reverse("core:obligation", args=[o.pk]),
            subject=o,
            counts=True,
            note=o.get_state_display(),
        )
        for o in _escalated(period).filter(organization=organization).order_by("due_date")
    ]
