"""Responsibility letters (责任状) and the task cascade (工作要点, 任务分解, 一级抓一级).

A letter is drafted by an office, issued to the secretaries of chosen organizations (one `LetterCopy` each)
and signed in the app; each target of a signed copy is a `TargetProgress` with its own obligation.

A work plan holds tasks; a task is sent to organizations (one `Assignment` each, with its obligation). A
receiving organization may split its assignment into a child task for its own subordinates: the child task
points at the assignment it splits (`parent_assignment`), every task and assignment of one cascade points at
its top task (`root`), so "everything this task reached" is one indexed query.

The state of an assignment is not stored twice: the obligation holds open / awaiting acceptance / done /
waived, the assignment holds when it last reported (see `AssignmentQuerySet.with_node_state`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import ACTIVE_STATES, NoDeleteModel, NoDeleteQuerySet, ObligationState


def _scoped(qs, user, field: str):
    from luoshi.accounts.permissions import OBLIGATIONS_VIEW
    from luoshi.accounts.scoping import scope_q

    return qs.filter(scope_q(user, OBLIGATIONS_VIEW, field=field))


# --- Responsibility letters ------------------------------------------------------------------------------


class LetterQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """The issuer's side sees its letters; a signatory sees the letters sent to it."""
        from luoshi.accounts.permissions import OBLIGATIONS_VIEW
        from luoshi.accounts.scoping import scope_q

        issued = scope_q(user, OBLIGATIONS_VIEW, field="issuer__path")
        received = Q(
            pk__in=LetterCopy.objects.visible_to(user).filter(issued_at__isnull=False).values("letter_id")
        )
        return self.filter(issued | received)


class Letter(NoDeleteModel):
    """党风廉政建设目标管理责任状 — a letter for one year, drafted by an office and issued to secretaries."""

    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    preamble = models.TextField(_("preamble"), blank=True)
    issuer = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    sign_by = models.DateField(_("sign by"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsibility letter")
        verbose_name_plural = _("responsibility letters")
        ordering = ["-year", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("duty:letter", args=[self.pk])

    @property
    def is_draft(self):
        return self.issued_at is None


class TargetCategory(models.TextChoices):
    PRINCIPAL = "principal", _("Principal responsibility (主体责任)")
    SUPERVISORY = "supervisory", _("Supervisory responsibility (监督责任)")


class LetterTarget(NoDeleteModel):
    """目标项 — one target of a letter: what, which responsibility, how completion is measured, weight, date,
    and whether it is a red line whose breach vetoes the year's assessment (一票否决)."""

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="targets")
    order = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("target"))
    category = models.CharField(_("category"), max_length=12, choices=TargetCategory.choices)
    measure = models.CharField(_("measure of completion"), max_length=300)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=1)
    due_date = models.DateField(_("due date"))
    red_line = models.BooleanField(_("red line (veto)"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("letter target")
        verbose_name_plural = _("letter targets")
        ordering = ["letter_id", "order"]
        constraints = [models.UniqueConstraint(fields=["letter", "order"], name="one_target_per_number")]

    def __str__(self):
        return f"{self.order}. {self.text[:40]}"


class LetterCopyQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organization__path")


class LetterCopy(NoDeleteModel):
    """One organization's copy of a letter. Signing is a recorded act: who (the sitting secretary, through
    their own login), when, and from which address and browser — not an image of a signature."""

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="copies")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    signing_obligation = models.OneToOneField(
        "core.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signatory = models.ForeignKey(
        "orgs.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_from = models.CharField(_("signed from"), max_length=300, blank=True)
    history = HistoricalRecords()

    objects = LetterCopyQuerySet.as_manager()

    class Meta:
        verbose_name = _("letter copy")
        verbose_name_plural = _("letter copies")
        ordering = ["letter_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "organization"], name="one_copy_per_organization")
        ]

    def __str__(self):
        return f"{self.letter} · {self.organization}"

    def get_absolute_url(self):
        return reverse("duty:copy", args=[self.pk])

    @property
    def is_signed(self):
        return self.signed_at is not None


class TargetStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    MET = "met", _("Met")
    BREACHED = "breached", _("Red line breached")


class TargetProgressQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "copy__organization__path")


class TargetProgress(NoDeleteModel):
    """One target as one signatory carries it out: status, a short report, evidence, and its obligation."""

    copy = models.ForeignKey(LetterCopy, on_delete=models.PROTECT, related_name="progress")
    target = models.ForeignKey(LetterTarget, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(
        _("status"), max_length=12, choices=TargetStatus.choices, default=TargetStatus.NOT_STARTED
    )
    report = models.TextField(_("report"), blank=True)
    obligation = models.OneToOneField(
        "core.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = TargetProgressQuerySet.as_manager()

    class Meta:
        verbose_name = _("target progress")
        verbose_name_plural = _("target progress")
        ordering = ["copy_id", "id"]
        constraints = [models.UniqueConstraint(fields=["copy", "target"], name="one_progress_per_target")]

    def __str__(self):
        return f"{self.copy.organization} · {self.target}"

    def get_absolute_url(self):
        return reverse("duty:progress", args=[self.pk])


# --- Work plans and the task cascade ---------------------------------------------------------------------


class WorkPlanQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """The issuing side sees its plans; a receiving unit sees the plans with tasks sent to it."""
        from luoshi.accounts.permissions import OBLIGATIONS_VIEW
        from luoshi.accounts.scoping import scope_q

        issued = scope_q(user, OBLIGATIONS_VIEW, field="organization__path")
        received = Q(pk__in=Assignment.objects.visible_to(user).values("task__plan_id"))
        return self.filter(issued | received)


class WorkPlan(NoDeleteModel):
    """工作要点 — a year's work plan of an office, entered as tasks or imported from Excel."""

    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = WorkPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["-year", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("duty:plan", args=[self.pk])


class ReportKind(models.TextChoices):
    TEXT = "text", _("Free text")
    NUMBER = "number", _("A number with a unit")
    CHECKLIST = "checklist", _("A checklist")


class TaskQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """The issuing side sees its tasks; a receiving unit sees the tasks sent to it."""
        from luoshi.accounts.permissions import OBLIGATIONS_VIEW
        from luoshi.accounts.scoping import scope_q

        issued = scope_q(user, OBLIGATIONS_VIEW, field="organization__path")
        received = Q(pk__in=Assignment.objects.visible_to(user).values("task_id"))
        return self.filter(issued | received)


class Task(NoDeleteModel):
    """任务 — one task of a plan, or a child task into which a unit split its own assignment."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("plan"))
    root = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    parent_assignment = models.ForeignKey(
        "Assignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="child_tasks",
        verbose_name=_("split from"),
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    number = models.PositiveSmallIntegerField(_("number"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lead_office = models.CharField(_("lead office"), max_length=100, blank=True)
    deadline = models.DateField(_("deadline"))
    report_kind = models.CharField(
        _("required report"), max_length=10, choices=ReportKind.choices, default=ReportKind.TEXT
    )
    unit = models.CharField(_("unit of the number"), max_length=20, blank=True)
    checklist = models.JSONField(_("checklist items"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["plan_id", "number", "id"]
        indexes = [models.Index(fields=["root"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("duty:task", args=[self.pk])

    @property
    def root_id_or_self(self):
        return self.root_id or self.pk


class NodeState(models.TextChoices):
    """An assignment's state as the cascade view shows it, derived from its obligation and its reports."""

    SILENT = "silent", _("Silent (no report at all)")
    OVERDUE = "overdue", _("Overdue")
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING = "awaiting", _("Awaiting acceptance")
    DONE = "done", _("Done")
    WAIVED = "waived", _("Withdrawn")


def _node_state_rules(today) -> list:
    """(condition, state) in the order they decide; the first that holds is the state."""
    unclosed_late = Q(obligation__state__in=ACTIVE_STATES, deadline__lt=today)
    return [
        (Q(obligation__state=ObligationState.DONE), NodeState.DONE),
        (Q(obligation__state=ObligationState.WAIVED), NodeState.WAIVED),
        (Q(obligation__state=ObligationState.SUBMITTED), NodeState.AWAITING),
        (unclosed_late & Q(last_report_at__isnull=True, split=False), NodeState.SILENT),
        (unclosed_late, NodeState.OVERDUE),
        # passing the task down to one's subordinates is a start, even before one's own first report
        (Q(last_report_at__isnull=True, split=False), NodeState.NOT_STARTED),
    ]


# Overdue and silent units first, then the rest in the order a follow-up needs them.
URGENCY = [
    NodeState.SILENT,
    NodeState.OVERDUE,
    NodeState.AWAITING,
    NodeState.IN_PROGRESS,
    NodeState.NOT_STARTED,
    NodeState.DONE,
    NodeState.WAIVED,
]


def node_state_case(today):
    """The NodeState of each assignment as an SQL expression, so lists filter and sort on it."""
    return Case(
        *[When(condition, then=Value(state)) for condition, state in _node_state_rules(today)],
        default=Value(NodeState.IN_PROGRESS),
        output_field=models.CharField(),
    )


def urgency_case(today):
    """The same rules giving each state's rank in URGENCY (written out rather than nested on the state
    expression, which would repeat it in the SQL once per rank)."""
    return Case(
        *[When(condition, then=Value(URGENCY.index(state))) for condition, state in _node_state_rules(today)],
        default=Value(URGENCY.index(NodeState.IN_PROGRESS)),
        output_field=models.IntegerField(),
    )


class AssignmentQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organization__path")

    def with_node_state(self, today=None):
        today = today or timezone.localdate()
        return self.annotate(node_state=node_state_case(today), urgency=urgency_case(today))


class Assignment(NoDeleteModel):
    """任务分派 — a task sent to one organization, owed by the deadline; its obligation climbs the ladder.
    `deadline` and `root` are copied from the task so the cascade and ledger filter without joins."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="assignments")
    root = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="+", editable=False)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    deadline = models.DateField(_("deadline"))
    obligation = models.OneToOneField("core.Obligation", on_delete=models.PROTECT, related_name="+")
    split = models.BooleanField(_("split to subordinates"), default=False)
    children_total = models.PositiveIntegerField(default=0, editable=False)
    children_done = models.PositiveIntegerField(default=0, editable=False)
    last_report_at = models.DateTimeField(_("last report"), null=True, blank=True)
    last_report_text = models.CharField(_("last report"), max_length=200, blank=True)
    submitted_on = models.DateField(_("reported complete on"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_time = models.BooleanField(_("done on time"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["children_total", "children_done"])

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["root_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "organization"], name="one_assignment_per_unit")
        ]
        indexes = [models.Index(fields=["root", "organization"])]

    def __str__(self):
        return f"{self.task} · {self.organization}"

    def get_absolute_url(self):
        return reverse("duty:assignment", args=[self.pk])

    @property
    def progress_percent(self):
        if not self.children_total:
            return None
        return round(100 * self.children_done / self.children_total)


class ReportType(models.TextChoices):
    PROGRESS = "progress", _("Progress report")
    COMPLETION = "completion", _("Completion request")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


class Report(NoDeleteModel):
    """进展报告 — one entry of an assignment's record: a unit's progress or completion request, or the
    assigner's acceptance or return with its reason. Evidence files attach to it."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="reports")
    type = models.CharField(_("type"), max_length=12, choices=ReportType.choices)
    text = models.TextField(_("report"), blank=True)
    number = models.DecimalField(_("figure"), max_digits=14, decimal_places=2, null=True, blank=True)
    checked = models.JSONField(_("items done"), default=list, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["assignment_id", "at", "id"]

    def __str__(self):
        return f"{self.get_type_display()} {self.at:%Y-%m-%d}"
