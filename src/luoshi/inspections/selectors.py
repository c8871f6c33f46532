"""Reads of the inspections app through the models' `visible_to(user)`: 404 for missing and hidden alike, so a
covert inspection's existence does not leak through an error code."""

from luoshi.accounts import scoping
from luoshi.accounts.permissions import OBLIGATIONS_COMPLETE
from luoshi.core.attachments import attach_files
from luoshi.core.selectors import get_or_404
from luoshi.inspections.models import (
    Answer,
    Finding,
    Inspection,
    Rectification,
    Standard,
    StandardItem,
    Visit,
)


def inspections_visible(user):
    return Inspection.objects.visible_to(user).select_related("standard", "organization")


def inspection_get_visible(user, pk) -> Inspection:
    return get_or_404(inspections_visible(user).select_related("approver", "created_by"), pk)


def inspection_targets(inspection: Inspection) -> list:
    """Each target with its recorded visit, if any (two queries)."""
    visits = {v.organization_id: v for v in inspection.visits.filter(submitted_at__isnull=False)}
    targets = list(inspection.targets.select_related("organization").order_by("organization__path"))
    for target in targets:
        target.visit = visits.get(target.organization_id)
    return targets


def visit_get_visible(user, pk) -> Visit:
    return get_or_404(
        Visit.objects.visible_to(user).select_related("inspection__standard", "organization", "inspector"), pk
    )


def visits_visible(user):
    return Visit.objects.visible_to(user).select_related("inspection", "organization")


def visit_answers(visit: Visit) -> list[Answer]:
    answers = visit.answers.select_related("item__section").order_by("item__section__order", "item__order")
    return attach_files(answers, "photos")


def answer_get_visible(user, pk) -> Answer:
    answer = get_or_404(Answer.objects.all(), pk)
    visit_get_visible(user, answer.visit_id)
    return answer


def standard_items(standard: Standard) -> list[StandardItem]:
    return list(
        StandardItem.objects.filter(section__standard=standard)
        .select_related("section")
        .order_by("section__order", "order")
    )


def standards_current() -> list[Standard]:
    """The newest version of each standard."""
    latest = {}
    for standard in Standard.objects.filter(archived_at=None).order_by("code", "-version"):
        latest.setdefault(standard.code, standard)
    return list(latest.values())


def standard_get(pk) -> Standard:
    return get_or_404(Standard.objects.all(), pk)


def finding_get_visible(user, pk) -> Finding:
    return get_or_404(
        Finding.objects.visible_to(user).select_related("visit__inspection", "organization", "item"), pk
    )


def findings_visible(user):
    return Finding.objects.visible_to(user).select_related("organization", "visit")


def rectification_get_visible(user, pk) -> Rectification:
    return get_or_404(
        Rectification.objects.visible_to(user).select_related(
            "finding__visit__inspection", "organization", "responsible", "obligation", "verified_by"
        ),
        pk,
    )


def rectifications_mine(user):
    own = [g.organization_id for g in scoping.grants_of(user) if OBLIGATIONS_COMPLETE in g.permissions]
    return Rectification.objects.filter(organization_id__in=own).select_related(
        "finding", "obligation", "organization"
    )


def rectification_reports(rectification: Rectification) -> list:
    return attach_files(rectification.reports.select_related("by"))


def report_get_visible(user, pk):
    from luoshi.inspections.models import RectificationReport

    report = get_or_404(RectificationReport.objects.all(), pk)
    rectification_get_visible(user, report.rectification_id)
    return report


def finding_facts(findings) -> list[dict]:
    """What another module (a circular, a statistics page) may know of findings: unit, text, dates, and the
    state of their rectification."""
    from django.utils import timezone

    rows = []
    for finding in (
        Finding.objects.filter(pk__in=[f.pk for f in findings])
        .select_related("organization", "rectification__obligation", "visit__inspection")
        .order_by("created_at", "id")
    ):
        rectification = getattr(finding, "rectification", None)
        rows.append(
            {
                "id": finding.pk,
                "organization": finding.organization.name,
                "description": finding.description,
                "found_on": timezone.localtime(finding.visit.visited_at).date()
                if finding.visit
                else timezone.localtime(finding.created_at).date(),
                "inspection": finding.visit.inspection.title if finding.visit else "",
                "deadline": rectification.deadline if rectification else None,
                "rectified": bool(rectification and rectification.verified_at),
            }
        )
    return rows


def latest_score(standard_code: str, field: str = "value", organization_ref: str = "organization_id"):
    """A subquery expression: for the organization in the outer query's `organization_ref`, the score (or
    "visited_at", "id") of its latest recorded visit against any version of the standard `standard_code`.
    For rankings (sites) that annotate many organizations in one query."""
    from django.db.models import DateTimeField, DecimalField, IntegerField, OuterRef, Subquery

    column, output = {
        "value": ("score", DecimalField(max_digits=5, decimal_places=1)),
        "visited_at": ("visited_at", DateTimeField()),
        "id": ("pk", IntegerField()),
    }[field]
    latest = (
        Visit.objects.filter(
            organization_id=OuterRef(organization_ref),
            submitted_at__isnull=False,
            inspection__standard__code=standard_code,
        )
        .order_by("-visited_at", "-id")
        .values(column)[:1]
    )
    return Subquery(latest, output_field=output)


def day_bounds(since, until):
    """[start of `since`, start of the day after `until`) in local time: a range the index can use, where a
    `__date` lookup makes SQLite call a function on every row."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    return start, end


def grouped(qs, prefix_length: int | None, **aggregates) -> dict:
    """`aggregates` over `qs`: {"": totals} without a prefix length, else {path prefix: figures}, the
    records grouped by the prefix of their organization's path (one query either way)."""
    from django.db.models.functions import Substr

    if prefix_length is None:
        return {"": qs.aggregate(**aggregates)}
    rows = (
        qs.annotate(prefix=Substr("organization__path", 1, prefix_length))
        .values("prefix")
        .annotate(**aggregates)
        .order_by()
    )
    return {row.pop("prefix"): row for row in rows}


FIGURES_ZERO = dict.fromkeys(
    ("visits", "inspections", "units", "secret", "findings", "due", "on_time", "open_late"), 0
)


def inspection_figures(user, *, since, until, prefix_length: int | None = None, under: str = "") -> dict:
    """A period's inspection figures from the records the user may see: inspections held (with a visit in the
    period), units checked, surprise/covert visits, findings, rectifications due and done on time. With
    `prefix_length`, the same per subtree: {path prefix: figures}; else {"": figures}. `under` narrows all of
    it to one organization's subtree."""
    from django.db.models import Count, Q

    from luoshi.orgs.tree import subtree_q

    start, end = day_bounds(since, until)
    within = subtree_q([under], field="organization__path") if under else Q()
    visits = Visit.objects.visible_to(user).filter(
        within, submitted_at__isnull=False, visited_at__gte=start, visited_at__lt=end
    )
    findings = Finding.objects.visible_to(user).filter(within, created_at__gte=start, created_at__lt=end)
    rectifications = Rectification.objects.visible_to(user).filter(
        within, deadline__gte=since, deadline__lte=until
    )
    parts = [
        grouped(
            visits,
            prefix_length,
            visits=Count("id", distinct=True),
            inspections=Count("inspection_id", distinct=True),
            units=Count("organization_id", distinct=True),
            secret=Count(
                "inspection_id", filter=Q(inspection__kind__in=["surprise", "covert"]), distinct=True
            ),
        ),
        grouped(findings, prefix_length, findings=Count("id")),
        grouped(
            rectifications,
            prefix_length,
            due=Count("id"),
            on_time=Count("id", filter=Q(on_time=True)),
            open_late=Count(
                "id", filter=Q(verified_at__isnull=True, obligation__state__in=["overdue", "escalated"])
            ),
        ),
    ]
    out: dict[str, dict] = {}
    for part in parts:
        for prefix, figures in part.items():
            out.setdefault(prefix, dict(FIGURES_ZERO)).update({k: v or 0 for k, v in figures.items()})
    if prefix_length is None:
        return out.get("", dict(FIGURES_ZERO))
    return out


def overdue_rectifications_at(day) -> dict[int, int]:
    """Organization id → rectifications past their deadline on `day` and not verified by then."""
    from datetime import datetime, time, timedelta

    from django.db.models import Count, Q
    from django.utils import timezone

    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    rows = (
        Rectification.objects.filter(deadline__lt=day)
        .filter(Q(verified_at__isnull=True) | Q(verified_at__gte=end))
        .exclude(obligation__state="waived")
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("organization_id", "n")
    )
    return dict(rows)
