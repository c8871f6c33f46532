"""Reads of the register: the scoped member list and its search, one member with its history, the imports."""

import re

from django.db.models import Q

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_MANAGE, MEMBERS_SENSITIVE, MEMBERS_VIEW
from luoshi.core.selectors import get_or_404
from luoshi.members.models import Member, MemberImport
from luoshi.orgs.tree import subtree_q

_INITIALS = re.compile(r"^[a-zA-Z]{1,10}$")
_DIGITS = re.compile(r"^[0-9]{2,17}[0-9Xx]?$")


def member_list(user, *, search: str = "", under=None, category: str = "", flag: str = ""):
    """The members the user may see, newest structure first. `search` finds by name (part of it), by the
    initials of its pinyin (张伟 → zw), or by the last digits of the national ID (4 or more)."""
    qs = Member.objects.visible_to(user).active().select_related("organization")
    if under is not None:
        qs = qs.filter(subtree_q([under.path], field="organization__path"))
    if category:
        qs = qs.filter(category=category)
    if flag == "mobile":
        qs = qs.filter(mobile=True)
    elif flag == "lost":
        qs = qs.filter(lost_contact=True)
    search = (search or "").strip()
    if search:
        if _DIGITS.match(search) and len(search) >= 4:
            qs = qs.filter(national_id__endswith=search.upper())
        elif _INITIALS.match(search):
            qs = qs.filter(Q(initials__startswith=search.lower()) | Q(name__icontains=search))
        else:
            qs = qs.filter(name__contains=search)
    return qs.order_by("organization__path", "initials", "id")


def member_get_visible(user, pk) -> Member:
    return get_or_404(Member.objects.visible_to(user).select_related("organization"), pk)


def can_see_sensitive(user, member: Member) -> bool:
    return scoping.has_perm_on(user, MEMBERS_SENSITIVE, member.organization.path)


def can_manage(user, member: Member) -> bool:
    return scoping.has_perm_on(user, MEMBERS_MANAGE, member.organization.path)


def can_import(user) -> bool:
    return scoping.has_perm_anywhere(user, MEMBERS_MANAGE)


def can_view(user) -> bool:
    return scoping.has_perm_anywhere(user, MEMBERS_VIEW)


def mask_id(value: str) -> str:
    """110105********123X: the area code and the last four, the birth date hidden."""
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}" if len(value) > 10 else value


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) == 11 else value


def imports_visible(user):
    return MemberImport.objects.visible_to(user).select_related("organization", "created_by")


def import_get_visible(user, pk) -> MemberImport:
    return get_or_404(imports_visible(user), pk)


def transfers_visible(user):
    from luoshi.members.models import Transfer

    return Transfer.objects.visible_to(user).select_related(
        "member", "from_organization", "to_organization", "obligation"
    )


def transfer_get_visible(user, pk):
    return get_or_404(transfers_visible(user), pk)


def transfer_owner(transfer):
    """The organization that records the receipt: the receiving one, or the sender for a letter outside."""
    return transfer.to_organization or transfer.from_organization


def receiving_organization(text: str):
    """The organization a transfer goes to, named by its exact code or name anywhere in this system (a member
    may move to another street's branch): one that keeps members, or None."""
    from luoshi.orgs.models import Organization

    text = (text or "").strip()
    if not text:
        return None
    candidates = Organization.objects.active().filter(holds_members=True)
    return candidates.filter(code=text).first() or (
        candidates.filter(name=text).first() if candidates.filter(name=text).count() == 1 else None
    )
