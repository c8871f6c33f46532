"""Reads of obligations, escalations and the inbox, always through the models' `visible_to(user)`."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from luoshi.accounts import scoping
from luoshi.accounts.permissions import (
    AUDIT_VIEW,
    OBLIGATIONS_COMPLETE,
    OBLIGATIONS_CONFIRM,
    OBLIGATIONS_VIEW,
    OBLIGATIONS_WAIVE,
)
from luoshi.core.cache import cached
from luoshi.core.models import (
    ACTIVE_STATES,
    UNCLOSED_STATES,
    Attachment,
    Escalation,
    EscalationStatus,
    EscalationStep,
    Notification,
    Obligation,
    ObligationState,
)
from luoshi.core.obligations import can_complete, next_step
from luoshi.orgs.models import Organization
from luoshi.orgs.tree import minimal_cover, subtree_q

SECTION_LIMIT = 20
DUE_SOON_DAYS = 7


def get_or_404(qs, pk):
    """One row of a (scoped) queryset; 404 for missing, hidden and malformed ids alike."""
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def obligation_get_visible(user, pk) -> Obligation:
    try:
        return (
            Obligation.objects.visible_to(user)
            .select_related("policy", "organization", "responsible__user", "created_by", "closed_by")
            .get(pk=pk)
        )
    except (Obligation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def escalation_get_visible(user, pk) -> Escalation:
    try:
        return Escalation.objects.select_related("obligation__organization").get(
            pk=pk, obligation__in=Obligation.objects.visible_to(user)
        )
    except (Escalation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notification_get_own(user, pk) -> Notification:
    try:
        return Notification.objects.get(pk=pk, recipient=user)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _with_related(qs):
    return qs.select_related("policy", "organization", "responsible")


def mine_q(user) -> Q:
    """Obligations that concern the user: theirs personally, or their own unit's (a grant to report done)."""
    own_units = [g.organization_id for g in scoping.grants_of(user) if OBLIGATIONS_COMPLETE in g.permissions]
    return Q(responsible__user_id=user.pk) | Q(organization_id__in=own_units)


def decidable_q(user) -> Q:
    """Escalations the user may decide: proposals on units strictly below a grant carrying 'confirm'."""
    q = Q(pk__in=[])
    for path in scoping.paths_with_perm(user, OBLIGATIONS_CONFIRM):
        q |= subtree_q([path], field="obligation__organization__path") & ~Q(
            obligation__organization__path=path
        )
    return q


@dataclass
class Home:
    due_soon: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    escalated: list = field(default_factory=list)
    awaiting: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    units: list = field(default_factory=list)  # (organization, counts) for district/street roles
    units_parent: Organization | None = None


def home_for(user, today: date | None = None) -> Home:
    """The home page: my obligations by urgency, proposals waiting for me, and per-unit counts below me.
    A fixed number of queries whatever the size of the data (the lists are capped)."""
    today = today or timezone.localdate()
    home = Home()
    mine = Obligation.objects.visible_to(user).filter(mine_q(user), state__in=ACTIVE_STATES)
    soon_end = today + timedelta(days=DUE_SOON_DAYS)
    home.counts = mine.aggregate(
        due_soon=Count("id", filter=Q(due_date__gte=today, due_date__lte=soon_end) & ~Q(state="escalated")),
        overdue=Count("id", filter=Q(due_date__lt=today) & ~Q(state="escalated")),
        escalated=Count("id", filter=Q(state=ObligationState.ESCALATED)),
        total=Count("id"),
    )
    home.due_soon = list(
        _with_related(mine.filter(due_date__gte=today, due_date__lte=soon_end).exclude(state="escalated"))[
            :SECTION_LIMIT
        ]
    )
    home.overdue = list(
        _with_related(mine.filter(due_date__lt=today).exclude(state="escalated"))[:SECTION_LIMIT]
    )
    home.escalated = list(_with_related(mine.filter(state=ObligationState.ESCALATED))[:SECTION_LIMIT])
    pending = Escalation.objects.filter(decidable_q(user), status=EscalationStatus.PROPOSED)
    home.counts["awaiting"] = pending.count()
    home.awaiting = list(
        pending.select_related("obligation__organization", "obligation__policy").order_by("created_at")[
            :SECTION_LIMIT
        ]
    )
    attach_next_steps(home.due_soon + home.overdue + home.escalated)
    home.units_parent, home.units = unit_counts_for(user, today)
    return home


def home_for_cached(user) -> Home:
    """home_for, kept until obligations, grants or the tree change (see luoshi.core.cache)."""
    today = timezone.localdate()
    return cached(f"home:{user.pk}:{today.isoformat()}", lambda: home_for(user, today))


def unit_counts_for(user, today: date) -> tuple[Organization | None, list]:
    """For a user whose view grant sits above other units: each unit one level below, with its subtree's
    open, overdue and escalated counts, worst first. For a district role these are the streets."""
    roots = scoping.paths_with_perm(user, OBLIGATIONS_VIEW)
    if len(roots) != 1:
        roots = minimal_cover(roots)
    if not roots:
        return None, []
    parent = Organization.objects.filter(path=roots[0]).first()
    if parent is None:
        return None, []
    children = list(Organization.objects.filter(parent=parent).active().order_by("path"))
    if not children:
        return parent, []
    from luoshi.orgs.selectors import obligation_counts_by_subtree

    counts = obligation_counts_by_subtree(children, today=today)
    rows = [(child, counts[child.pk]) for child in children]
    rows.sort(key=lambda row: (-row[1]["escalated"], -row[1]["overdue"], row[0].path))
    return parent, rows


def attach_next_steps(obligations) -> None:
    """Set `.upcoming` = (step, date) on each obligation, with the ladders read in one query."""
    policy_ids = {o.policy_id for o in obligations}
    steps: dict[int, list] = {pid: [] for pid in policy_ids}
    for step in EscalationStep.objects.filter(policy_id__in=policy_ids).order_by("policy_id", "order"):
        steps[step.policy_id].append(step)
    waiting = set(
        Escalation.objects.filter(
            obligation_id__in=[o.pk for o in obligations if o.state == ObligationState.ESCALATED],
            status=EscalationStatus.PROPOSED,
        ).values_list("obligation_id", flat=True)
    )
    for obligation in obligations:
        obligation.waiting = obligation.pk in waiting
        obligation.upcoming = (
            next_step(obligation, steps[obligation.policy_id])
            if obligation.is_active and not obligation.waiting
            else None
        )


FILTERS = {
    "active": Q(state__in=UNCLOSED_STATES),
    "submitted": Q(state=ObligationState.SUBMITTED),
    "overdue": Q(state__in=[ObligationState.OPEN, ObligationState.OVERDUE]),  # refined with the date below
    "escalated": Q(state=ObligationState.ESCALATED),
    "done": Q(state=ObligationState.DONE),
    "waived": Q(state=ObligationState.WAIVED),
    "all": Q(),
}


def obligation_list_visible(
    user, *, state="active", org: Organization | None = None, mine=False, search="", today: date | None = None
):
    today = today or timezone.localdate()
    qs = Obligation.objects.visible_to(user).filter(FILTERS.get(state, FILTERS["active"]))
    if state == "overdue":
        qs = qs.filter(due_date__lt=today)
    if state == "due_soon":  # as on the home page: escalated ones are counted under "escalated"
        qs = (
            Obligation.objects.visible_to(user)
            .due_soon(today, DUE_SOON_DAYS)
            .exclude(state=ObligationState.ESCALATED)
        )
    if state == "awaiting":
        waiting = Escalation.objects.filter(decidable_q(user), status=EscalationStatus.PROPOSED)
        qs = Obligation.objects.visible_to(user).filter(pk__in=waiting.values("obligation_id"))
    if org is not None:
        qs = qs.filter(subtree_q([org.path], field="organization__path"))
    if mine:
        qs = qs.filter(mine_q(user))
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(organization__name__icontains=search))
    return _with_related(qs).order_by("due_date", "id")


@dataclass
class LadderRung:
    order: int
    action: str
    label: str
    scheduled_on: date
    escalation: Escalation | None
    is_next: bool


def obligation_detail(user, obligation: Obligation):
    """The ladder with each rung's date and what happened there, and what the user may do now."""
    steps = list(obligation.policy.steps.order_by("order"))
    reached = {e.step_order: e for e in obligation.escalations.select_related("decided_by")}
    upcoming = next_step(obligation, steps) if obligation.is_active else None
    waiting = any(e.status == EscalationStatus.PROPOSED for e in reached.values())
    rungs = [
        LadderRung(
            order=s.order,
            action=s.action,
            label=s.get_action_display(),
            scheduled_on=obligation.due_date + timedelta(days=s.offset_days),
            escalation=reached.get(s.order),
            is_next=bool(upcoming and upcoming[0].order == s.order),
        )
        for s in steps
    ]
    path = obligation.organization.path
    can = {
        "complete": can_complete(user, obligation),
        "waive": obligation.is_unclosed and scoping.has_perm_on(user, OBLIGATIONS_WAIVE, path, above=True),
        "decide": scoping.has_perm_on(user, OBLIGATIONS_CONFIRM, path, above=True),
        "history": scoping.has_perm_on(user, AUDIT_VIEW, path),
    }
    attachments = list(
        Attachment.objects.filter(subject_type__model="obligation", subject_id=str(obligation.pk))
        .select_related("blob", "uploaded_by")
        .order_by("uploaded_at")
    )
    subject = obligation.subject if obligation.subject_type_id else None
    subject_url = subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
    return {
        "rungs": rungs,
        "upcoming": upcoming,
        "waiting": waiting,
        "can": can,
        "attachments": attachments,
        "subject_url": subject_url,
    }


def inbox_for(user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
