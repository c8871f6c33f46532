"""Thin views of the sites app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from luoshi.core.cache import cached
from luoshi.core.errors import NotPermitted
from luoshi.sites import selectors, services
from luoshi.sites.models import ServiceCenter


@login_required
def centers(request):
    order = request.GET.get("order", "worst")
    number = request.GET.get("page") or "1"

    def compute():
        paginator = Paginator(selectors.centers_ranked(request.user, worst_first=order != "best"), 50)
        page = paginator.get_page(number)
        rows = [
            {
                "pk": c.pk,
                "name": c.name,
                "organization": c.organization.name,
                "score": c.score,
                "visited_at": c.visited_at,
                "visit_id": c.visit_id,
            }
            for c in page.object_list
        ]
        return {"rows": rows, "count": paginator.count, "number": page.number}

    # the ranking changes only when a visit is recorded: kept until then (luoshi.core.cache)
    data = cached(f"centers:{request.user.pk}:{order}:{number}", compute)
    paginator = Paginator(ServiceCenter.objects.none(), 50)
    paginator.count = data["count"]  # a cached_property, set: the pager asks the database nothing
    page = Page(data["rows"], data["number"], paginator)
    return render(
        request, "sites/centers.html", {"page": page, "order": order, "pass_score": selectors.pass_score()}
    )


@login_required
def center(request, pk):
    item = selectors.center_get_visible(request.user, pk)
    projects = list(item.projects.prefetch_related("milestones__obligation").order_by("-deadline"))
    ranked = selectors.centers_ranked(request.user).filter(pk=item.pk).first()
    can_report = services.can_report_milestones(request.user, item)
    return render(
        request,
        "sites/center.html",
        {
            "center": item,
            "services": item.services.all(),
            "projects": projects,
            "ranked": ranked,
            "can_report": can_report,
            "pass_score": selectors.pass_score(),
        },
    )


@login_required
@require_POST
def milestone_done(request, pk):
    milestone = selectors.milestone_get_visible(request.user, pk)
    try:
        services.milestone_done(by=request.user, milestone=milestone)
    except NotPermitted:
        raise PermissionDenied from None
    messages.success(request, gettext("The milestone was reported reached."))
    return redirect("sites:center", pk=milestone.project.center_id)
