"""Writes for users, roles and grants."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.accounts import scoping
from luoshi.accounts.models import Role, RoleGrant, User
from luoshi.accounts.permissions import BUILTIN_ROLES, ROLES_GRANT
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError


def tokens_revoke(user) -> None:
    """End every API token of the user: after a password change, when two-factor is turned on, or when a
    role that requires it is granted. A token issued under the old rules must not outlive them."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()  # a token is a credential, not a domain record


def roles_sync() -> None:
    """Create or refresh the built-in roles (their names and permissions are code; custom roles are data)."""
    for code, (name, permissions, requires_2fa) in BUILTIN_ROLES.items():
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": str(name),
                "permissions": permissions,
                "requires_2fa": requires_2fa,
                "builtin": True,
            },
        )
        if not created and (role.permissions != permissions or role.requires_2fa != requires_2fa):
            role.permissions = permissions
            role.requires_2fa = requires_2fa
            role.save()
            data_changed()


def user_create(*, username: str, password: str | None, display_name: str = "", email: str = "") -> User:
    user = User(username=username, display_name=display_name, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def user_create_by(*, by: User, username: str, password: str, display_name: str, email: str = "") -> User:
    """An administrator opens a login. Who holds 'grant roles' anywhere may; the password must pass the
    validators (length, not common, not all digits)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if not scoping.has_perm_anywhere(by, ROLES_GRANT):
        raise NotPermitted()
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(_("This user name is taken."), field="new_username")
    try:
        validate_password(password, User(username=username, display_name=display_name, email=email))
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="password") from None
    return user_create(username=username, password=password, display_name=display_name, email=email)


def role_grant(*, by: User | None, user: User, role: Role, organization) -> RoleGrant:
    """Give `user` the role on `organization`'s subtree. `by` must hold 'grant roles' on that organization;
    by=None is the installer (the demo builder, a shell session during set-up)."""
    if by is not None:
        held = scoping.perms_on(by, organization.path)
        if ROLES_GRANT not in held:
            raise NotPermitted()
        if not set(role.permissions) <= held:
            # No one hands out more than they hold there: a grant cannot be a ladder to more power.
            raise ServiceError(
                _("You cannot grant a role with rights you do not hold yourself."), field="role"
            )
    if by is not None and by.pk == user.pk:
        raise ServiceError(_("You cannot grant a role to yourself."), field="username")
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(user=user, role=role, organization=organization, granted_by=by)
    except IntegrityError:
        raise ServiceError(_("This user already holds this role on this organization.")) from None
    scoping.forget_grants(user)
    if role.requires_2fa:
        tokens_revoke(user)
    data_changed()
    return grant


def role_revoke(*, by: User, grant: RoleGrant, reason: str) -> RoleGrant:
    reason = (reason or "").strip()
    if not scoping.has_perm_on(by, ROLES_GRANT, grant.organization.path):
        raise NotPermitted()
    if grant.revoked_at:
        raise ServiceError(_("This grant is already revoked."))
    if not reason:
        raise ServiceError(_("Give a reason for revoking it."), field="reason")
    if grant.user_id == by.pk and grant.role.permissions and ROLES_GRANT in grant.role.permissions:
        raise ServiceError(_("You cannot revoke your own administrator grant."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.revoke_reason = reason
    grant.save()
    scoping.forget_grants(grant.user)
    data_changed()
    return grant
