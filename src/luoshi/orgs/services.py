"""Writes to the organization tree: organizations, terms of office, positions."""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from luoshi.core.cache import data_changed
from luoshi.core.errors import ServiceError
from luoshi.orgs.models import Organization, OrgKind, Person, Position, PositionKind, Term, TermRule
from luoshi.orgs.tree import child_path, depth_of, segment

# Which kinds may sit under which (a branch may also sit directly under a street, e.g. an office branch).
ALLOWED_PARENTS = {
    OrgKind.DISTRICT: {None},
    OrgKind.STREET: {OrgKind.DISTRICT},
    OrgKind.COMMUNITY: {OrgKind.STREET},
    OrgKind.GENERAL_BRANCH: {OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY},
    OrgKind.BRANCH: {OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY, OrgKind.GENERAL_BRANCH},
}
DEFAULT_TERM_YEARS = {
    OrgKind.DISTRICT: 5,
    OrgKind.STREET: 5,
    OrgKind.COMMUNITY: 5,
    OrgKind.GENERAL_BRANCH: 3,
    OrgKind.BRANCH: 3,
}


@transaction.atomic
def organization_create(
    *, name: str, kind: str, code: str, parent: Organization | None = None, holds_members: bool | None = None
) -> Organization:
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise ServiceError(_("An organization of this kind cannot sit under that parent."), field="parent")
    if Organization.objects.filter(code=code).exists():
        raise ServiceError(_("Another organization already has this code."), field="code")
    if parent is None:
        number = Organization.objects.filter(parent=None).count() + 1
        path = segment(number)
    else:
        # Take the next sibling number under a row lock so two creations cannot share a path.
        Organization.objects.filter(pk=parent.pk).update(
            last_child_number=F("last_child_number") + 1, children_count=F("children_count") + 1
        )
        parent.refresh_from_db(fields=["last_child_number", "children_count"])
        path = child_path(parent.path, parent.last_child_number)
    if holds_members is None:
        holds_members = kind in (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
    data_changed()
    return Organization.objects.create(
        name=name,
        kind=kind,
        code=code,
        parent=parent,
        path=path,
        depth=depth_of(path),
        holds_members=holds_members,
    )


def term_years(kind: str) -> int:
    rule = TermRule.objects.filter(kind=kind).first()
    return rule.years if rule else DEFAULT_TERM_YEARS[kind]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def term_start(*, organization: Organization, start_date: date, user=None) -> Term:
    """Record an election: the current term ends, a new one starts, and its renewal date follows the rule."""
    from luoshi.core.models import UNCLOSED_STATES, Obligation
    from luoshi.core.obligations import obligation_mark_done
    from luoshi.orgs.obligations import TERM_RENEWAL

    current = Term.objects.filter(organization=organization, ended_on=None).first()
    if current is not None:
        if start_date <= current.start_date:
            raise ServiceError(_("A new term must start after the current one."), field="start_date")
        current.ended_on = start_date
        current.save()
        for obligation in Obligation.objects.filter(state__in=UNCLOSED_STATES).filter(
            policy__kind=TERM_RENEWAL, subject_id=str(current.pk), organization=organization
        ):
            obligation_mark_done(obligation=obligation, user=user, note=str(_("New term elected.")))
    data_changed()
    return Term.objects.create(
        organization=organization,
        start_date=start_date,
        renewal_due=add_years(start_date, term_years(organization.kind)),
    )


@transaction.atomic
def position_assign(*, organization: Organization, person: Person, kind: str, start_date: date) -> Position:
    """Appoint a person. A new secretary ends the sitting one's position the same day and takes over, as
    first responsible person, the unit's open obligations that were the predecessor's."""
    from luoshi.core.models import UNCLOSED_STATES, Obligation

    if kind == PositionKind.SECRETARY:
        sitting = list(Position.objects.filter(organization=organization, kind=kind, end_date=None))
        for position in sitting:  # one by one, so each keeps its history
            position.end_date = start_date
            position.save()
        for obligation in Obligation.objects.filter(state__in=UNCLOSED_STATES).filter(
            organization=organization, responsible_id__in=[p.person_id for p in sitting]
        ):
            obligation.responsible = person
            obligation.save()
    term = Term.objects.filter(organization=organization, ended_on=None).first()
    data_changed()
    return Position.objects.create(
        organization=organization, person=person, kind=kind, start_date=start_date, term=term
    )
