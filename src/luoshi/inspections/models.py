"""Inspections (检查): standards as versioned scored checklists, inspections (routine, surprise, covert) with
their team and targets, visits item by item, findings and their rectification (整改).

Secrecy of surprise and covert inspections: the plan, its targets and its visits are visible only to its team
and its approving leader, until a target's visit is recorded; from then on that visit — and only it — is
visible to those who see the target organization (`Visit.objects.visible_to`)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet


def _view_q(user, field: str) -> Q:
    from luoshi.accounts.permissions import OBLIGATIONS_VIEW
    from luoshi.accounts.scoping import scope_q

    return scope_q(user, OBLIGATIONS_VIEW, field=field)


# --- Standards ---------------------------------------------------------------------------------------------


class Standard(NoDeleteModel):
    """标准 — one version of a scored checklist. A new version is a new row with the same code; a version used
    by an inspection never changes (`is_locked`)."""

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    pass_score = models.DecimalField(
        _("passing score"), max_digits=5, decimal_places=1, default=Decimal("80")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="one_standard_version")]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def get_absolute_url(self):
        return reverse("inspections:standard", args=[self.pk])

    @property
    def is_locked(self):
        return self.inspections.exists()


class StandardSection(NoDeleteModel):
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="sections")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(_("section"), max_length=200)

    class Meta:
        ordering = ["standard_id", "order"]

    def __str__(self):
        return self.title


class Scoring(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass or fail")
    POINTS = "points", _("Points from 0 to a maximum")
    THRESHOLD = "threshold", _("A number against a threshold")


class StandardItem(NoDeleteModel):
    """检查项 — one item: how it is scored, its weight, and what a failure requires."""

    section = models.ForeignKey(StandardSection, on_delete=models.PROTECT, related_name="items")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(_("item code"), max_length=20)
    text = models.TextField(_("item"))
    scoring = models.CharField(_("scoring"), max_length=10, choices=Scoring.choices)
    max_points = models.PositiveSmallIntegerField(_("maximum points"), null=True, blank=True)
    pass_points = models.PositiveSmallIntegerField(_("points to pass"), null=True, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=12, decimal_places=2, null=True, blank=True)
    at_least = models.BooleanField(_("the number must be at least the threshold"), default=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=1, default=Decimal("1"))
    failure_is_finding = models.BooleanField(_("a failure is a finding"), default=True)
    note_on_failure = models.BooleanField(_("a note is required on failure"), default=False)
    photo_on_failure = models.BooleanField(_("a photo is required on failure"), default=False)

    class Meta:
        ordering = ["section_id", "order"]

    def __str__(self):
        return f"{self.code} {self.text[:40]}"


# --- Inspections ---------------------------------------------------------------------------------------------


class InspectionKind(models.TextChoices):
    ROUTINE = "routine", _("Routine inspection")
    SURPRISE = "surprise", _("Surprise inspection (突击检查)")
    COVERT = "covert", _("Covert visit (暗访)")


SECRET_KINDS = (InspectionKind.SURPRISE, InspectionKind.COVERT)


def _insiders_q(user, field: str) -> Q:
    """Rows whose inspection (`field`: its id) the user is inside of: on the team, the approving leader, or
    whoever planned it (they know of it already). Subqueries rather than joins, so no row comes twice."""
    team = InspectionTeam.objects.filter(user_id=user.pk).values("inspection_id")
    own = Inspection.objects.filter(Q(approver_id=user.pk) | Q(created_by_id=user.pk)).values("pk")
    return Q(**{f"{field}__in": team}) | Q(**{f"{field}__in": own})


class InspectionQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """Routine: whoever sees the organizing office or a target. Surprise and covert: the team and the
        approving leader only; a target learns of its own visit through the visit, not the plan."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        routine = Q(kind=InspectionKind.ROUTINE) & (
            _view_q(user, "organization__path")
            | Q(
                pk__in=InspectionTarget.objects.filter(_view_q(user, "organization__path")).values(
                    "inspection_id"
                )
            )
        )
        return self.filter(_insiders_q(user, "pk") | routine)


class Inspection(NoDeleteModel):
    """检查 — a plan: kind, standard (a fixed version), targets, team, approving leader, window."""

    kind = models.CharField(_("kind"), max_length=10, choices=InspectionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("standard")
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organized by")
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approving leader"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("inspections:inspection", args=[self.pk])

    @property
    def is_secret(self):
        return self.kind in SECRET_KINDS


class InspectionTeam(NoDeleteModel):
    """检查组 — one member of an inspection's team."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    leader = models.BooleanField(_("team leader"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspection", "user"], name="one_seat_per_member")]


class InspectionTarget(NoDeleteModel):
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="targets")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inspection", "organization"], name="one_target_per_organization")
        ]


# --- Visits ------------------------------------------------------------------------------------------------


class VisitQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """The inspection's insiders always; those who see the visited organization once it is recorded."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        recorded = Q(submitted_at__isnull=False) & _view_q(user, "organization__path")
        return self.filter(_insiders_q(user, "inspection_id") | recorded)


class Visit(NoDeleteModel):
    """检查记录 — one visit to one target, answered item by item. Submitted, it is never edited, only
    amended with a recorded reason (VisitAmendment)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="visits")
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organization visited"),
    )
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("visited at"))
    summary = models.TextField(_("summary"), blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    submitted_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["organization", "submitted_at"])]

    def __str__(self):
        return f"{self.inspection} · {self.organization}"

    def get_absolute_url(self):
        return reverse("inspections:visit", args=[self.pk])


class Answer(NoDeleteModel):
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="answers")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("answer"), max_digits=12, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    points = models.DecimalField(max_digits=7, decimal_places=3)  # weight × fraction earned
    failed = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["visit_id", "item__section__order", "item__order"]
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="one_answer_per_item")]


class VisitAmendment(NoDeleteModel):
    """更正 — a change to a recorded visit, with its reason; the visit's history keeps the before and after."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="amendments")
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["visit_id", "at"]


# --- Findings and rectification -----------------------------------------------------------------------------


class FindingQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        return self.filter(
            Q(visit__in=Visit.objects.visible_to(user))
            | Q(visit__isnull=True) & _view_q(user, "organization__path")
        )


class Finding(NoDeleteModel):
    """问题 — what an inspection found wrong: from a failed item, or added by hand."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="findings")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    description = models.TextField(_("finding"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.description[:60]

    def get_absolute_url(self):
        return reverse("inspections:finding", args=[self.pk])


class RectificationQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        return self.filter(finding__in=Finding.objects.visible_to(user))


class Rectification(NoDeleteModel):
    """整改 — the order to put a finding right: the responsible organization and person, the deadline and the
    evidence required. Its obligation climbs the full ladder up to a proposed accountability."""

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="rectification")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    responsible = models.ForeignKey(
        "orgs.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    deadline = models.DateField(_("deadline"))
    evidence_required = models.CharField(_("evidence required"), max_length=300)
    obligation = models.OneToOneField("core.Obligation", on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_time = models.BooleanField(_("rectified on time"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "id"]

    def __str__(self):
        return f"{self.finding} · {self.organization}"

    def get_absolute_url(self):
        return reverse("inspections:rectification", args=[self.pk])


class RectificationReport(NoDeleteModel):
    """The unit's report of what it put right (with evidence), or the team's acceptance or return."""

    class Type(models.TextChoices):
        REPORT = "report", _("Rectification reported")
        ACCEPTED = "accepted", _("Verified and accepted")
        RETURNED = "returned", _("Returned")

    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="reports")
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    text = models.TextField(_("report"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rectification_id", "at", "id"]
