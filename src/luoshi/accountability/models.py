"""Accountability (问责): circulars, named criticism, talks and accountability decisions, each with who decided,
its basis (findings, the escalation that proposed it), the person's own statement, and its place in the four
forms (四种形态). The records are what offices count and what the generated documents are written from."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet


class FourForms(models.TextChoices):
    FORM_1 = "form_1", _("First form: criticism and education, talks, inquiries (第一种形态)")
    FORM_2 = "form_2", _("Second form: light sanctions and organizational adjustment (第二种形态)")
    FORM_3 = "form_3", _("Third form: heavy sanctions and major job adjustment (第三种形态)")
    FORM_4 = "form_4", _("Fourth form: case filing for serious violations (第四种形态)")


class ScopedQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        from luoshi.accounts.permissions import OBLIGATIONS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, OBLIGATIONS_VIEW, field="organization__path"))


class Circular(NoDeleteModel):
    """通报 — a circular about one organization's failings, internal or public, generated as a document."""

    title = models.CharField(_("title"), max_length=200)
    public = models.BooleanField(_("public circular (公开通报)"), default=False)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit named")
    )
    issuer = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    persons_named = models.CharField(_("persons named"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    requirement = models.TextField(_("what is required"), blank=True)
    escalation = models.ForeignKey(
        "core.Escalation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    form = models.CharField(
        _("four forms"), max_length=10, choices=FourForms.choices, default=FourForms.FORM_1
    )
    issued_on = models.DateField(_("issued on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")
        ordering = ["-issued_on", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("accountability:circular", args=[self.pk])


class CircularBasis(NoDeleteModel):
    """One finding a circular rests on, with its rectification deadline as it stood."""

    circular = models.ForeignKey(Circular, on_delete=models.PROTECT, related_name="basis")
    finding = models.ForeignKey("inspections.Finding", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["circular", "finding"], name="one_basis_per_finding")]


class TalkKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder talk (提醒谈话)")
    INDIVIDUAL = "individual", _("Individual talk (约谈)")
    COLLECTIVE = "collective", _("Collective talk (集体约谈)")
    ADMONISHMENT = "admonishment", _("Admonishment talk (诫勉谈话)")


class Talk(NoDeleteModel):
    """谈话 — who was talked to, by whom, why, what they said (their statement), and what form it counts as."""

    kind = models.CharField(_("kind"), max_length=12, choices=TalkKind.choices)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    persons = models.CharField(_("persons talked to"), max_length=300)
    persons_count = models.PositiveSmallIntegerField(_("number of persons"), default=1)
    held_on = models.DateField(_("held on"))
    talker = models.CharField(_("talked to by"), max_length=100)
    basis = models.TextField(_("basis"))
    record = models.TextField(_("record of the talk"))
    statement = models.TextField(_("the person's own statement"), blank=True)
    escalation = models.ForeignKey(
        "core.Escalation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    form = models.CharField(
        _("four forms"), max_length=10, choices=FourForms.choices, default=FourForms.FORM_1
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("talk")
        verbose_name_plural = _("talks")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.persons}"


class DecisionKind(models.TextChoices):
    NAMED_CRITICISM = "named_criticism", _("Named criticism (点名批评)")
    ACCOUNTABILITY = "accountability", _("Accountability decision (问责)")


class Decision(NoDeleteModel):
    """点名批评 / 问责决定 — a decision about a unit or persons: who decided, on what basis (a confirmed proposal of
    the ladder when it carries one out), the persons' own statement, and its place in the four forms."""

    kind = models.CharField(_("kind"), max_length=20, choices=DecisionKind.choices)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    persons = models.CharField(_("persons concerned"), max_length=300, blank=True)
    basis = models.TextField(_("basis"))
    decision = models.TextField(_("decision"))
    statement = models.TextField(_("the person's own statement"), blank=True)
    decided_on = models.DateField(_("decided on"))
    escalation = models.ForeignKey(
        "core.Escalation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    form = models.CharField(
        _("four forms"), max_length=10, choices=FourForms.choices, default=FourForms.FORM_1
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.organization}"
