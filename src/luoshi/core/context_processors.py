from django.conf import settings

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_VIEW, OBLIGATIONS_CREATE, ROLES_GRANT


def luoshi(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"DEMO": settings.DEMO}
    from luoshi.core.models import Notification

    return {
        "DEMO": settings.DEMO,
        "unread_count": Notification.objects.filter(recipient=user, read_at=None).count,
        "can_grant_roles": scoping.has_perm_anywhere(user, ROLES_GRANT),
        "can_assign": scoping.has_perm_anywhere(user, OBLIGATIONS_CREATE),
        "can_see_members": scoping.has_perm_anywhere(user, MEMBERS_VIEW),
    }
