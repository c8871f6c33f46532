from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet


class User(AbstractUser):
    """用户 — a login. Who a user is in the organization comes from the role grants and the linked person."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    # Who changed a login (activated, renamed, e-mail) is part of the trail; secrets and timestamps are not.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    @property
    def label(self):
        return f"{self.display_name} ({self.username})" if self.display_name else self.username


class Role(NoDeleteModel):
    """角色 — a named set of permission codes (see accounts.permissions)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    permissions = models.JSONField(_("permissions"), default=list)
    requires_2fa = models.BooleanField(_("requires two-factor login"), default=False)
    builtin = models.BooleanField(_("built in"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self):
        return str(_(self.name))


class RoleGrantQuerySet(NoDeleteQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def visible_to(self, user):
        """Grants on organizations inside the subtrees where the user may grant roles, plus the user's own."""
        from luoshi.accounts.permissions import ROLES_GRANT
        from luoshi.accounts.scoping import scope_q

        if not user.is_authenticated:
            return self.none()
        q = scope_q(user, ROLES_GRANT, field="organization__path")
        return self.filter(q | models.Q(user=user))


class RoleGrant(NoDeleteModel):
    """角色授权 — a role given to a user on one organization; it covers that organization's subtree."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="grants", verbose_name=_("user"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants", verbose_name=_("role"))
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="grants", verbose_name=_("organization")
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("revoked by")
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_grant_per_user_role_org",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.role} @ {self.organization}"
