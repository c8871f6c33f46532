"""Who may see and do what, from the user's active role grants.

A grant covers its organization's subtree. Every domain model's `visible_to(user)` is built from
`scope_q(user, perm, field)`, so the rule lives here once. The grants are read once per
user object (one query per request) and kept on it.
"""

from dataclasses import dataclass

from django.db.models import Q

from luoshi.orgs.tree import minimal_cover, subtree_q


@dataclass(frozen=True)
class GrantInfo:
    organization_id: int
    path: str
    role_code: str
    permissions: frozenset
    requires_2fa: bool


def grants_of(user) -> list[GrantInfo]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_luoshi_grants", None)
    if cached is None:
        from luoshi.accounts.models import RoleGrant

        rows = (
            RoleGrant.objects.active()
            .filter(user_id=user.pk)
            .values_list(
                "organization_id",
                "organization__path",
                "role__code",
                "role__permissions",
                "role__requires_2fa",
            )
        )
        cached = [GrantInfo(oid, path, code, frozenset(perms), tfa) for oid, path, code, perms, tfa in rows]
        user._luoshi_grants = cached
    return cached


def forget_grants(user) -> None:
    if hasattr(user, "_luoshi_grants"):
        del user._luoshi_grants


def paths_with_perm(user, perm: str | None = None) -> list[str]:
    """The smallest set of subtree roots on which the user holds `perm` (any grant when perm is None)."""
    return minimal_cover(g.path for g in grants_of(user) if perm is None or perm in g.permissions)


def has_perm_on(user, perm: str, org_path: str, *, above: bool = False) -> bool:
    """True when a grant with `perm` covers the organization at `org_path`.

    above=True asks for a grant strictly above it: a unit does not judge itself (confirming a circular
    against one's own branch, waiving one's own obligation).
    """
    for grant in grants_of(user):
        if perm in grant.permissions and org_path.startswith(grant.path):
            if not above or grant.path != org_path:
                return True
    return False


def has_perm_at(user, perm: str, org_path: str) -> bool:
    """True when a grant with `perm` sits on exactly this organization: rights over one's own unit
    (reporting its work done), which a grant higher up does not give."""
    return any(perm in g.permissions and g.path == org_path for g in grants_of(user))


def perms_on(user, org_path: str) -> set[str]:
    """Every permission the user holds over the organization at `org_path` (from grants covering it)."""
    held: set[str] = set()
    for grant in grants_of(user):
        if org_path.startswith(grant.path):
            held |= grant.permissions
    return held


def has_perm_at_top(user, perm: str) -> bool:
    """For settings that apply to the whole installation (e.g. escalation ladders): a grant on a root."""
    from luoshi.orgs.tree import SEGMENT

    return any(perm in g.permissions and len(g.path) == SEGMENT for g in grants_of(user))


def has_perm_anywhere(user, perm: str) -> bool:
    return any(perm in g.permissions for g in grants_of(user))


def requires_2fa(user) -> bool:
    return any(g.requires_2fa for g in grants_of(user))


def scope_q(user, perm: str, field: str = "path") -> Q:
    """The rows whose organization path (`field`) lies under a grant of the user carrying `perm`."""
    return subtree_q(paths_with_perm(user, perm), field=field)


def outside_below(user, perm: str, issuer_path: str, organizations) -> list:
    """The organizations that are not strictly below `issuer_path` inside a grant of `perm` above them:
    those an office may not send work to."""
    return [
        org
        for org in organizations
        if not org.path.startswith(issuer_path)
        or org.path == issuer_path
        or not has_perm_on(user, perm, org.path, above=True)
    ]
