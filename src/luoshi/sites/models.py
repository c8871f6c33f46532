"""Service centers (党群服务中心): the registry of each village/community center, its construction project with
dated milestones (each an obligation), and its acceptance (验收) as an inspection against the center standard."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet


class ServiceOffering(NoDeleteModel):
    """One entry of the configurable catalogue of services a center may offer (便民服务事项)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service offered")
        verbose_name_plural = _("services offered")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CenterQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        from luoshi.accounts.permissions import ORGS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, ORGS_VIEW, field="organization__path"))


class ServiceCenter(NoDeleteModel):
    """党群服务中心 — one per village/community organization."""

    organization = models.OneToOneField(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="service_center",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=200)
    area_m2 = models.PositiveIntegerField(_("floor area (m²)"))
    opening_hours = models.CharField(_("opening hours"), max_length=120)
    staff_count = models.PositiveSmallIntegerField(_("full-time staff"))
    services = models.ManyToManyField(
        ServiceOffering, blank=True, related_name="centers", verbose_name=_("services")
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[services])

    objects = CenterQuerySet.as_manager()

    class Meta:
        verbose_name = _("service center")
        verbose_name_plural = _("service centers")
        ordering = ["organization__path"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("sites:center", args=[self.pk])


class ComplianceProject(NoDeleteModel):
    """达标建设 — bringing one center up to the standard by a deadline, through dated milestones, closed by an
    acceptance visit that passes the center standard."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=200)
    deadline = models.DateField(_("deadline"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    acceptance_visit = models.ForeignKey(
        "inspections.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")
        ordering = ["deadline", "id"]

    def __str__(self):
        return self.title


class Milestone(NoDeleteModel):
    project = models.ForeignKey(ComplianceProject, on_delete=models.PROTECT, related_name="milestones")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due date"))
    obligation = models.OneToOneField("core.Obligation", on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project_id", "order"]

    def __str__(self):
        return self.title
