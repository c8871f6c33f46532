"""Writes of the inspections app: plans, visits, findings, rectification orders, reports and verification.
Rights and rules are checked first; a refused call saves nothing. Each rectification is an obligation on the
full ladder (remind, warn, circular, named criticism, admonishment talk, accountability)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import INSPECTIONS_CONDUCT, OBLIGATIONS_CREATE
from luoshi.core import obligations as engine
from luoshi.core.attachments import attachment_add
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import ObligationState
from luoshi.core.notifications import notify
from luoshi.inspections.models import (
    Answer,
    Finding,
    Inspection,
    InspectionKind,
    InspectionTarget,
    InspectionTeam,
    Rectification,
    RectificationReport,
    Standard,
    StandardItem,
    Visit,
    VisitAmendment,
)
from luoshi.inspections.obligations import RECTIFICATION
from luoshi.inspections.standards import score_item, total_score
from luoshi.orgs.models import Organization


def inspection_create(
    *,
    by,
    kind: str,
    title: str,
    standard: Standard,
    organization: Organization,
    approver,
    starts_on: date,
    ends_on: date,
    team: list,
    targets: list[Organization],
    leader=None,
) -> Inspection:
    """An office plans an inspection of organizations below it, with a team and an approving leader."""
    if not scoping.has_perm_on(by, OBLIGATIONS_CREATE, organization.path):
        raise NotPermitted()
    if kind not in InspectionKind.values:
        raise ServiceError(_("Choose the kind of inspection."), field="kind")
    if not (title or "").strip():
        raise ServiceError(_("Give the inspection a title."), field="title")
    if ends_on < starts_on or ends_on < timezone.localdate():
        raise ServiceError(
            _("The window must end on or after its start, and not before today."), field="ends_on"
        )
    if not team:
        raise ServiceError(_("Name at least one member of the team."), field="team")
    if not targets:
        raise ServiceError(_("Choose at least one organization to inspect."), field="targets")
    outside = scoping.outside_below(by, OBLIGATIONS_CREATE, organization.path, targets)
    if outside:
        raise ServiceError(
            _("Outside your scope or not below the organizing office: %(names)s")
            % {"names": "、".join(o.name for o in outside[:3])},
            field="targets",
        )
    with transaction.atomic():
        inspection = Inspection.objects.create(
            kind=kind,
            title=title.strip(),
            standard=standard,
            organization=organization,
            approver=approver,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=by,
        )
        InspectionTeam.objects.bulk_create(
            InspectionTeam(inspection=inspection, user=user, leader=user == (leader or team[0]))
            for user in {u.pk: u for u in team}.values()
        )
        InspectionTarget.objects.bulk_create(
            InspectionTarget(inspection=inspection, organization=o) for o in targets
        )
    data_changed()
    return inspection


def is_insider(user, inspection: Inspection) -> bool:
    return (
        user.pk in (inspection.approver_id, inspection.created_by_id)
        or inspection.team.filter(user_id=user.pk).exists()
    )


@dataclass
class AnswerIn:
    value: object
    note: str = ""
    photos: tuple = ()


def visit_record(
    *,
    by,
    inspection: Inspection,
    organization: Organization,
    answers: dict[int, AnswerIn],
    summary: str = "",
    visited_at: datetime | None = None,
) -> Visit:
    """A team member records a visit, every item answered. Failed items that the standard says are findings
    become findings; a failure needing a note or a photo is refused without it."""
    if not inspection.team.filter(user_id=by.pk).exists():
        raise NotPermitted()
    if not scoping.has_perm_anywhere(by, INSPECTIONS_CONDUCT) and not scoping.has_perm_anywhere(
        by, OBLIGATIONS_CREATE
    ):
        raise NotPermitted()
    if not inspection.targets.filter(organization=organization).exists():
        raise ServiceError(_("%(org)s is not a target of this inspection.") % {"org": organization.name})
    if inspection.visits.filter(organization=organization, submitted_at__isnull=False).exists():
        raise ServiceError(
            _("The visit to %(org)s is already recorded; amend it instead.") % {"org": organization.name}
        )
    items = list(
        StandardItem.objects.filter(section__standard=inspection.standard).order_by("section__order", "order")
    )
    missing = [item.code for item in items if item.pk not in answers]
    if missing:
        raise ServiceError(_("Answer every item: %(codes)s") % {"codes": "、".join(missing)})
    scored = []
    for item in items:
        given = answers[item.pk]
        score = score_item(item, given.value)
        if score.failed and item.note_on_failure and not (given.note or "").strip():
            raise ServiceError(_("%(code)s failed: a note is required.") % {"code": item.code})
        if score.failed and item.photo_on_failure and not given.photos:
            raise ServiceError(_("%(code)s failed: a photo is required.") % {"code": item.code})
        for photo in given.photos:
            if not getattr(photo, "content_type", "").startswith("image/"):
                raise ServiceError(_("%(name)s is not a photo.") % {"name": photo.name})
        scored.append((item, given, score))
    now = timezone.now()
    with transaction.atomic():
        visit = Visit.objects.create(
            inspection=inspection,
            organization=organization,
            inspector=by,
            visited_at=visited_at or now,
            summary=(summary or "").strip(),
            score=total_score([(item.weight, score.fraction) for item, _g, score in scored]),
            submitted_at=now,
        )
        for item, given, score in scored:
            answer = Answer.objects.create(
                visit=visit,
                item=item,
                value=score_value(given.value),
                note=(given.note or "").strip(),
                points=item.weight * score.fraction,
                failed=score.failed,
            )
            for photo in given.photos:
                attached = attachment_add(upload=photo, user=by, subject=answer)
                if not attached.blob.content_type.startswith("image/"):
                    raise ServiceError(_("%(name)s is not a photo.") % {"name": photo.name})
            if score.failed and item.failure_is_finding:
                Finding.objects.create(
                    visit=visit,
                    item=item,
                    organization=organization,
                    description=f"{item.code} {item.text}"
                    + (f"：{given.note.strip()}" if given.note.strip() else ""),
                    created_by=by,
                )
    data_changed()
    return visit


def can_amend(user, visit: Visit) -> bool:
    """Only the team amends what it recorded (not the planner or the approving leader, who see the visit)."""
    return visit.inspection.team.filter(user_id=user.pk).exists()


def visit_amend(*, by, visit: Visit, reason: str, answers: dict[int, AnswerIn]) -> Visit:
    """A recorded visit is never edited: a team member amends answers with a recorded reason. The score is
    computed again; an answer that now fails a finding item adds its finding (earlier findings stay on
    record — they are closed through their rectification, not deleted)."""
    if not can_amend(by, visit):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the amendment."), field="reason")
    if not answers:
        raise ServiceError(_("Change at least one answer."))
    current = {a.item_id: a for a in visit.answers.select_related("item")}
    changes, updates = {}, []
    for item_id, given in answers.items():
        answer = current.get(item_id)
        if answer is None:
            raise ServiceError(_("That item is not part of this visit."))
        score = score_item(answer.item, given.value)
        if score.failed and answer.item.note_on_failure and not (given.note or answer.note).strip():
            raise ServiceError(_("%(code)s failed: a note is required.") % {"code": answer.item.code})
        changes[answer.item.code] = [str(answer.value), str(score_value(given.value))]
        updates.append((answer, given, score))
    with transaction.atomic():
        for answer, given, score in updates:
            newly_failed = score.failed and not answer.failed
            answer.value = score_value(given.value)
            answer.note = (given.note or answer.note).strip()
            answer.points = answer.item.weight * score.fraction
            answer.failed = score.failed
            answer.save()
            if newly_failed and answer.item.failure_is_finding:
                Finding.objects.create(
                    visit=visit,
                    item=answer.item,
                    organization=visit.organization,
                    description=f"{answer.item.code} {answer.item.text}：{answer.note}".rstrip("："),
                    created_by=by,
                )
        weighted = [(a.item.weight, a.points / a.item.weight) for a in visit.answers.select_related("item")]
        visit.score = total_score(weighted)
        visit.save()
        VisitAmendment.objects.create(visit=visit, reason=reason, by=by, changes=changes)
    data_changed()
    return visit


def score_value(value):
    from decimal import Decimal

    return Decimal(str(value))


def finding_add(*, by, organization: Organization, description: str, visit: Visit | None = None) -> Finding:
    """A finding added by hand (to a visit, or from another source such as a report)."""
    if visit is not None and not is_insider(by, visit.inspection):
        raise NotPermitted()
    if visit is None and not scoping.has_perm_on(by, OBLIGATIONS_CREATE, organization.path, above=True):
        raise NotPermitted()
    if not (description or "").strip():
        raise ServiceError(_("Describe the finding."), field="description")
    finding = Finding.objects.create(
        visit=visit, organization=organization, description=description.strip(), created_by=by
    )
    data_changed()
    return finding


def can_order(user, finding: Finding) -> bool:
    if finding.visit_id and is_insider(user, finding.visit.inspection):
        return True
    return scoping.has_perm_on(user, OBLIGATIONS_CREATE, finding.organization.path, above=True)


def rectification_order(
    *, by, finding: Finding, deadline: date, evidence_required: str, responsible=None
) -> Rectification:
    """整改通知 — the responsible unit must put the finding right by the deadline, with the evidence named."""
    if not can_order(by, finding):
        raise NotPermitted()
    if deadline < timezone.localdate():
        raise ServiceError(_("The date cannot be before today."), field="deadline")
    if not (evidence_required or "").strip():
        raise ServiceError(_("Say what evidence the unit must give."), field="evidence_required")
    if Rectification.objects.filter(finding=finding).exists():
        raise ServiceError(_("This finding already has its rectification order."))
    with transaction.atomic():
        obligation = engine.obligation_create(
            kind=RECTIFICATION,
            title=str(_("Rectify: %(finding)s") % {"finding": finding.description[:150]}),
            organization=finding.organization,
            due_date=deadline,
            responsible=responsible,
            created_by=by,
        )
        rectification = Rectification.objects.create(
            finding=finding,
            organization=finding.organization,
            responsible=obligation.responsible,
            deadline=deadline,
            evidence_required=evidence_required.strip(),
            obligation=obligation,
            created_by=by,
        )
        obligation.subject = rectification
        obligation.save(update_fields=["subject_type", "subject_id"])
    return rectification


def can_report(user, rectification: Rectification) -> bool:
    """The responsible person, or who completes obligations for the unit, reports its rectification."""
    person = rectification.obligation.responsible
    return (person is not None and person.user_id == user.pk) or scoping.has_perm_at(
        user, "obligations.complete", rectification.organization.path
    )


def rectification_report(*, by, rectification: Rectification, text: str, uploads=()) -> RectificationReport:
    """The unit reports what it put right, with the evidence; the team's verification is then awaited."""
    obligation = rectification.obligation
    if not can_report(by, rectification):
        raise NotPermitted()
    if obligation.state == ObligationState.SUBMITTED:
        raise ServiceError(_("The rectification awaits verification."))
    if not obligation.is_unclosed:
        raise ServiceError(_("This rectification is already closed."))
    if not (text or "").strip():
        raise ServiceError(_("Say what was put right."), field="text")
    if not uploads:
        raise ServiceError(
            _("Attach the evidence required: %(evidence)s") % {"evidence": rectification.evidence_required},
            field="files",
        )
    with transaction.atomic():
        report = RectificationReport.objects.create(
            rectification=rectification, type=RectificationReport.Type.REPORT, text=text.strip(), by=by
        )
        for upload in uploads:
            attachment_add(upload=upload, user=by, subject=report)
        engine.obligation_submit(obligation=obligation, user=by, note=text)
    notify(
        _verifiers(rectification),
        title=_("Please verify: %(finding)s"),
        body=_("%(unit)s reports the rectification done."),
        values={"finding": rectification.finding.description[:80], "unit": rectification.organization.name},
        url=rectification.get_absolute_url(),
    )
    return report


def _verifiers(rectification: Rectification) -> list:
    finding = rectification.finding
    if finding.visit_id:
        inspection = finding.visit.inspection
        users = [m.user for m in inspection.team.select_related("user")]
        return users or [inspection.approver]
    return [rectification.created_by]


def can_verify(user, rectification: Rectification) -> bool:
    """The inspection team verifies what it found (its planner and approving leader with it); a finding added
    by hand, the offices above the unit."""
    finding = rectification.finding
    if finding.visit_id:
        return is_insider(user, finding.visit.inspection)
    return scoping.has_perm_on(user, OBLIGATIONS_CREATE, finding.organization.path, above=True)


def rectification_verify(
    *, by, rectification: Rectification, accept: bool, reason: str = ""
) -> Rectification:
    """The team accepts the rectification (its ladder stops) or returns it with a reason (its obligation goes
    back where it was). Verifying twice changes nothing."""
    if not can_verify(by, rectification):
        raise NotPermitted()
    reason = (reason or "").strip()
    with transaction.atomic():
        rectification = (
            Rectification.objects.select_for_update().select_related("obligation").get(pk=rectification.pk)
        )
        if rectification.verified_at is not None:
            return rectification
        if rectification.obligation.state != ObligationState.SUBMITTED:
            raise ServiceError(_("The unit has not reported its rectification yet."))
        if accept:
            engine.obligation_mark_done(
                obligation=rectification.obligation, user=by, note=reason or str(_("Verified."))
            )
            reported = (
                rectification.reports.filter(type=RectificationReport.Type.REPORT).order_by("-at").first()
            )
            rectification.verified_at = timezone.now()
            rectification.verified_by = by
            rectification.on_time = timezone.localtime(reported.at).date() <= rectification.deadline
            rectification.save(update_fields=["verified_at", "verified_by", "on_time"])
            RectificationReport.objects.create(
                rectification=rectification, type=RectificationReport.Type.ACCEPTED, text=reason, by=by
            )
        else:
            if not reason:
                raise ServiceError(_("Say why it is returned."), field="reason")
            engine.obligation_return(obligation=rectification.obligation, user=by, reason=reason)
            RectificationReport.objects.create(
                rectification=rectification, type=RectificationReport.Type.RETURNED, text=reason, by=by
            )
            person = rectification.obligation.responsible
            notify(
                [person.user] if person is not None and person.user_id else [],
                title=_("Returned: %(title)s"),
                body=_("Reason: %(reason)s"),
                values={"title": rectification.finding.description[:80], "reason": reason},
                url=rectification.get_absolute_url(),
            )
    data_changed()
    return rectification
