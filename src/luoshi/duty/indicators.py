"""What the duty app offers to assessment (see luoshi.core.indicators): tasks done on time, responsibility-
letter targets met, and red lines breached (一票否决)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.indicators import SHARE, VETO, Record, grouped, indicator_source
from luoshi.core.models import ObligationState
from luoshi.duty.models import Assignment, TargetProgress, TargetStatus


def _assignments(period):
    return Assignment.objects.filter(deadline__gte=period.since, deadline__lte=period.until).exclude(
        obligation__state=ObligationState.WAIVED
    )


@indicator_source(
    "duty.tasks_on_time",
    mode=SHARE,
    label=_("Tasks done on time"),
    rule=_(
        "Points × (tasks accepted as done, their completion reported by the deadline) ÷ (tasks whose deadline "
        "falls in the period, withdrawn ones excepted). No task due: full points."
    ),
)
def tasks_on_time(period, scope, params):
    return grouped(_assignments(period), scope, num=Count("id", filter=Q(on_time=True)), den=Count("id"))


@tasks_on_time.records
def tasks_on_time_records(period, organization, params):
    rows = _assignments(period).filter(organization=organization).select_related("task").order_by("deadline")
    return [
        Record(
            label=f"{a.task.title}（{a.deadline}）",
            url=a.get_absolute_url(),
            subject=a,
            counts=bool(a.on_time),
            note=str(_("done on time") if a.on_time else _("late or not done")),
        )
        for a in rows
    ]


def _targets(period):
    """Targets of the signed letters of the period's years that were due by its end (a target without a due
    date is due at the end of its letter's year)."""
    from datetime import date

    due = Q(target__due_date__lte=period.until) | Q(
        target__due_date=None, copy__letter__year__lt=period.until.year
    )
    if period.until >= date(period.until.year, 12, 31):
        due |= Q(target__due_date=None, copy__letter__year=period.until.year)
    return TargetProgress.objects.filter(
        due, copy__letter__year__gte=period.since.year, copy__letter__year__lte=period.until.year
    ).exclude(copy__signed_at=None)


@indicator_source(
    "duty.targets_met",
    mode=SHARE,
    label=_("Responsibility-letter targets met"),
    rule=_(
        "Points × targets reported met ÷ targets of the signed letters of the period's years due by its "
        "end (no due date: the end of the letter's year). None due: full points."
    ),
)
def targets_met(period, scope, params):
    return grouped(
        _targets(period),
        scope,
        num=Count("id", filter=Q(status=TargetStatus.MET)),
        den=Count("id"),
        field="copy__organization",
    )


@targets_met.records
def targets_met_records(period, organization, params):
    rows = _targets(period).filter(copy__organization=organization).select_related("target", "copy__letter")
    return [
        Record(
            label=f"{p.copy.letter.title} · {p.target.order}. {p.target.text[:60]}",
            url=p.get_absolute_url(),
            subject=p,
            counts=p.status == TargetStatus.MET,
            note=p.get_status_display(),
        )
        for p in rows.order_by("copy__letter_id", "target__order")
    ]


@indicator_source(
    "duty.red_lines",
    mode=VETO,
    label=_("Red lines of the responsibility letter"),
    rule=_("Any red-line target recorded as breached in the period's letters vetoes (一票否决)."),
)
def red_lines(period, scope, params):
    return grouped(
        _targets(period),
        scope,
        num=Count("id", filter=Q(status=TargetStatus.BREACHED)),
        den=Count("id", filter=Q(target__red_line=True)),
        field="copy__organization",
    )


@red_lines.records
def red_lines_records(period, organization, params):
    rows = _targets(period).filter(copy__organization=organization, status=TargetStatus.BREACHED)
    return [
        Record(
            label=f"{p.copy.letter.title} · {p.target.text[:60]}",
            url=p.get_absolute_url(),
            subject=p,
            counts=True,
            note=p.report[:120],
        )
        for p in rows.select_related("target", "copy__letter")
    ]
