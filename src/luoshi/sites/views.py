"""Thin views of the sites app."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.shortcuts import render

from luoshi.core.cache import cached
from luoshi.sites import selectors
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
    return render(request, "sites/centers.html", {"page": page, "order": order})


@login_required
def center(request, pk):
    item = selectors.center_get_visible(request.user, pk)
    projects = list(item.projects.prefetch_related("milestones__obligation").order_by("-deadline"))
    ranked = selectors.centers_ranked(request.user).filter(pk=item.pk).first()
    return render(
        request,
        "sites/center.html",
        {"center": item, "services": item.services.all(), "projects": projects, "ranked": ranked},
    )
