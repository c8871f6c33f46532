from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RecordsAreNotDeleted(Exception):
    """Domain records are closed or archived, never deleted: the trail must survive."""


class NoDeleteQuerySet(models.QuerySet):
    def delete(self):
        raise RecordsAreNotDeleted(f"{self.model.__name__} rows are archived, not deleted")


class NoDeleteModel(models.Model):
    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise RecordsAreNotDeleted(f"{type(self).__name__} rows are archived, not deleted")


# --- Evidence attachments -------------------------------------------------------------------------------


class Blob(NoDeleteModel):
    """The bytes of an upload, stored once under their SHA-256 (var/media/ab/abcdef...)."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.sha256


class Attachment(NoDeleteModel):
    """证据附件 — one upload attached to a record, with who uploaded it and when."""

    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # what a photo says of itself (EXIF): when it was taken and where, read at upload; the file keeps it too
    meta = models.JSONField(_("photo metadata"), default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self):
        return self.filename


class ProtectedRead(models.Model):
    """查阅记录 — one read of a protected record (a reporter's identity, a member's ID): who, when, why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=40)
    field = models.CharField(max_length=60, blank=True)
    purpose = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("protected read")
        verbose_name_plural = _("protected reads")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self):
        return f"{self.user} {self.at:%Y-%m-%d %H:%M} {self.field}"

    def delete(self, *args, **kwargs):
        raise RecordsAreNotDeleted("the read log is append-only")


# --- Obligations and escalation ---------------------------------------------------------------------------


class StepAction(models.TextChoices):
    REMIND = "remind", _("Reminder")
    WARN = "warn", _("Overdue warning")
    CIRCULAR = "circular", _("Circular (通报)")
    NAMED_CRITICISM = "named_criticism", _("Named criticism (点名批评)")
    ADMONISHMENT = "admonishment", _("Admonishment talk (诫勉谈话)")
    ACCOUNTABILITY = "accountability", _("Accountability (问责)")

    @classmethod
    def automatic(cls):
        return {cls.REMIND, cls.WARN}


class EscalationPolicy(NoDeleteModel):
    """督办规则 — the ladder for one kind of obligation. Modules declare kinds and default ladders in code
    (core.obligations.register_kind); the rows are data that a district admin may edit."""

    kind = models.CharField(_("kind"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    manual_completion = models.BooleanField(
        _("the unit reports it done"),
        default=False,
        help_text=_("Otherwise the owning module marks it done when its record is finished."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self):
        return str(_(self.name))


class EscalationStep(NoDeleteModel):
    """One rung of a ladder: an action taken `offset_days` after the due date (negative = before)."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    offset_days = models.SmallIntegerField(_("days after the due date"))
    action = models.CharField(_("action"), max_length=30, choices=StepAction.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["policy_id", "order"]
        constraints = [models.UniqueConstraint(fields=["policy", "order"], name="one_step_per_order")]

    def __str__(self):
        return f"{self.get_action_display()} {self.offset_days:+d}"

    @property
    def is_proposal(self):
        return self.action not in StepAction.automatic()


class ObligationState(models.TextChoices):
    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Escalated")
    SUBMITTED = "submitted", _("Awaiting acceptance")
    DONE = "done", _("Done")
    WAIVED = "waived", _("Waived")


ACTIVE_STATES = (ObligationState.OPEN, ObligationState.OVERDUE, ObligationState.ESCALATED)
# Not yet closed: the active states, plus a report waiting for the superior's acceptance (the ladder holds,
# since the unit has done its part; a return puts it back where it was).
UNCLOSED_STATES = (*ACTIVE_STATES, ObligationState.SUBMITTED)


class ObligationQuerySet(NoDeleteQuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_STATES)

    def overdue(self, today=None):
        """Past due and not finished (whether or not the sweep has marked it yet)."""
        today = today or timezone.localdate()
        return self.active().filter(due_date__lt=today)

    def due_soon(self, today=None, days: int = 7):
        today = today or timezone.localdate()
        return self.active().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))

    def visible_to(self, user):
        from luoshi.accounts.permissions import OBLIGATIONS_VIEW
        from luoshi.accounts.scoping import scope_q

        q = scope_q(user, OBLIGATIONS_VIEW, field="organization__path")
        if getattr(user, "is_authenticated", False):
            # A person always sees what they are personally responsible for.
            q |= models.Q(responsible__user_id=user.pk)
        return self.filter(q)


class Obligation(NoDeleteModel):
    """督办事项 — something an organization owes by a date: subject record, owning unit, responsible person,
    due date, state. The sweep (core.obligations.obligation_sweep) moves it along its kind's ladder."""

    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.PROTECT, related_name="obligations", verbose_name=_("kind")
    )
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="obligations",
        verbose_name=_("owning unit"),
    )
    responsible = models.ForeignKey(
        "orgs.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
        verbose_name=_("responsible person"),
    )
    due_date = models.DateField(_("due date"), db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=ObligationState.choices, default="open")
    last_step_order = models.PositiveSmallIntegerField(default=0, editable=False)
    next_action_on = models.DateField(null=True, blank=True, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_note = models.TextField(_("closing note"), blank=True)
    history = HistoricalRecords(excluded_fields=["next_action_on"])

    objects = ObligationQuerySet.as_manager()

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["state", "next_action_on"]),
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]

    def __str__(self):
        return self.title

    @property
    def is_active(self):
        """On its ladder: open, overdue or escalated."""
        return self.state in ACTIVE_STATES

    @property
    def is_unclosed(self):
        return self.state in UNCLOSED_STATES


class EscalationStatus(models.TextChoices):
    APPLIED = "applied", _("Sent")
    PROPOSED = "proposed", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn (obligation waived)")


class Escalation(NoDeleteModel):
    """预警 / 督办升级 — one rung of the ladder reached by one obligation. Reminders and warnings are applied
    by the sweep; a proposed consequence waits for a person to confirm or dismiss it, with a reason."""

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="escalations")
    step_order = models.PositiveSmallIntegerField()
    action = models.CharField(_("action"), max_length=30, choices=StepAction.choices)
    scheduled_on = models.DateField(_("scheduled on"))
    status = models.CharField(_("status"), max_length=12, choices=EscalationStatus.choices)
    created_at = models.DateTimeField(_("reached at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["obligation_id", "step_order"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "step_order"], name="one_escalation_per_step")
        ]
        indexes = [models.Index(fields=["status", "obligation"])]

    def __str__(self):
        return f"{self.obligation} · {self.get_action_display()}"


class Notification(models.Model):
    """消息 — an inbox entry; e-mail and the group-robot webhook are sent from it by the task queue."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    obligation = models.ForeignKey(
        Obligation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title
