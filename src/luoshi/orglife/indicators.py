"""What organizational life offers to assessment (see luoshi.core.indicators): theme days held to all six
unifications."""

from django.utils.translation import gettext_lazy as _

from luoshi.core.indicators import SHARE, Measure, Record, indicator_source


def _plans(period, path: str):
    """The published plans of the period's months whose office covers the subtree at `path`, or lies in it."""
    from django.db.models import Q

    from luoshi.orglife.models import ThemeDayPlan
    from luoshi.orgs.tree import ancestor_paths, subtree_q

    covering = Q(organization__path__in=[*ancestor_paths(path), path]) | subtree_q(
        [path], "organization__path"
    )
    return (
        ThemeDayPlan.objects.published()
        .filter(covering, month__gte=period.since.replace(day=1), month__lte=period.until)
        .select_related("organization")
    )


@indicator_source(
    "orglife.theme_days_compliant",
    mode=SHARE,
    label=_("Theme days held to the six unifications"),
    rule=_(
        "Points × (branch theme days meeting all six unifications: time, theme, standard, supervision, "
        "organization, archive) ÷ (published plans of the period × branches they cover). No plan: full points."
    ),
)
def theme_days_compliant(period, scope, params):
    from luoshi.orglife.selectors import compliance
    from luoshi.orgs.models import Organization
    from luoshi.orgs.tree import ancestor_paths, subtree_q

    units = dict(
        Organization.objects.active()
        .filter(subtree_q([scope.path]), kind=scope.kind)
        .values_list("path", "pk")
    )
    top = Organization.objects.get(path=scope.path)
    out: dict[int, list] = {}
    for plan in _plans(period, scope.path):
        for marks in compliance(plan, under=top):  # the plan's branches within the scope
            path = marks.branch.path
            unit = next((units[p] for p in (*ancestor_paths(path), path) if p in units), None)
            if unit is None:
                continue
            counts = out.setdefault(unit, [0, 0])
            counts[0] += marks.meeting is not None and marks.complete
            counts[1] += 1
    return {unit: Measure(float(n), float(d)) for unit, (n, d) in out.items()}


@theme_days_compliant.records
def theme_days_compliant_records(period, organization, params):
    from luoshi.orglife.selectors import compliance

    records = []
    for plan in _plans(period, organization.path):
        for marks in compliance(plan, under=organization):
            missing = [label for mark, label, ok, _why in marks.cells() if ok is False]
            records.append(
                Record(
                    label=f"{plan.month:%Y-%m} {marks.branch.name}",
                    url=plan.get_absolute_url(),
                    counts=marks.meeting is not None and marks.complete,
                    note="、".join(missing) if missing else str(_("all six")),
                )
            )
    return records
