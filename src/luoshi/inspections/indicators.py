"""What the inspections app offers to assessment (see luoshi.core.indicators): rectifications done on time,
and the average inspection score against a chosen standard."""

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from luoshi.core.indicators import AVERAGE, SHARE, Measure, Record, grouped, indicator_source
from luoshi.inspections.models import Rectification, Visit
from luoshi.inspections.selectors import day_bounds
from luoshi.inspections.selectors import grouped as by_prefix


def _rectifications(period):
    return Rectification.objects.filter(deadline__gte=period.since, deadline__lte=period.until)


@indicator_source(
    "inspections.rectified_on_time",
    mode=SHARE,
    label=_("Rectifications done on time"),
    rule=_(
        "Points × (rectifications verified, reported by their deadline) ÷ (rectifications whose deadline "
        "falls in the period). None due: full points."
    ),
)
def rectified_on_time(period, scope, params):
    return grouped(_rectifications(period), scope, num=Count("id", filter=Q(on_time=True)), den=Count("id"))


@rectified_on_time.records
def rectified_on_time_records(period, organization, params):
    rows = _rectifications(period).filter(organization=organization).select_related("finding")
    return [
        Record(
            label=f"{r.finding.description[:60]}（{r.deadline}）",
            url=r.get_absolute_url(),
            subject=r,
            counts=bool(r.on_time),
            note=str(_("rectified on time") if r.on_time else _("late or not yet verified")),
        )
        for r in rows.order_by("deadline")
    ]


def _visits(period, params):
    start, end = day_bounds(period.since, period.until)
    return Visit.objects.filter(
        submitted_at__isnull=False,
        visited_at__gte=start,
        visited_at__lt=end,
        inspection__standard__code=params.get("standard", ""),
    )


@indicator_source(
    "inspections.average_score",
    mode=AVERAGE,
    label=_("Average inspection score"),
    rule=_(
        "Points × the average score (out of 100) of the period's recorded visits against the chosen standard, "
        "to the unit itself or, if the indicator says so, anywhere below it. No visit: full points."
    ),
    params=("standard", "subtree"),
)
def average_score(period, scope, params):
    visits = _visits(period, params)
    if not params.get("subtree"):
        return grouped(visits, scope, num=Sum("score"), den=Count("id"))
    # visits anywhere below each unit: grouped by the prefix of the visited organization's path, one query per
    # depth at which units of the kind sit
    from luoshi.orgs.models import Organization
    from luoshi.orgs.tree import subtree_q

    orgs = dict(
        Organization.objects.filter(subtree_q([scope.path]), kind=scope.kind).values_list("path", "id")
    )
    within = visits.filter(subtree_q([scope.path], field="organization__path"))
    out: dict[int, Measure] = {}
    for length in sorted({len(path) for path in orgs}):
        for prefix, row in by_prefix(within, length, num=Sum("score"), den=Count("id")).items():
            if prefix in orgs:
                out[orgs[prefix]] = Measure(float(row["num"] or 0), float(row["den"] or 0))
    return out


@average_score.records
def average_score_records(period, organization, params):
    visits = _visits(period, params)
    if params.get("subtree"):
        from luoshi.orgs.tree import subtree_q

        visits = visits.filter(subtree_q([organization.path], field="organization__path"))
    else:
        visits = visits.filter(organization=organization)
    return [
        Record(
            label=f"{v.organization.name} · {v.inspection.title}（{v.visited_at:%Y-%m-%d}）",
            url=v.get_absolute_url(),
            subject=v,
            counts=True,
            note=str(_("score %(score)s") % {"score": v.score}),
        )
        for v in visits.select_related("organization", "inspection").order_by("visited_at")
    ]


@average_score.describes_params
def average_score_params(params):
    """The standard by its name (the newest version's), and whether the units below count."""
    from luoshi.inspections.models import Standard

    code = params.get("standard")
    if code:
        name = Standard.objects.filter(code=code).order_by("-version").values_list("name", flat=True).first()
        yield _("Standard: %(name)s") % {"name": name or code}
    if params.get("subtree"):
        yield _("visits to the units below count too")
