"""Thin views of the sites app."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from luoshi.sites import selectors


@login_required
def centers(request):
    order = request.GET.get("order", "worst")
    page = Paginator(selectors.centers_ranked(request.user, worst_first=order != "best"), 50).get_page(
        request.GET.get("page")
    )
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
