"""Reads of the duty app, always through the models' `visible_to(user)`: fetches answer 404 for missing
and forbidden alike. The cascade, the ledger and the per-street table are a fixed number of queries
whatever the number of organizations."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from luoshi.accounts import scoping
from luoshi.accounts.permissions import OBLIGATIONS_COMPLETE, OBLIGATIONS_CREATE, OBLIGATIONS_VIEW
from luoshi.core.attachments import attach_files
from luoshi.core.models import UNCLOSED_STATES, Attachment, Escalation, StepAction
from luoshi.core.selectors import get_or_404
from luoshi.duty.models import (
    Assignment,
    Letter,
    LetterCopy,
    LetterTarget,
    NodeState,
    Report,
    TargetProgress,
    TargetStatus,
    Task,
    WorkPlan,
)
from luoshi.duty.obligations import LETTER_SIGNATURE, LETTER_TARGET, TASK_ASSIGNMENT
from luoshi.orgs.models import Organization, OrgKind, PositionKind
from luoshi.orgs.tree import subtree_bounds, subtree_q

# --- Letters -------------------------------------------------------------------------------------------


def letter_get_visible(user, pk) -> Letter:
    return get_or_404(Letter.objects.visible_to(user).select_related("issuer", "created_by"), pk)


def copy_get_visible(user, pk) -> LetterCopy:
    return get_or_404(
        LetterCopy.objects.visible_to(user).select_related(
            "letter__issuer", "organization", "signatory", "signed_by", "signing_obligation"
        ),
        pk,
    )


def progress_get_visible(user, pk) -> TargetProgress:
    return get_or_404(
        TargetProgress.objects.visible_to(user).select_related(
            "copy__letter__issuer", "copy__organization", "target", "obligation__responsible", "updated_by"
        ),
        pk,
    )


def target_get_visible(user, pk) -> LetterTarget:
    target = get_or_404(LetterTarget.objects.select_related("letter__issuer"), pk)
    letter_get_visible(user, target.letter_id)  # 404 unless its letter is visible
    return target


def copy_progress(copy: LetterCopy) -> list[TargetProgress]:
    """A signed copy's targets with their progress (the targets alone before signing)."""
    if copy.is_signed:
        return list(copy.progress.select_related("target", "obligation").order_by("target__order"))
    return [TargetProgress(copy=copy, target=t) for t in copy.letter.targets.order_by("order")]


def letters_issued_visible(user):
    """Letters issued (or drafted) by organizations in the user's scope, with their signing progress."""
    qs = Letter.objects.filter(scope_q_view(user, "issuer__path"), archived_at=None)
    return qs.select_related("issuer").annotate(
        copies_total=Count("copies", distinct=True),
        copies_signed=Count("copies", filter=Q(copies__signed_at__isnull=False), distinct=True),
        copies_unsigned=Count("copies", filter=Q(copies__signed_at__isnull=True), distinct=True),
    )


def scope_q_view(user, field: str) -> Q:
    return scoping.scope_q(user, OBLIGATIONS_VIEW, field=field)


def own_unit_ids(user) -> list[int]:
    """The units the user answers for: where they sit as secretary, or hold 'report done' on the unit itself."""
    ids = {g.organization_id for g in scoping.grants_of(user) if OBLIGATIONS_COMPLETE in g.permissions}
    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is not None:
        ids |= set(
            person.positions.current()
            .filter(kind=PositionKind.SECRETARY)
            .values_list("organization_id", flat=True)
        )
    return sorted(ids)


def copies_mine(user):
    """The copies of letters sent to the user's own units, signed or waiting for their signature."""
    return (
        LetterCopy.objects.filter(organization_id__in=own_unit_ids(user), issued_at__isnull=False)
        .select_related("letter__issuer", "organization")
        .annotate(
            targets_total=Count("progress", distinct=True),
            targets_met=Count("progress", filter=Q(progress__status=TargetStatus.MET), distinct=True),
        )
        .order_by("-letter__year", "-letter_id")
    )


def letter_copies(user, letter: Letter, *, status: str = ""):
    """The letter's copies the user may see; status 'unsigned' or 'signed' narrows them."""
    qs = LetterCopy.objects.visible_to(user).filter(letter=letter)
    if status == "unsigned":
        qs = qs.filter(signed_at=None)
    elif status == "signed":
        qs = qs.exclude(signed_at=None)
    return qs.select_related("organization", "signatory").order_by("signed_at", "organization__path")


def letter_counts(user, letter: Letter) -> dict:
    qs = LetterCopy.objects.visible_to(user).filter(letter=letter)
    return qs.aggregate(
        total=Count("id"),
        signed=Count("id", filter=Q(signed_at__isnull=False)),
        unsigned=Count("id", filter=Q(signed_at__isnull=True)),
    )


def target_states(user, letter: Letter) -> list:
    """Per target, how many visible signatories stand at each status (one grouped query)."""
    rows = (
        TargetProgress.objects.visible_to(user)
        .filter(copy__letter=letter)
        .values("target_id", "status")
        .annotate(n=Count("id"))
    )
    overdue = (
        TargetProgress.objects.visible_to(user)
        .filter(copy__letter=letter, obligation__state__in=("overdue", "escalated"))
        .values("target_id")
        .annotate(n=Count("id"))
    )
    counts = defaultdict(dict)
    for row in rows:
        counts[row["target_id"]][row["status"]] = row["n"]
    late = {row["target_id"]: row["n"] for row in overdue}
    targets = list(letter.targets.order_by("order"))
    for target in targets:
        target.counts = {status: counts[target.pk].get(status, 0) for status in TargetStatus.values}
        target.overdue = late.get(target.pk, 0)
    return targets


def target_progress_list(user, target: LetterTarget, *, status: str = ""):
    qs = TargetProgress.objects.visible_to(user).filter(target=target)
    if status in TargetStatus.values:
        qs = qs.filter(status=status)
    return qs.select_related("copy__organization", "obligation", "updated_by").order_by(
        "copy__organization__path"
    )


def attachments_of(record) -> list:
    from django.contrib.contenttypes.models import ContentType

    return list(
        Attachment.objects.filter(
            subject_type=ContentType.objects.get_for_model(record),
            subject_id=str(record.pk),
            archived_at=None,
        ).select_related("blob", "uploaded_by")
    )


# --- Plans, tasks, assignments ---------------------------------------------------------------------------


def plans_visible(user):
    return (
        WorkPlan.objects.visible_to(user)
        .filter(archived_at=None)
        .select_related("organization")
        .annotate(task_count=Count("tasks", filter=Q(tasks__parent_assignment=None)))
    )


def plan_get_visible(user, pk) -> WorkPlan:
    return get_or_404(WorkPlan.objects.visible_to(user).select_related("organization"), pk)


def plan_tasks(user, plan: WorkPlan) -> list[Task]:
    """The plan's top-level tasks, each with its visible assignments counted by state."""
    tasks = list(
        plan.tasks.filter(parent_assignment=None).select_related("organization").order_by("number", "id")
    )
    _attach_counts(user, tasks)
    openable = task_visible_ids(user, tasks)
    for task in tasks:
        task.can_open = task.pk in openable  # a branch sees the plan's line but opens only its own task
    return tasks


def _attach_counts(user, tasks: list[Task]) -> None:
    _attach_counts_for(user, tasks, field="root_id")


def _attach_counts_for(user, tasks: list[Task], *, field: str) -> None:
    """Each task's assignments counted by state: the whole cascade (root_id) or its own (task_id)."""
    rows = (
        Assignment.objects.visible_to(user)
        .filter(**{f"{field}__in": [t.pk for t in tasks]})
        .with_node_state()
        .values(field, "node_state")
        .annotate(n=Count("id"))
    )
    counts = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[row[field]][row["node_state"]] += row["n"]
    for task in tasks:
        task.counts = counts[task.pk]
        task.total = sum(task.counts.values())
        task.late = task.counts[NodeState.OVERDUE] + task.counts[NodeState.SILENT]


def node_state_of(assignment: Assignment) -> str:
    return (
        Assignment.objects.filter(pk=assignment.pk).with_node_state().values_list("node_state", flat=True)[0]
    )


def child_tasks(user, assignment: Assignment) -> list[Task]:
    """The tasks into which this assignment was split, with their visible assignments counted by state."""
    tasks = list(assignment.child_tasks.order_by("id"))
    _attach_counts_for(user, tasks, field="task_id")
    return tasks


def task_get_visible(user, pk) -> Task:
    """The same rule as Task.visible_to, checked for one task: the issuing side by its path (no query), a
    receiving unit by one indexed look-up of its own assignment."""
    task = get_or_404(
        Task.objects.select_related("plan", "organization", "parent_assignment__organization", "created_by"),
        pk,
    )
    if not task_visible_ids(user, [task]):
        raise Http404
    return task


def task_visible_ids(user, tasks) -> set[int]:
    """Which of the tasks the user may open: the issuing side by its path (no query), a receiving unit by
    its own assignment (one query for them all)."""
    issuing = {t.pk for t in tasks if scoping.has_perm_on(user, OBLIGATIONS_VIEW, t.organization.path)}
    rest = [t.pk for t in tasks if t.pk not in issuing]
    if not rest:
        return issuing
    received = Assignment.objects.visible_to(user).filter(task_id__in=rest).values_list("task_id", flat=True)
    return issuing | set(received)


def assignment_get_visible(user, pk) -> Assignment:
    return get_or_404(
        Assignment.objects.visible_to(user).select_related(
            "task__organization", "task__plan", "organization", "obligation__responsible", "accepted_by"
        ),
        pk,
    )


def assignment_visible(user, pk) -> bool:
    """Whether assignment_get_visible would find it (for a link to it)."""
    return Assignment.objects.visible_to(user).filter(pk=pk).exists()


def report_get_visible(user, pk) -> Report:
    report = get_or_404(Report.objects.all(), pk)
    assignment_get_visible(user, report.assignment_id)  # 404 unless its assignment is visible
    return report


def assignment_reports(assignment: Assignment) -> list[Report]:
    return attach_files(assignment.reports.select_related("by").order_by("at", "id"))


def assignments_mine(user):
    """Assignments of the user's own units, most urgent first."""
    return (
        Assignment.objects.filter(organization_id__in=own_unit_ids(user))
        .with_node_state()
        .select_related("task", "organization", "obligation")
        .order_by("urgency", "deadline", "id")
    )


# --- The cascade -----------------------------------------------------------------------------------------


@dataclass
class Cascade:
    task: Task
    counts: dict
    total: int
    page: object = None
    streets: list = field(default_factory=list)


def cascade_queryset(user, task: Task, *, state: str = "", under: Organization | None = None):
    """Every assignment the task reached, below the task's issuer, that the user may see."""
    root_id = task.root_id or task.pk
    low, high = subtree_bounds(task.organization.path)
    qs = (
        Assignment.objects.visible_to(user)
        .filter(root_id=root_id, organization__path__gt=low, organization__path__lt=high)
        .with_node_state()
    )
    if under is not None:
        qs = qs.filter(subtree_q([under.path], field="organization__path"))
    if state in NodeState.values:
        qs = qs.filter(node_state=state)
    elif state == "late":
        qs = qs.filter(node_state__in=[NodeState.OVERDUE, NodeState.SILENT])
    return qs


TABLE_FIELDS = {
    "org_name": "organization__name",
    "org_code": "organization__code",
    "org_path": "organization__path",
    "responsible": "obligation__responsible__name",
    "obligation_state": "obligation__state",
    "task_title": "task__title",
    "lead_office": "task__lead_office",
}
TABLE_COLUMNS = [
    "pk",
    "organization_id",
    "task_id",
    "deadline",
    "node_state",
    "last_report_at",
    "last_report_text",
    "split",
    "children_done",
    "children_total",
    "submitted_on",
    "on_time",
]


def table_rows(qs, today: date | None = None) -> list[dict]:
    """A page of assignments as plain rows for the cascade and the ledger tables: one query, no model
    instances, links and labels made here rather than per row in the template (the pages are hit by many
    officers at once)."""
    from django.urls import reverse

    today = today or timezone.localdate()
    labels = dict(NodeState.choices)
    labels[NodeState.SILENT] = gettext_lazy("Silent")  # the short form for a badge
    assignment_url = reverse("duty:assignment", args=[0]).removesuffix("0/")
    task_url = reverse("duty:task", args=[0]).removesuffix("0/")
    rows = list(qs.values(*TABLE_COLUMNS, **{alias: F(path) for alias, path in TABLE_FIELDS.items()}))
    for row in rows:
        row["url"] = f"{assignment_url}{row['pk']}/"
        row["task_url"] = f"{task_url}{row['task_id']}/"
        row["state_label"] = labels.get(row["node_state"], row["node_state"])
        unclosed = row["obligation_state"] in UNCLOSED_STATES
        row["days_overdue"] = days_late(row["deadline"], row["submitted_on"], unclosed, today)
    return rows


def cascade_counts(qs) -> dict:
    counts = {state: 0 for state in NodeState.values}
    for row in qs.order_by().values("node_state").annotate(n=Count("id")):
        counts[row["node_state"]] = row["n"]
    return counts


def cascade_rows(qs, *, order: str = "urgent"):
    ordering = ["organization__path"] if order == "tree" else ["urgency", "deadline", "organization__path"]
    return qs.select_related("organization", "task", "obligation__responsible").order_by(*ordering)


# --- Tasks across streets, the ledger, the summary --------------------------------------------------------


def streets_visible(user) -> list[Organization]:
    return list(Organization.objects.visible_to(user).active().filter(kind=OrgKind.STREET).order_by("path"))


def on_time_by_street(user, tasks: list[Task], streets: list[Organization]) -> dict:
    """(task id, street id) -> (done on time, all) over the task's assignments in each street's subtree.
    One grouped query, on the street's path prefix."""
    if not tasks or not streets:
        return {}
    length = len(streets[0].path)
    by_prefix = {s.path: s.pk for s in streets if len(s.path) == length}
    rows = (
        Assignment.objects.visible_to(user)
        .filter(root_id__in=[t.pk for t in tasks])
        .annotate(prefix=Substr("organization__path", 1, length))
        .values("root_id", "prefix")
        .annotate(total=Count("id"), on_time=Count("id", filter=Q(on_time=True)))
    )
    table = {}
    for row in rows:
        street = by_prefix.get(row["prefix"])
        if street is not None:
            table[(row["root_id"], street)] = (row["on_time"], row["total"])
    return table


def street_totals(table: dict, streets: list[Organization]) -> list:
    totals = []
    for street in streets:
        cells = [value for (task_id, street_id), value in table.items() if street_id == street.pk]
        done = sum(c[0] for c in cells)
        total = sum(c[1] for c in cells)
        totals.append((street, done, total, round(100 * done / total) if total else None))
    return totals


def ledger_queryset(
    user,
    *,
    state: str = "",
    plan: WorkPlan | None = None,
    under: Organization | None = None,
    since: date | None = None,
    until: date | None = None,
    search: str = "",
):
    """督办台账 — every visible assignment with its task, unit, deadline, state and last report.
    `since`/`until` bound what the filter is about: acceptance for 'on_time', the deadline for 'late', the
    reminder for 'reminded', the sending otherwise."""
    today = timezone.localdate()
    qs = Assignment.objects.visible_to(user).with_node_state(today)
    if plan is not None:
        qs = qs.filter(task__plan=plan)
    if under is not None:
        qs = qs.filter(subtree_q([under.path], field="organization__path"))
    if search:
        qs = qs.filter(Q(task__title__icontains=search) | Q(organization__name__icontains=search))
    when = "created_at__date"
    if state in NodeState.values:
        qs = qs.filter(node_state=state)
    elif state == "on_time":
        qs = qs.filter(on_time=True)
        when = "accepted_at__date"
    elif state == "late":
        # past the deadline and not done in time: still open, or finished late
        qs = qs.filter(
            Q(node_state__in=[NodeState.OVERDUE, NodeState.SILENT])
            | Q(on_time=False)
            | Q(node_state=NodeState.AWAITING, submitted_on__gt=F("deadline"))
        )
        when = "deadline"
    elif state == "reminded":
        reminders = Escalation.objects.filter(
            obligation_id=OuterRef("obligation_id"), action__in=[StepAction.REMIND, StepAction.WARN]
        )
        if since:
            reminders = reminders.filter(created_at__date__gte=since)
        if until:
            reminders = reminders.filter(created_at__date__lte=until)
        qs = qs.filter(Exists(reminders))
        when = None
    if when and since:
        qs = qs.filter(**{f"{when}__gte": since})
    if when and until:
        qs = qs.filter(**{f"{when}__lte": until})
    return qs.select_related("task", "organization", "obligation").order_by(
        "urgency", "deadline", "organization__path"
    )


def days_late(deadline: date, submitted_on: date | None, unclosed: bool, today: date) -> int:
    """Days past the deadline: until the completion request, or until today while it is still open."""
    late_until = submitted_on or (today if unclosed else None)
    return max((late_until - deadline).days, 0) if late_until else 0


def days_overdue(assignment: Assignment, today: date) -> int:
    return days_late(assignment.deadline, assignment.submitted_on, assignment.obligation.is_unclosed, today)


@dataclass
class Summary:
    since: date
    until: date
    letters_signed: int
    tasks_issued: int
    assignments: int
    on_time: int
    late: int
    reminders: int


def work_summary(user, *, since: date, until: date, under: Organization | None = None) -> Summary:
    """A period's figures from the records, for a sentence ready to paste into a report. With `under`, only
    what reached that unit's subtree: its letters, the tasks assigned within it, their punctuality, the
    reminders its units got."""
    copies = LetterCopy.objects.visible_to(user).filter(
        signed_at__date__gte=since, signed_at__date__lte=until
    )
    top = Task.objects.filter(
        scope_q_view(user, "organization__path"),
        parent_assignment=None,
        created_at__date__gte=since,
        created_at__date__lte=until,
    )
    assigned = Assignment.objects.visible_to(user).filter(root__in=top)
    reminders = Escalation.objects.filter(
        obligation__policy__kind__in=[TASK_ASSIGNMENT, LETTER_TARGET, LETTER_SIGNATURE],
        action__in=[StepAction.REMIND, StepAction.WARN],
        created_at__date__gte=since,
        created_at__date__lte=until,
        obligation__in=scoping_obligations(user),
    )
    if under is not None:
        within = subtree_q([under.path], field="organization__path")
        copies = copies.filter(within)
        assigned = assigned.filter(within)
        top = top.filter(pk__in=assigned.values("root_id"))
        reminders = reminders.filter(subtree_q([under.path], field="obligation__organization__path"))
    on_time = ledger_queryset(user, state="on_time", since=since, until=until, under=under)
    late = ledger_queryset(user, state="late", since=since, until=until, under=under)
    return Summary(
        since=since,
        until=until,
        letters_signed=copies.count(),
        tasks_issued=top.count(),
        assignments=assigned.count(),
        on_time=on_time.count(),
        late=late.count(),
        reminders=reminders.count(),
    )


def scoping_obligations(user):
    from luoshi.core.models import Obligation

    return Obligation.objects.visible_to(user).values("pk")


def can_issue(user) -> bool:
    return scoping.has_perm_anywhere(user, OBLIGATIONS_CREATE)


def issuing_units(user) -> list[Organization]:
    """The organizations the user may issue letters and tasks from: those of their 'assign' grants."""
    ids = [g.organization_id for g in scoping.grants_of(user) if OBLIGATIONS_CREATE in g.permissions]
    return list(Organization.objects.filter(pk__in=ids).order_by("path"))


def summary_text(s: Summary) -> str:
    """The period's figures as one sentence for a speech or report (Chinese is the working language of the
    documents; the English interface gets an English sentence)."""
    from django.utils.translation import gettext

    return gettext(
        "From %(since)s to %(until)s: %(letters)d responsibility letters signed; %(tasks)d tasks issued, "
        "passed to units %(units)d times, completed on time %(on_time)d times, overdue %(late)d times; "
        "%(reminders)d supervision reminders sent."
    ) % {
        "since": s.since.isoformat(),
        "until": s.until.isoformat(),
        "letters": s.letters_signed,
        "tasks": s.tasks_issued,
        "units": s.assignments,
        "on_time": s.on_time,
        "late": s.late,
        "reminders": s.reminders,
    }
