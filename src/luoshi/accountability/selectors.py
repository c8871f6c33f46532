"""Reads of the accountability app: the records in scope and the period's supervision figures, in total and
per unit below (streets for the district, communities for a street)."""

from django.db.models import Count, Q, Sum

from luoshi.accountability.models import Circular, Decision, Talk
from luoshi.core.selectors import get_or_404
from luoshi.inspections.selectors import FIGURES_ZERO, grouped, inspection_figures
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import organization_roots_visible
from luoshi.orgs.tree import subtree_q

ZERO = {"circulars": 0, "talks": 0, "persons_talked": 0}


def circular_get_visible(user, pk) -> Circular:
    return get_or_404(Circular.objects.visible_to(user).select_related("organization", "issuer"), pk)


def talk_get_visible(user, pk) -> Talk:
    return get_or_404(Talk.objects.visible_to(user).select_related("organization"), pk)


def decision_get_visible(user, pk) -> Decision:
    return get_or_404(Decision.objects.visible_to(user).select_related("organization"), pk)


def _accountability_figures(user, *, since, until, prefix_length=None, under="") -> dict:
    within = subtree_q([under], field="organization__path") if under else Q()
    circulars = Circular.objects.visible_to(user).filter(within, issued_on__gte=since, issued_on__lte=until)
    talks = Talk.objects.visible_to(user).filter(within, held_on__gte=since, held_on__lte=until)
    out: dict[str, dict] = {}
    for part in (
        grouped(circulars, prefix_length, circulars=Count("id")),
        grouped(talks, prefix_length, talks=Count("id"), persons_talked=Sum("persons_count")),
    ):
        for prefix, figures in part.items():
            out.setdefault(prefix, dict(ZERO)).update({k: v or 0 for k, v in figures.items()})
    return out


def supervision_figures(user, *, since, until, under: Organization | None = None) -> dict:
    """The period's figures over everything the user may see (or the part of it in `under`'s subtree):
    inspections, surprise/covert ones, units checked, findings, rectifications due / on time / overdue,
    circulars, talks and persons talked to."""
    path = under.path if under else ""
    figures = inspection_figures(user, since=since, until=until, under=path)
    return {**figures, **_accountability_figures(user, since=since, until=until, under=path).get("", ZERO)}


def breakdown_units(user, under: Organization | None = None) -> list[Organization]:
    """The units a breakdown is per: the organizations right below `under`, or below the top of the user's
    scope (the tops themselves when the scope has several)."""
    if under is None:
        roots = organization_roots_visible(user)
        if len(roots) != 1:
            return roots
        under = roots[0]
    return list(Organization.objects.filter(parent=under).active().order_by("path"))


def supervision_by_unit(user, *, since, until, units: list[Organization]) -> list[tuple[Organization, dict]]:
    """The same figures per unit, each over the unit's subtree: a fixed number of grouped queries whatever
    the number of units (per depth of the units)."""
    by_path: dict[str, dict] = {}
    for length in sorted({len(unit.path) for unit in units}):
        inspections = inspection_figures(user, since=since, until=until, prefix_length=length)
        accountability = _accountability_figures(user, since=since, until=until, prefix_length=length)
        for unit in units:
            if len(unit.path) == length:
                by_path[unit.path] = {
                    **FIGURES_ZERO,
                    **ZERO,
                    **inspections.get(unit.path, {}),
                    **accountability.get(unit.path, {}),
                }
    return [(unit, by_path[unit.path]) for unit in units]


def admonished(*, since, until) -> dict[int, list[str]]:
    """Organization id → the persons named in admonishment talks (诫勉谈话) held in the period (for award
    eligibility: an admonishment in effect)."""
    from luoshi.accountability.models import TalkKind

    out: dict[int, list[str]] = {}
    rows = Talk.objects.filter(kind=TalkKind.ADMONISHMENT, held_on__gte=since, held_on__lte=until)
    for org_id, persons in rows.values_list("organization_id", "persons"):
        out.setdefault(org_id, []).append(persons)
    return out


def circulated(*, since, until) -> dict[int, int]:
    """Organization id → the number of circulars naming it in the period."""
    rows = (
        Circular.objects.filter(issued_on__gte=since, issued_on__lte=until)
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("organization_id", "n")
    )
    return dict(rows)


def statistics_request(user, params, today) -> tuple:
    """(since, until, unit) of a statistics request: `since` and `until` as YYYY-MM-DD (default 1 January
    to today; an unreadable date falls back to its default), `unit` an organization the user may see
    (404 otherwise) or none. Raises `PeriodRefused` when the period ends before it starts."""
    from datetime import date

    from luoshi.core.periods import period_from_query
    from luoshi.orgs.selectors import organization_get_visible

    unit = organization_get_visible(user, params["unit"]) if params.get("unit") else None
    since, until = period_from_query(params, since=date(today.year, 1, 1), until=today)
    return since, until, unit


def supervision_report(user, *, since, until, unit: Organization | None = None) -> tuple[dict, list]:
    """The totals (over `unit`'s subtree, or all the user sees) and the same per unit right below it."""
    units = breakdown_units(user, unit)
    return (
        supervision_figures(user, since=since, until=until, under=unit),
        supervision_by_unit(user, since=since, until=until, units=units),
    )
