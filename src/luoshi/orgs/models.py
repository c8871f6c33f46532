from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet
from luoshi.orgs.idcard import validate_national_id
from luoshi.orgs.tree import subtree_bounds


class OrgKind(models.TextChoices):
    DISTRICT = "district", _("District committee")
    STREET = "street", _("Street / town working committee")
    COMMUNITY = "community", _("Village / community organization")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Branch")


class OrganizationQuerySet(NoDeleteQuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def subtree(self, path: str):
        low, high = subtree_bounds(path)
        return self.filter(path__gte=low, path__lt=high)

    def visible_to(self, user):
        from luoshi.accounts.permissions import ORGS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, ORGS_VIEW))


class Organization(NoDeleteModel):
    """党组织 — a node of the tree: district committee, street working committee, village/community
    organization, general branch or branch. `path` is the materialized path (see orgs.tree)."""

    code = models.CharField(_("organization code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=120, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    children_count = models.PositiveIntegerField(default=0, editable=False)
    last_child_number = models.PositiveIntegerField(default=0, editable=False)
    holds_members = models.BooleanField(
        _("holds members"), default=False, help_text=_("Members' relationships may be kept here (branches).")
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["children_count", "last_child_number"])

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self):
        return self.name


class Person(NoDeleteModel):
    """人员 — a person who holds positions; may have a login (user)."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    name = models.CharField(_("name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    national_id = models.CharField(
        _("national ID"), max_length=18, blank=True, validators=[validate_national_id], db_index=True
    )
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.name


class PositionKind(models.TextChoices):
    SECRETARY = "secretary", _("Secretary (first responsible person)")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    ORGANIZATION_MEMBER = "organization_member", _("Organization committee member")
    PUBLICITY_MEMBER = "publicity_member", _("Publicity committee member")
    DISCIPLINE_MEMBER = "discipline_member", _("Discipline committee member")


class PositionQuerySet(NoDeleteQuerySet):
    def current(self, on: date | None = None):
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(
            models.Q(end_date__isnull=True) | models.Q(end_date__gt=on)
        )

    def visible_to(self, user):
        from luoshi.accounts.permissions import ORGS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, ORGS_VIEW, field="organization__path"))


class Position(NoDeleteModel):
    """职务 — a person holding a position in an organization over dated terms (书记 = first responsible person)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="positions", verbose_name=_("organization")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="positions", verbose_name=_("person")
    )
    kind = models.CharField(_("position"), max_length=30, choices=PositionKind.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    term = models.ForeignKey(
        "Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        verbose_name=_("term"),
    )
    history = HistoricalRecords()

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["organization_id", "kind", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(end_date__isnull=True, kind="secretary"),
                name="one_sitting_secretary_per_org",
            )
        ]

    def __str__(self):
        return f"{self.organization} {self.get_kind_display()} {self.person}"


class TermRule(NoDeleteModel):
    """换届 rule — how many years a term of an organization of this kind lasts (kept as data)."""

    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices, unique=True)
    years = models.PositiveSmallIntegerField(_("years per term"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("term rule")
        verbose_name_plural = _("term rules")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.years}"


class Term(NoDeleteModel):
    """届 — one term of office of an organization's committee; `renewal_due` is when the next election is due."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="terms", verbose_name=_("organization")
    )
    start_date = models.DateField(_("elected on"))
    renewal_due = models.DateField(_("renewal due"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["organization_id", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(ended_on__isnull=True),
                name="one_current_term_per_org",
            )
        ]

    def __str__(self):
        return f"{self.organization} {self.start_date:%Y-%m-%d}"
