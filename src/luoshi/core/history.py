"""Version history of records (django-simple-history): who changed which field from what to what, when."""

from dataclasses import dataclass


@dataclass
class Version:
    when: object
    who: object
    kind: str  # created / changed / removed
    changes: list  # (field label, old, new)
    reason: str = ""  # the change reason recorded with it (e.g. the import it came from)


def _shown(model, field_name):
    """The field if a person should see its changes: bookkeeping fields (editable=False) are left out."""
    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return None
    return field if field.editable else None


def _display(field, value, names: dict):
    """A value as the user knows it: a choice's label, a related record's name (from `names`)."""
    if value is None or value == "":
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return names.get((field.related_model, value), value)
    return value


def _related_names(raw_changes) -> dict:
    """(model, pk) -> str for every related record named in the changes: one query per related model."""
    wanted: dict = {}
    for field, old, new in raw_changes:
        if field.is_relation:
            wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v not in (None, ""))
    names = {}
    for model, pks in wanted.items():
        for obj in model._default_manager.filter(pk__in=pks):
            names[(model, obj.pk)] = str(obj)
    return names


def versions_of(record, mask: dict | None = None) -> list[Version]:
    """Every version, newest first, each with its changes against the one before. A fixed number of
    queries whatever the number of versions. `mask` maps a field name to a function that hides its values
    (a national ID shown as 110105********123X to a reader without the right to it)."""
    mask = mask or {}
    rows = list(record.history.all().select_related("history_user").order_by("-history_date", "-history_id"))
    raw = []
    for index, row in enumerate(rows):
        older = rows[index + 1] if index + 1 < len(rows) else None
        changes = []
        if older is not None:
            for change in row.diff_against(older).changes:
                field = _shown(type(record), change.field)
                if field is not None:
                    hide = mask.get(change.field)
                    old, new = (
                        (change.old, change.new) if hide is None else (hide(change.old), hide(change.new))
                    )
                    changes.append((field, old, new))
        raw.append((row, changes))
    names = _related_names(change for _row, changes in raw for change in changes)
    versions = []
    for row, changes in raw:
        shown = [
            (f.verbose_name, _display(f, old, names), _display(f, new, names)) for f, old, new in changes
        ]
        kind = {"+": "created", "~": "changed", "-": "removed"}[row.history_type]
        versions.append(
            Version(
                when=row.history_date,
                who=row.history_user,
                kind=kind,
                changes=shown,
                reason=getattr(row, "history_change_reason", "") or "",
            )
        )
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
