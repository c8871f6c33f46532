"""Assessment (考核): schemes of weighted indicators per year and kind of organization, runs that score every
organization of the kind from the records (a snapshot), publication, appeals (申诉) and award eligibility
(评先评优).

Organizations are ranked, never persons, and never by app activity (logins, clicks, study time, photos): the
sources an indicator may use are records of work done (see luoshi.core.indicators)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel

MANUAL = "manual"


class Scheme(NoDeleteModel):
    """考核方案 — one version of a year's indicator tree for one kind of organization. A version with a run
    never changes; loading the same code again makes the next version."""

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("organizations assessed"), max_length=12)
    issuer = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("assessing office")
    )
    total = models.DecimalField(_("total points"), max_digits=6, decimal_places=2, default=Decimal("100"))
    veto_cap = models.CharField(_("grade at most, on a veto"), max_length=20)
    source_text = models.TextField(_("the scheme as loaded (YAML)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-year", "code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="one_scheme_version")]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def get_absolute_url(self):
        return reverse("assessment:scheme", args=[self.pk])


class Indicator(NoDeleteModel):
    """指标 — a node of the tree. A leaf has a source (or `manual`); a parent's weight is the sum of its
    children's. A veto indicator (red line) earns nothing when breached and caps the grade."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="indicators")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=60, blank=True)
    params = models.JSONField(_("source options"), default=dict, blank=True)
    per_item = models.DecimalField(
        _("points deducted per item"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    veto = models.BooleanField(_("red line (veto)"), default=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="one_indicator_code")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_leaf(self):
        return bool(self.source)

    def params_display(self) -> str:
        """The source's options as people know them ("检查标准：… · 含下级单位"), never the raw codes."""
        from luoshi.core.indicators import source_get

        source = source_get(self.source)
        phrases = source.params_text(self.params or {}) if source else []
        return " · ".join(phrases)


class GradeBand(NoDeleteModel):
    """等次 — a grade from a minimum total (好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60, 差), best first."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="bands")
    name = models.CharField(_("grade"), max_length=20)
    minimum = models.DecimalField(_("from total"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scheme", "order"]


class ManualScore(NoDeleteModel):
    """A score the assessing office enters (民主评议, 述职评议) with its reason and evidence; the newest entry per
    scheme, indicator and organization counts. Changes are kept in history."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "organization"], name="one_manual_score")]


class Disclosure(models.TextChoices):
    OWN = "own", _("Each unit sees its own result only")
    RANKS = "ranks", _("Each unit also sees its peers' grades and ranks")
    FULL = "full", _("Each unit sees the whole table")


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class Run(NoDeleteModel):
    """考核结果 — every organization of the scheme's kind scored for a period: a snapshot. A later run of the
    same scheme and period is a new run (its differences are shown); an upheld appeal publishes a new version
    that supersedes the one appealed."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="runs")
    since = models.DateField(_("from"))
    until = models.DateField(_("until"))
    number = models.PositiveSmallIntegerField(_("run"), default=1)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("based on")
    )
    status = models.CharField(_("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.DRAFT)
    disclosure = models.CharField(
        _("what units see"), max_length=8, choices=Disclosure.choices, default=Disclosure.RANKS
    )
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seconds = models.FloatField(_("time to compute (s)"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appeal_until = models.DateField(_("appeals until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        ordering = ["-computed_at", "-id"]

    def __str__(self):
        return f"{self.scheme.name} · {self.since}–{self.until} · #{self.number}.{self.version}"

    def get_absolute_url(self):
        return reverse("assessment:run", args=[self.pk])


class Result(NoDeleteModel):
    """One organization in one run: the points per indicator (`scores`: code → [points, num, den, note]),
    total, grade, veto, and rank among its peers (all of the kind in the scheme's scope; ties share a rank)."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="results")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=20)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    rank = models.PositiveIntegerField(_("rank"))
    scores = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "rank", "organization_id"]
        constraints = [models.UniqueConstraint(fields=["run", "organization"], name="one_result_per_run")]

    def get_absolute_url(self):
        return reverse("assessment:result", args=[self.pk])


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Appeal(NoDeleteModel):
    """申诉 — a unit contests one indicator of its published result, with evidence, within the window. The office
    decides with a reason; an upheld appeal sets new points and publishes a new version."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="appeals")
    indicator_code = models.CharField(_("indicator"), max_length=20)
    text = models.TextField(_("grounds"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason for the decision"), blank=True)
    new_points = models.DecimalField(_("new points"), max_digits=6, decimal_places=2, null=True, blank=True)
    new_run = models.ForeignKey(Run, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    obligation = models.OneToOneField(
        "core.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-filed_at"]

    def get_absolute_url(self):
        return reverse("assessment:appeal", args=[self.pk])


class AwardRule(NoDeleteModel):
    """评先评优 — a named award and its conditions as data, e.g. [{"check": "grade_at_least", "grade": "好"},
    {"check": "no_veto"}, {"check": "no_admonishment_talk"}, {"check": "no_overdue_rectification"}]."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="awards")
    name = models.CharField(_("award"), max_length=100)
    conditions = models.JSONField(default=list)
    for_secretaries = models.BooleanField(_("also for each unit's secretary"), default=False)

    class Meta:
        ordering = ["scheme", "id"]

    def __str__(self):
        return self.name
