"""Writes of the sites app: centers registered, construction projects with milestones, acceptance."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import OBLIGATIONS_COMPLETE, OBLIGATIONS_CREATE, ORGS_MANAGE
from luoshi.core import obligations as engine
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.orgs.models import OrgKind
from luoshi.sites.models import ComplianceProject, Milestone, ServiceCenter, ServiceOffering
from luoshi.sites.obligations import MILESTONE

CENTER_STANDARD = "service-center"


def center_register(
    *,
    by,
    organization,
    name: str,
    address: str,
    area_m2: int,
    opening_hours: str,
    staff_count: int,
    services=(),
) -> ServiceCenter:
    """Register (or update) the center of a village/community organization."""
    if not (
        scoping.has_perm_on(by, ORGS_MANAGE, organization.path)
        or scoping.has_perm_at(by, OBLIGATIONS_COMPLETE, organization.path)
    ):
        raise NotPermitted()
    if organization.kind != OrgKind.COMMUNITY:
        raise ServiceError(
            _("Service centers belong to village/community organizations."), field="organization"
        )
    if area_m2 <= 0 or staff_count < 0:
        raise ServiceError(_("Give the floor area and the number of staff."), field="area_m2")
    with transaction.atomic():
        center, _created = ServiceCenter.objects.update_or_create(
            organization=organization,
            defaults={
                "name": name.strip(),
                "address": address.strip(),
                "area_m2": area_m2,
                "opening_hours": opening_hours.strip(),
                "staff_count": staff_count,
            },
        )
        center.services.set(ServiceOffering.objects.filter(code__in=list(services), archived_at=None))
    data_changed()
    return center


def project_create(
    *, by, center: ServiceCenter, title: str, deadline: date, milestones: list[tuple[str, date]]
) -> ComplianceProject:
    """达标建设 — the superior sets a center's project: milestones (each an obligation) up to the deadline."""
    org = center.organization
    if not scoping.has_perm_on(by, OBLIGATIONS_CREATE, org.path, above=True):
        raise NotPermitted()
    today = timezone.localdate()
    if deadline < today:
        raise ServiceError(_("The date cannot be before today."), field="deadline")
    if not milestones:
        raise ServiceError(_("List at least one milestone."), field="milestones")
    for milestone_title, due in milestones:
        if not milestone_title.strip() or due < today or due > deadline:
            raise ServiceError(
                _("Each milestone needs a title and a date between today and the deadline."),
                field="milestones",
            )
    with transaction.atomic():
        project = ComplianceProject.objects.create(
            center=center, title=title.strip(), deadline=deadline, created_by=by
        )
        for order, (milestone_title, due) in enumerate(sorted(milestones, key=lambda m: m[1]), start=1):
            obligation = engine.obligation_create(
                kind=MILESTONE,
                title=f"{center.name}：{milestone_title.strip()}",
                organization=org,
                due_date=due,
                created_by=by,
            )
            milestone = Milestone.objects.create(
                project=project,
                order=order,
                title=milestone_title.strip(),
                due_date=due,
                obligation=obligation,
            )
            obligation.subject = milestone
            obligation.save(update_fields=["subject_type", "subject_id"])
    return project


def can_report_milestones(user, center: ServiceCenter) -> bool:
    return scoping.has_perm_at(user, OBLIGATIONS_COMPLETE, center.organization.path)


def milestone_done(*, by, milestone: Milestone) -> Milestone:
    """The community reports a milestone reached."""
    org = milestone.project.center.organization
    person = milestone.obligation.responsible
    if not (scoping.has_perm_at(by, OBLIGATIONS_COMPLETE, org.path) or (person and person.user_id == by.pk)):
        raise NotPermitted()
    if milestone.done_at is not None:
        return milestone
    with transaction.atomic():
        milestone.done_at = timezone.now()
        milestone.save()
        engine.obligation_mark_done(
            obligation=milestone.obligation, user=by, note=str(_("Milestone reached."))
        )
    return milestone


def project_accept(*, by, project: ComplianceProject, visit) -> ComplianceProject:
    """验收 — the project is accepted by a recorded visit to its center against the center standard that
    reaches the passing score."""
    org = project.center.organization
    if not scoping.has_perm_on(by, OBLIGATIONS_CREATE, org.path, above=True):
        raise NotPermitted()
    if project.accepted_at is not None:
        return project
    standard = visit.inspection.standard
    if visit.organization_id != org.pk or standard.code != CENTER_STANDARD or visit.submitted_at is None:
        raise ServiceError(_("Acceptance needs a recorded visit to this center against the center standard."))
    if visit.score < standard.pass_score:
        raise ServiceError(
            _("The visit scored %(score)s, below the passing score %(pass)s.")
            % {"score": visit.score, "pass": standard.pass_score}
        )
    project.accepted_at = timezone.now()
    project.acceptance_visit = visit
    project.save()
    data_changed()
    return project
