"""Reads of the organization tree. Every function takes the user and stays inside their scope."""

from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from luoshi.core.models import ACTIVE_STATES, Obligation
from luoshi.orgs.models import Organization, Position, PositionKind, Term
from luoshi.orgs.tree import ancestor_paths, common_ancestor_path, subtree_q


def organization_get_visible(user, pk) -> Organization:
    """The organization if the user may see it; 404 for missing and forbidden alike."""
    try:
        return Organization.objects.visible_to(user).get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def organization_roots_visible(user) -> list[Organization]:
    """The top organizations of the user's scope (the roots of their grants' subtrees)."""
    from luoshi.accounts.permissions import ORGS_VIEW
    from luoshi.accounts.scoping import paths_with_perm

    return list(Organization.objects.filter(path__in=paths_with_perm(user, ORGS_VIEW)).order_by("path"))


def breadcrumb_visible(user, org: Organization) -> list[Organization]:
    """Ancestors of `org` that the user may see, root first."""
    return list(
        Organization.objects.visible_to(user).filter(path__in=ancestor_paths(org.path)).order_by("path")
    )


def sitting_secretary(org: Organization):
    position = (
        Position.objects.current()
        .filter(organization=org, kind=PositionKind.SECRETARY)
        .select_related("person")
    ).first()
    return position.person if position else None


def secretaries_of(org_ids) -> dict[int, object]:
    """organization id -> sitting secretary (Person), in one query."""
    rows = Position.objects.current().filter(organization_id__in=list(org_ids), kind=PositionKind.SECRETARY)
    return {p.organization_id: p.person for p in rows.select_related("person")}


def sitting_secretaries(orgs) -> dict[int, object]:
    """organization id -> sitting secretary (Person) for many organizations: an id list when few, one range
    scan over their nearest common ancestor's subtree when many (no parameter limit on either database)."""
    orgs = list(orgs)
    if len(orgs) <= 500:
        return secretaries_of(org.pk for org in orgs)
    wanted = {org.pk for org in orgs}
    common = common_ancestor_path(org.path for org in orgs)
    rows = (
        Position.objects.current()
        .filter(subtree_q([common], field="organization__path") if common else Q())
        .filter(kind=PositionKind.SECRETARY)
        .select_related("person")
    )
    return {
        p.organization_id: p.person for p in rows.iterator(chunk_size=5000) if p.organization_id in wanted
    }


def current_terms_of(org_ids) -> dict[int, Term]:
    return {
        t.organization_id: t for t in Term.objects.filter(organization_id__in=list(org_ids), ended_on=None)
    }


SMALL_NODE_LIST = 50


def obligation_counts_by_subtree(nodes: list[Organization], today=None) -> dict[int, dict]:
    """For each node: open (active) and overdue obligation counts in its whole subtree, in one query.

    All nodes must be at the same depth (siblings, or the roots of one level): the count groups the
    obligations by the prefix of their organization's path of that depth's length.
    """
    today = today or timezone.localdate()
    counts: dict[int, dict] = {node.pk: {"open": 0, "overdue": 0, "escalated": 0} for node in nodes}
    if not nodes:
        return counts
    length = len(nodes[0].path)
    assert all(len(node.path) == length for node in nodes), "nodes must be at the same depth"
    by_prefix = {node.path: node.pk for node in nodes}
    if len(nodes) <= SMALL_NODE_LIST:
        q = subtree_q([node.path for node in nodes], field="organization__path")
    else:
        # Many nodes (a province's 1,700 streets): one range over their common ancestor's subtree instead of
        # a range per node; the grouping below drops rows of any sibling not in the list.
        common = common_ancestor_path(node.path for node in nodes)
        q = subtree_q([common], field="organization__path") if common else Q()
    rows = (
        Obligation.objects.filter(q, state__in=ACTIVE_STATES)
        .annotate(prefix=Substr("organization__path", 1, length))
        .values("prefix")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(due_date__lt=today)),
            escalated=Count("id", filter=Q(state="escalated")),
        )
    )
    for row in rows:
        node_id = by_prefix.get(row["prefix"])
        if node_id is not None:
            counts[node_id] = {"open": row["open"], "overdue": row["overdue"], "escalated": row["escalated"]}
    return counts


def node_overview(org: Organization, today=None) -> dict:
    """What the tree page shows of one organization: its committee, term, units below with their
    secretaries, renewal dates and obligation counts. The same for everyone who may see `org`: a grant
    covers a whole subtree, so whoever sees an organization sees all of its children."""
    today = today or timezone.localdate()
    children = list(Organization.objects.filter(parent=org).active().order_by("path"))
    ids = [org.pk] + [c.pk for c in children]
    counts = obligation_counts_by_subtree(children, today=today)
    secretaries = secretaries_of(ids)
    terms = current_terms_of(ids)
    return {
        "positions": positions_of(org),
        "secretary": secretaries.get(org.pk),
        "term": terms.get(org.pk),
        "own": obligation_counts_by_subtree([org], today=today)[org.pk],
        "rows": [(c, secretaries.get(c.pk), terms.get(c.pk), counts[c.pk]) for c in children],
        "kinds": kind_counts_in_subtree(org) if org.children_count else {},
    }


def node_overview_cached(org: Organization) -> dict:
    from luoshi.core.cache import cached

    today = timezone.localdate()
    return cached(f"node:{org.pk}:{today.isoformat()}", lambda: node_overview(org, today))


def positions_of(org: Organization) -> list[Position]:
    """Sitting office-holders, the secretary (first responsible person) first."""
    order = {kind: i for i, kind in enumerate(PositionKind.values)}
    rows = Position.objects.current().filter(organization=org).select_related("person")
    return sorted(rows, key=lambda p: (order.get(p.kind, 99), p.start_date))


def kind_counts_in_subtree(org: Organization) -> dict[str, int]:
    """How many organizations of each kind lie below `org` (itself excluded)."""
    rows = (
        Organization.objects.subtree(org.path)
        .active()
        .exclude(pk=org.pk)
        .values("kind")
        .annotate(n=Count("id"))
    )
    counts = defaultdict(int)
    for row in rows:
        counts[row["kind"]] = row["n"]
    return dict(counts)


def organization_pick_visible(user, text: str) -> Organization | None:
    """Resolve what a user typed in an organization field: its code, or an exact name, within scope."""
    text = (text or "").strip()
    if not text:
        return None
    code = text.rsplit("·", 1)[-1].strip()  # the picker offers "name · code"
    qs = Organization.objects.visible_to(user).active()
    return qs.filter(code=code).first() or qs.filter(name=text).order_by("path").first()


def organization_search_visible(user, text: str, limit: int = 20) -> list[Organization]:
    text = (text or "").strip()
    qs = Organization.objects.visible_to(user).active()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__startswith=text))
    return list(qs.order_by("depth", "path")[:limit])


def organizations_of_kind_under(under: Organization, kind: str) -> list[Organization]:
    """Every active organization of `kind` below `under` (a whole level when `under` is one's own unit)."""
    return list(
        Organization.objects.subtree(under.path)
        .active()
        .filter(kind=kind)
        .exclude(pk=under.pk)
        .order_by("path")
    )
