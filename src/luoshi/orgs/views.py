from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from luoshi.accounts.permissions import AUDIT_VIEW, OBLIGATIONS_VIEW
from luoshi.accounts.scoping import has_perm_on
from luoshi.orgs import selectors
from luoshi.orgs.models import OrgKind


@login_required
def tree(request):
    roots = selectors.organization_roots_visible(request.user)
    if len(roots) == 1:
        return redirect("orgs:node", pk=roots[0].pk)
    if not roots:
        raise Http404
    counts = {}
    counted = [r for r in roots if has_perm_on(request.user, OBLIGATIONS_VIEW, r.path)]
    for depth in {root.depth for root in counted}:
        counts.update(selectors.obligation_counts_by_subtree([r for r in counted if r.depth == depth]))
    secretaries = selectors.secretaries_of([r.pk for r in roots])
    rows = [(r, secretaries.get(r.pk), counts.get(r.pk)) for r in roots]
    return render(request, "orgs/roots.html", {"rows": rows})


@login_required
def node(request, pk):
    org = selectors.organization_get_visible(request.user, pk)
    overview = selectors.node_overview_cached(org)
    kinds = overview["kinds"]
    context = {
        **overview,
        "org": org,
        "crumbs": selectors.breadcrumb_visible(request.user, org),
        "kind_counts": [(label, kinds[value]) for value, label in OrgKind.choices if kinds.get(value)],
        "today": timezone.localdate(),
        "can_see_history": has_perm_on(request.user, AUDIT_VIEW, org.path),
        "can_see_obligations": has_perm_on(request.user, OBLIGATIONS_VIEW, org.path),
    }
    return render(request, "orgs/node.html", context)


@login_required
def pick(request):
    """Options for an organization field (HTMX): name · code, the user's scope only."""
    orgs = selectors.organization_search_visible(request.user, request.GET.get("organization", ""))
    return render(request, "orgs/_pick_options.html", {"orgs": orgs})
