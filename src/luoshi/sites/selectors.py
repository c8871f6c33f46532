"""Reads of the sites app: the registry and the ranking of centers by their latest inspection score."""

from django.http import Http404

from luoshi.inspections.selectors import latest_score
from luoshi.sites.models import ServiceCenter
from luoshi.sites.services import CENTER_STANDARD


def centers_ranked(user, *, worst_first: bool = True):
    """Every visible center with its latest score against the center standard (one query): worst first, the
    centers never inspected last."""
    qs = (
        ServiceCenter.objects.visible_to(user)
        .filter(archived_at=None)
        .select_related("organization")
        .annotate(
            score=latest_score(CENTER_STANDARD, organization_ref="organization_id"),
            visited_at=latest_score(CENTER_STANDARD, "visited_at", organization_ref="organization_id"),
            visit_id=latest_score(CENTER_STANDARD, "id", organization_ref="organization_id"),
        )
    )
    from django.db.models import F

    score = F("score").asc(nulls_last=True) if worst_first else F("score").desc(nulls_last=True)
    return qs.order_by(score, "organization__path")


def center_get_visible(user, pk) -> ServiceCenter:
    try:
        return ServiceCenter.objects.visible_to(user).select_related("organization").get(pk=pk)
    except (ServiceCenter.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pass_score():
    """The passing score of the newest center standard (the ranking marks the centers below it)."""
    from luoshi.inspections.selectors import standards_current

    return next((s.pass_score for s in standards_current() if s.code == CENTER_STANDARD), None)


def milestone_get_visible(user, pk):
    from luoshi.sites.models import Milestone

    try:
        milestone = Milestone.objects.select_related("project__center__organization", "obligation").get(pk=pk)
    except (Milestone.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    center_get_visible(user, milestone.project.center_id)
    return milestone
