"""Version history of records (django-simple-history): who changed which field from what to what, when."""

from dataclasses import dataclass


@dataclass
class Version:
    when: object
    who: object
    kind: str  # created / changed / removed
    changes: list  # (field label, old, new)


def _shown(model, field_name):
    """The field if a person should see its changes: bookkeeping fields (editable=False) are left out."""
    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return None
    return field if field.editable else None


def _display(field, value):
    """A value as the user knows it: a choice's label, a related record's name."""
    if value is None or value == "":
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    return value


def versions_of(record) -> list[Version]:
    rows = list(record.history.all().select_related("history_user").order_by("-history_date", "-history_id"))
    versions = []
    for index, row in enumerate(rows):
        older = rows[index + 1] if index + 1 < len(rows) else None
        changes = []
        if older is not None:
            for change in row.diff_against(older).changes:
                field = _shown(type(record), change.field)
                if field is not None:
                    changes.append(
                        (field.verbose_name, _display(field, change.old), _display(field, change.new))
                    )
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
