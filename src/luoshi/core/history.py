"""Version history of records (django-simple-history): who changed which field from what to what, when."""

from dataclasses import dataclass


@dataclass
class Version:
    when: object
    who: object
    kind: str  # created / changed / removed
    changes: list  # (field label, old, new)


def _label(model, field_name):
    try:
        return model._meta.get_field(field_name).verbose_name
    except Exception:
        return field_name


def versions_of(record) -> list[Version]:
    rows = list(record.history.all().select_related("history_user").order_by("-history_date", "-history_id"))
    versions = []
    for index, row in enumerate(rows):
        older = rows[index + 1] if index + 1 < len(rows) else None
        changes = []
        if older is not None:
            for change in row.diff_against(older).changes:
                changes.append((_label(type(record), change.field), change.old, change.new))
        kind = {"+": "created", "~": "changed", "-": "removed"}[row.history_type]
        versions.append(Version(when=row.history_date, who=row.history_user, kind=kind, changes=changes))
    return versions


def _org_fetch(user, pk):
    from luoshi.orgs.selectors import organization_get_visible

    return organization_get_visible(user, pk)


def _obligation_fetch(user, pk):
    from luoshi.core.selectors import obligation_get_visible

    return obligation_get_visible(user, pk)


def _grant_fetch(user, pk):
    from luoshi.accounts.selectors import grant_get_visible

    return grant_get_visible(user, pk)


# source name in the URL -> (scoped fetch helper, the organization whose audit right governs it)
HISTORY_SOURCES = {
    "organization": (_org_fetch, lambda org: org),
    "obligation": (_obligation_fetch, lambda ob: ob.organization),
    "grant": (_grant_fetch, lambda grant: grant.organization),
}
