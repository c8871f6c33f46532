from django.http import Http404

from luoshi.accounts.models import RoleGrant


def grant_get_visible(user, pk) -> RoleGrant:
    try:
        return RoleGrant.objects.visible_to(user).select_related("user", "role", "organization").get(pk=pk)
    except (RoleGrant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def grant_list_visible(user, *, include_revoked=False, search=""):
    qs = RoleGrant.objects.visible_to(user).select_related("user", "role", "organization", "granted_by")
    if not include_revoked:
        qs = qs.active()
    if search:
        from django.db.models import Q

        qs = qs.filter(
            Q(user__username__icontains=search)
            | Q(user__display_name__icontains=search)
            | Q(organization__name__icontains=search)
        )
    return qs.order_by("organization__path", "role_id", "user__username")
