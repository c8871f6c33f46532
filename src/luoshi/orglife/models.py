"""Organizational life (组织生活): the rules of how often each kind of meeting is due, the monthly fixed-activity-
day plans (主题党日 under the six unifications), and the meetings a branch records once — with attendance —
from which compliance, statistics, the sweep's "last organizational life" and the yearly archive are derived."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet


class MeetingKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", _("Branch general meeting (支部党员大会)")
    COMMITTEE_MEETING = "committee_meeting", _("Branch committee meeting (支委会)")
    GROUP_MEETING = "group_meeting", _("Party group meeting (党小组会)")
    PARTY_LECTURE = "party_lecture", _("Party lecture (党课)")
    THEME_DAY = "theme_day", _("Theme day (主题党日)")
    LIFE_MEETING = "life_meeting", _("Organizational life meeting (组织生活会)")
    DEMOCRATIC_EVALUATION = "democratic_evaluation", _("Democratic evaluation of members (民主评议党员)")


class Frequency(models.TextChoices):
    MONTH = "month", _("every month")
    QUARTER = "quarter", _("every quarter")
    HALF_YEAR = "half_year", _("every half year")
    YEAR = "year", _("every year")


class AgendaItem(models.TextChoices):
    """What a meeting held: the items a plan's standard (统一标准) may require."""

    COLLECTIVE_STUDY = "collective_study", _("Collective study (集中学习)")
    DUES_PAYMENT = "dues_payment", _("Dues payment (交纳党费)")
    SERVICE_ACTIVITY = "service_activity", _("Service activity (志愿服务)")
    OATH = "oath", _("Reviewing the oath (重温入党誓词)")
    DISCUSSION = "discussion", _("Discussion of branch affairs (议事)")
    LECTURE = "lecture", _("Party lecture (讲党课)")
    CRITICISM = "criticism", _("Criticism and self-criticism (批评与自我批评)")
    EVALUATION = "evaluation", _("Democratic evaluation (民主评议)")


class MeetingRuleQuerySet(NoDeleteQuerySet):
    def in_force(self, on):
        return self.filter(effective_from__lte=on).filter(
            models.Q(effective_until=None) | models.Q(effective_until__gte=on)
        )


class MeetingRule(NoDeleteModel):
    """How often a kind of meeting is due for the branches under `organization` (the district's rule, or a
    street's own stricter one: the rule of the nearest organization above a branch applies)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("applies under")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MeetingKind.choices)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    times = models.PositiveSmallIntegerField(_("times per period"), default=1)
    record_within_days = models.PositiveSmallIntegerField(
        _("days to record after the meeting"),
        default=7,
        help_text=_("A record made later is accepted and marked late with the time it was made."),
    )
    effective_from = models.DateField(_("in force from"))
    effective_until = models.DateField(_("in force until"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = MeetingRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting rule")
        verbose_name_plural = _("meeting rules")
        ordering = ["organization__path", "kind", "-effective_from"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_frequency_display()}"


class Organizer(models.TextChoices):
    SECRETARY = "secretary", _("The branch secretary, or the person they delegate (with the reason)")
    SECRETARY_IN_PERSON = "secretary_in_person", _("The branch secretary in person")


class PlanQuerySet(NoDeleteQuerySet):
    def published(self):
        return self.exclude(published_at=None)


class ThemeDayPlan(NoDeleteModel):
    """A month's fixed-activity-day plan (固定活动日) published by a district or street office for every branch
    under it: the window (统一时间), the theme and its materials (统一主题), the agenda items every branch must
    hold (统一标准), the supervisors (统一督导, PlanSupervisor) and who organizes (统一组织)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the plan's month."))
    window_start = models.DateField(_("window from"))
    window_end = models.DateField(_("window until"))
    theme = models.CharField(_("theme"), max_length=200)
    materials = models.TextField(_("reading materials"), blank=True)
    required_items = models.JSONField(_("required agenda items"), default=list)
    records_to_keep = models.CharField(_("records to keep"), max_length=300, blank=True)
    organizer = models.CharField(
        _("organized by"), max_length=30, choices=Organizer.choices, default=Organizer.SECRETARY
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("theme-day plan")
        verbose_name_plural = _("theme-day plans")
        ordering = ["-month", "organization__path"]

    def __str__(self):
        return f"{self.month:%Y-%m} · {self.theme}"

    def get_absolute_url(self):
        return reverse("orglife:plan", args=[self.pk])

    def in_window(self, day) -> bool:
        """Whether a theme day held on `day` meets the plan's time (统一时间)."""
        return self.window_start <= day <= self.window_end

    def required_labels(self) -> list[str]:
        labels = dict(AgendaItem.choices)
        return [str(labels.get(code, code)) for code in self.required_items]


class PlanSupervisor(NoDeleteModel):
    """统一督导: the supervisor assigned to a branch for a plan."""

    plan = models.ForeignKey(ThemeDayPlan, on_delete=models.PROTECT, related_name="supervisors")
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "branch"], name="one_supervisor_per_branch_plan")
        ]


class MeetingQuerySet(NoDeleteQuerySet):
    def held(self):
        return self.filter(withdrawn_at=None)

    def visible_to(self, user):
        """The one scoping function of meetings: those of branches under a grant of orgs.view."""
        from luoshi.accounts.permissions import ORGS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, ORGS_VIEW, field="branch__path"))


def _token() -> str:
    return secrets.token_urlsafe(12)


class Meeting(NoDeleteModel):
    """One meeting as the branch recorded it, once. A record made after the rule's recording window is kept
    with the time it was made and marked late (no silent back-filling). Withdrawn, never deleted."""

    branch = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MeetingKind.choices)
    plan = models.ForeignKey(
        ThemeDayPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("plan answered"),
    )
    starts_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    topic = models.CharField(_("topic"), max_length=200)
    agenda = models.JSONField(_("agenda items held"), default=list)
    record = models.TextField(_("record of what was decided"))
    presider = models.ForeignKey(
        "orgs.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presided by"),
    )
    delegation = models.CharField(_("delegated by the secretary because"), max_length=200, blank=True)
    omission_note = models.CharField(_("why a required item was not held"), max_length=300, blank=True)
    roll = models.PositiveIntegerField(_("members on the roll"), default=0, editable=False)
    present = models.PositiveIntegerField(_("present"), default=0, editable=False)
    absent = models.PositiveIntegerField(
        _("absent"), default=0, editable=False
    )  # present + absent: rows taken
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    late = models.BooleanField(_("recorded late"), default=False, editable=False)
    checkin_token = models.CharField(max_length=32, default=_token, unique=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.CharField(max_length=200, blank=True, editable=False)
    history = HistoricalRecords()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["branch", "kind", "starts_at"])]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d} {self.get_kind_display()} · {self.topic}"

    def get_absolute_url(self):
        return reverse("orglife:meeting", args=[self.pk])

    def agenda_labels(self) -> list[str]:
        labels = dict(AgendaItem.choices)
        return [str(labels.get(code, code)) for code in self.agenda]


class AbsenceReason(models.TextChoices):
    SICK = "sick", _("Sick")
    WORK = "work", _("Work")
    MOBILE = "mobile", _("Away (mobile member)")
    FAMILY = "family", _("Family matters")
    OTHER = "other", _("Other")
    UNEXCUSED = "unexcused", _("No reason given")


class Attendance(models.Model):
    """One member at one meeting: present, or absent with the reason. `confirmed_at` when the member confirmed
    it themselves (QR at the meeting) — never required, never scored."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"))
    reason = models.CharField(
        _("reason for absence"), max_length=12, choices=AbsenceReason.choices, blank=True
    )
    confirmed_at = models.DateTimeField(_("confirmed by the member at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")
        ]
        indexes = [models.Index(fields=["member", "present"])]

    def __str__(self):
        return f"{self.member} · {self.meeting}"


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the secretary's decision")
    ACCEPTED = "accepted", _("Accepted: marked present")
    KEPT = "kept", _("The secretary's record kept")


class CheckInConflictQuerySet(NoDeleteQuerySet):
    def open(self):
        return self.filter(status=ConflictStatus.OPEN, attendance__meeting__withdrawn_at=None)


class CheckInConflict(NoDeleteModel):
    """签到异议 — a member's own confirmation by QR (签到) that contradicts the secretary's record (recorded
    absent). Kept beside the record, which it changes only when the secretary accepts it; until then the
    attendance, the counts, the archive and the six unifications are the secretary's. One per attendance row:
    scanning again changes nothing."""

    attendance = models.OneToOneField(Attendance, on_delete=models.PROTECT, related_name="checkin_conflict")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_at = models.DateTimeField(_("confirmed by the member at"))
    status = models.CharField(
        _("status"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("the secretary's note"), max_length=300, blank=True)
    history = HistoricalRecords()

    objects = CheckInConflictQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in conflict")
        verbose_name_plural = _("check-in conflicts")
        ordering = ["confirmed_at"]

    def __str__(self):
        return f"{self.attendance} · {self.get_status_display()}"


class SupervisionVisit(NoDeleteModel):
    """统一督导: a supervisor's visit to a branch's theme day, against the plan's standard."""

    plan = models.ForeignKey(ThemeDayPlan, on_delete=models.PROTECT, related_name="visits")
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("visited on"))
    items_seen = models.JSONField(_("required items seen held"), default=list)
    notes = models.TextField(_("what the supervisor found"), blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-visited_on"]

    def __str__(self):
        return f"{self.visited_on} · {self.branch}"


class MeetingDue(NoDeleteModel):
    """A period that ended without the meetings a rule requires: the subject of the branch's obligation to
    hold them (closed when the meeting is recorded)."""

    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=MeetingKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    required = models.PositiveSmallIntegerField(default=1)
    held = models.PositiveSmallIntegerField(default=0)
    obligation = models.OneToOneField(
        "core.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "kind", "period_start"], name="one_due_per_branch_period"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"
