"""Thin views of the reports app (the district cockpit)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from luoshi.core.cache import cached
from luoshi.orgs.selectors import breadcrumb_visible, organization_get_visible, organization_roots_visible
from luoshi.reports import selectors


@login_required
def cockpit(request):
    """驾驶舱 — the year's figures over the top of the user's scope (or `?org=`, a subtree they may see);
    `?screen=1` for the big screen."""
    user = request.user
    today = timezone.localdate()
    year = selectors.year_from(request.GET.get("year"), today)
    screen = request.GET.get("screen") == "1"
    if request.GET.get("org"):
        root = organization_get_visible(user, request.GET["org"])
    else:
        roots = organization_roots_visible(user)
        root = roots[0] if roots else None
    context = {"root": root, "year": year, "screen": screen, "hide_nav": screen}
    if root is not None:
        # kept until any record changes (luoshi.core.cache); per day, as "overdue" moves with the date
        key = f"cockpit:v1:{user.pk}:{root.pk}:{year}:{today.isoformat()}"
        keep = {"org": root.pk, "year": year}
        context |= {
            "f": cached(key, lambda: selectors.cockpit_figures(user, root, year=year, today=today)),
            "crumbs": breadcrumb_visible(user, root),
            "labels": selectors.chart_labels(),
            "years": list(range(today.year, max(today.year - 5, 1999), -1)),
            "screen_url": "?" + urlencode({**keep, "screen": 1}),
            "normal_url": "?" + urlencode(keep),
        }
    # the panels are the same for every request with the same key: kept rendered (per language and mode), so a
    # big screen reloading or many leaders opening it cost one render per change of the records
    if root is not None:
        html_key = f"{key}:{get_language()}:{int(screen)}"
        body = cached(html_key, lambda: render_to_string("reports/_cockpit_body.html", context))
    else:
        body = render_to_string("reports/_cockpit_body.html", context)
    context["body"] = mark_safe(body)  # rendered by our own template, escaped there
    return render(request, "reports/cockpit.html", context)
