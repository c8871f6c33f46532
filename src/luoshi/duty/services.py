"""Writes of the duty app: letters drafted, issued and signed; plans, tasks, assignments, splits, reports,
acceptance. Each checks rights and rules first, then writes in one transaction; a refused call changes
nothing. Deadlines and escalation are the core engine's: every assignment and every letter target is an
obligation, closed here when its record is finished."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from luoshi.accounts import scoping
from luoshi.accounts.permissions import OBLIGATIONS_COMPLETE, OBLIGATIONS_CONFIRM, OBLIGATIONS_CREATE
from luoshi.core import obligations as engine
from luoshi.core.attachments import attachment_add
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import ObligationState
from luoshi.core.notifications import notify, users_holding
from luoshi.duty.models import (
    Assignment,
    Letter,
    LetterCopy,
    LetterTarget,
    Report,
    ReportKind,
    ReportType,
    TargetCategory,
    TargetProgress,
    TargetStatus,
    Task,
    WorkPlan,
)
from luoshi.duty.obligations import LETTER_SIGNATURE, LETTER_TARGET, TASK_ASSIGNMENT
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import sitting_secretary

MAX_ASSIGNMENTS = 200_000  # one task to every organization of a province, with room to spare


def _today() -> date:
    return timezone.localdate()


def _not_past(day: date, field: str) -> None:
    if day < _today():
        raise ServiceError(_("The date cannot be before today."), field=field)


def _may_issue_from(user, org: Organization) -> None:
    if not scoping.has_perm_on(user, OBLIGATIONS_CREATE, org.path):
        raise NotPermitted()


def _check_below(user, issuer: Organization, organizations) -> None:
    """Every receiving organization lies strictly below the issuer, inside the user's scope."""
    if not organizations:
        raise ServiceError(_("Choose at least one organization."), field="organizations")
    if len(organizations) > MAX_ASSIGNMENTS:
        raise ServiceError(_("Too many organizations in one go."), field="organizations")
    outside = scoping.outside_below(user, OBLIGATIONS_CREATE, issuer.path, organizations)
    if outside:
        names = "、".join(org.name for org in outside[:3])
        raise ServiceError(
            _("Outside your scope or not below the issuing organization: %(names)s")
            % {"names": names + ("…" if len(outside) > 3 else "")},
            field="organizations",
        )


# --- Responsibility letters ------------------------------------------------------------------------------


@dataclass
class TargetSpec:
    text: str
    category: str
    measure: str
    weight: Decimal
    due_date: date
    red_line: bool = False


def _clean_targets(targets: list[TargetSpec]) -> list[TargetSpec]:
    if not targets:
        raise ServiceError(_("A letter needs at least one target."), field="targets")
    for number, target in enumerate(targets, start=1):
        if not target.text.strip() or not target.measure.strip():
            raise ServiceError(
                _("Target %(n)d: give the target and how its completion is measured.") % {"n": number},
                field="targets",
            )
        if target.category not in TargetCategory.values:
            raise ServiceError(_("Target %(n)d: choose the category.") % {"n": number}, field="targets")
        if target.weight is None or target.weight <= 0:
            raise ServiceError(
                _("Target %(n)d: the weight must be above zero.") % {"n": number}, field="targets"
            )
        if target.due_date < _today():
            raise ServiceError(
                _("Target %(n)d: the due date cannot be before today.") % {"n": number}, field="targets"
            )
    return targets


@transaction.atomic
def letter_draft(
    *,
    by,
    issuer: Organization,
    year: int,
    title: str,
    sign_by: date,
    targets: list[TargetSpec],
    preamble: str = "",
    letter: Letter | None = None,
) -> Letter:
    """Create a draft letter, or replace a draft's text and targets. An issued letter no longer changes."""
    _may_issue_from(by, issuer)
    if letter is not None:
        letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter is not None and not letter.is_draft:
        raise ServiceError(_("An issued letter cannot be changed."))
    if letter is not None and len(targets) < letter.targets.count():
        raise ServiceError(
            _("Targets cannot be removed from a draft; edit their text instead."), field="targets"
        )
    _not_past(sign_by, "sign_by")
    _clean_targets(targets)
    if letter is None:
        letter = Letter(created_by=by)
    letter.issuer = issuer
    letter.year = year
    letter.title = title.strip()
    letter.preamble = preamble.strip()
    letter.sign_by = sign_by
    letter.save()
    existing = {t.order: t for t in letter.targets.all()}
    for number, spec in enumerate(targets, start=1):
        target = existing.pop(number, None) or LetterTarget(letter=letter, order=number)
        target.text = spec.text.strip()
        target.category = spec.category
        target.measure = spec.measure.strip()
        target.weight = spec.weight
        target.due_date = spec.due_date
        target.red_line = spec.red_line
        target.save()
    return letter


def letter_issue(*, by, letter: Letter, organizations) -> list[LetterCopy]:
    """Send the letter to the secretaries of `organizations` (a level, a subtree or a list). Each copy is
    an obligation to sign by the letter's date. Sending again to an organization that has its copy adds
    nothing."""
    _may_issue_from(by, letter.issuer)
    organizations = list(organizations)
    _check_below(by, letter.issuer, organizations)
    if letter.sign_by < _today():
        raise ServiceError(_("The signing date has passed; set a new one before issuing."), field="sign_by")
    now = timezone.now()
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter.pk)
        have = set(letter.copies.values_list("organization_id", flat=True))
        new = [org for org in organizations if org.pk not in have]
        obligations = engine.obligations_create_many(
            kind=LETTER_SIGNATURE,
            items=[(org, str(letter.title), letter.sign_by, None) for org in new],
            created_by=by,
        )
        copies = bulk_create_with_history(
            [
                LetterCopy(letter=letter, organization=org, issued_at=now, signing_obligation=ob)
                for org, ob in zip(new, obligations, strict=True)
            ],
            LetterCopy,
            batch_size=2000,
            default_user=by,
        )
        engine.obligations_subject_set(
            LetterCopy.objects.filter(letter=letter, issued_at=now), field="signing_obligation"
        )
        if letter.issued_at is None:
            letter.issued_at = now
            letter.save()
    return copies


def can_sign(user, copy: LetterCopy) -> bool:
    secretary = sitting_secretary(copy.organization)
    return secretary is not None and secretary.user_id == user.pk


def letter_sign(*, user, copy: LetterCopy, signed_from: str = "") -> LetterCopy:
    """The organization's sitting secretary signs through their own login. The act is recorded (who, when,
    from where); each target then becomes an obligation of the organization. Signing twice changes nothing."""
    with transaction.atomic():
        copy = LetterCopy.objects.select_for_update().select_related("letter", "organization").get(pk=copy.pk)
        if copy.is_signed:
            return copy
        secretary = sitting_secretary(copy.organization)
        if secretary is None or secretary.user_id != user.pk:
            raise ServiceError(
                _("Only the sitting secretary of %(org)s can sign, with their own login.")
                % {"org": copy.organization.name}
            )
        copy.signed_at = timezone.now()
        copy.signed_by = user
        copy.signatory = secretary
        copy.signed_from = signed_from[:300]
        copy.save()
        if copy.signing_obligation_id:
            engine.obligation_mark_done(obligation=copy.signing_obligation, user=user, note=str(_("Signed.")))
        targets = list(copy.letter.targets.order_by("order"))
        rows = [TargetProgress(copy=copy, target=t) for t in targets]
        obligations = engine.obligations_create_many(
            kind=LETTER_TARGET,
            items=[
                (
                    copy.organization,
                    f"{copy.letter.title}：{row.target.order}. {row.target.text}"[:200],
                    row.target.due_date,
                    None,
                )
                for row in rows
            ],
            created_by=copy.letter.created_by,
        )
        for row, ob in zip(rows, obligations, strict=True):
            row.obligation = ob
        bulk_create_with_history(rows, TargetProgress, default_user=user)
        engine.obligations_subject_set(TargetProgress.objects.filter(copy=copy))
    return copy


def can_report_for(user, org: Organization, obligation) -> bool:
    """The unit's own people: the responsible person, or a holder of 'report done' on the unit itself."""
    person = obligation.responsible if obligation is not None else None
    return (person is not None and person.user_id == user.pk) or scoping.has_perm_at(
        user, OBLIGATIONS_COMPLETE, org.path
    )


def target_report(*, user, progress: TargetProgress, status: str, report: str, uploads=()) -> TargetProgress:
    """The signing unit reports a target's progress; 'met' closes the target's obligation."""
    report = (report or "").strip()
    obligation = progress.obligation
    if not can_report_for(user, progress.copy.organization, obligation):
        raise NotPermitted()
    if status not in (TargetStatus.IN_PROGRESS, TargetStatus.MET):
        raise ServiceError(_("Choose in progress or met."), field="status")
    if progress.status in (TargetStatus.MET, TargetStatus.BREACHED):
        raise ServiceError(_("This target is already closed."))
    if not report:
        raise ServiceError(_("Write a short report of what was done."), field="report")
    with transaction.atomic():
        for upload in uploads:
            attachment_add(upload=upload, user=user, subject=progress)
        progress.status = status
        progress.report = report
        progress.updated_at = timezone.now()
        progress.updated_by = user
        progress.save()
        if status == TargetStatus.MET and obligation is not None and obligation.is_unclosed:
            engine.obligation_mark_done(obligation=obligation, user=user, note=report)
    data_changed()
    return progress


def target_breach(*, user, progress: TargetProgress, reason: str) -> TargetProgress:
    """The issuing side records that a red line was crossed (一票否决), with a reason."""
    reason = (reason or "").strip()
    if not progress.target.red_line:
        raise ServiceError(_("Only a red-line target can be breached."))
    if not scoping.has_perm_on(user, OBLIGATIONS_CONFIRM, progress.copy.organization.path, above=True):
        raise NotPermitted()
    if not reason:
        raise ServiceError(_("Give a reason for the decision."), field="reason")
    if progress.status == TargetStatus.BREACHED:
        return progress
    with transaction.atomic():
        progress.status = TargetStatus.BREACHED
        progress.report = reason
        progress.updated_at = timezone.now()
        progress.updated_by = user
        progress.save()
        if progress.obligation is not None and progress.obligation.is_unclosed:
            engine.obligation_waive(obligation=progress.obligation, user=user, reason=reason)
    data_changed()
    return progress


# --- Work plans and tasks ----------------------------------------------------------------------------------


def plan_create(*, by, organization: Organization, year: int, title: str) -> WorkPlan:
    _may_issue_from(by, organization)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Give the plan a title."), field="title")
    return WorkPlan.objects.create(year=year, title=title, organization=organization, created_by=by)


@dataclass
class TaskSpec:
    title: str
    deadline: date
    description: str = ""
    lead_office: str = ""
    report_kind: str = ReportKind.TEXT
    unit: str = ""
    checklist: list | None = None


def _clean_task(spec: TaskSpec) -> TaskSpec:
    spec.title = (spec.title or "").strip()
    if not spec.title:
        raise ServiceError(_("Give the task a title."), field="title")
    _not_past(spec.deadline, "deadline")
    if spec.report_kind not in ReportKind.values:
        raise ServiceError(_("Choose what report is required."), field="report_kind")
    spec.checklist = [item.strip() for item in (spec.checklist or []) if item.strip()]
    if spec.report_kind == ReportKind.CHECKLIST and not spec.checklist:
        raise ServiceError(_("List the checklist items, one per line."), field="checklist")
    if spec.report_kind == ReportKind.NUMBER and not spec.unit.strip():
        raise ServiceError(_("Give the unit of the number (e.g. 人, 次, 份)."), field="unit")
    return spec


def task_create(*, by, plan: WorkPlan, spec: TaskSpec, uploads=()) -> Task:
    _may_issue_from(by, plan.organization)
    spec = _clean_task(spec)
    with transaction.atomic():
        number = (plan.tasks.filter(parent_assignment=None).count() or 0) + 1
        task = Task.objects.create(
            plan=plan,
            organization=plan.organization,
            number=number,
            title=spec.title,
            description=spec.description.strip(),
            lead_office=spec.lead_office.strip(),
            deadline=spec.deadline,
            report_kind=spec.report_kind,
            unit=spec.unit.strip(),
            checklist=spec.checklist,
            created_by=by,
        )
        for upload in uploads:
            attachment_add(upload=upload, user=by, subject=task)
    return task


def task_assign(*, by, task: Task, organizations) -> list[Assignment]:
    """Send a task to organizations below its issuer. Each gets an assignment and an obligation due on the
    task's deadline. Organizations that already have it are skipped."""
    _may_issue_from(by, task.organization)
    organizations = list(organizations)
    _check_below(by, task.organization, organizations)
    if task.deadline < _today():
        raise ServiceError(_("The deadline has passed; this task can no longer be sent."), field="deadline")
    root_id = task.root_id or task.pk
    with transaction.atomic():
        have = set(task.assignments.values_list("organization_id", flat=True))
        new = [org for org in organizations if org.pk not in have]
        now = timezone.now()
        rows = _assignments_insert(task, root_id, new, by, now)
        if task.parent_assignment_id and rows:
            Assignment.objects.filter(pk=task.parent_assignment_id).update(
                split=True, children_total=F("children_total") + len(rows)
            )
    return rows


def _assignments_insert(task: Task, root_id: int, organizations, by, now) -> list[Assignment]:
    """Obligations first (an assignment cannot exist without one), then the assignments pointing at them,
    then the obligations' subject set to their assignment."""
    if not organizations:
        return []
    obligations = engine.obligations_create_many(
        kind=TASK_ASSIGNMENT,
        items=[(org, task.title, task.deadline, None) for org in organizations],
        created_by=by,
    )
    rows = [
        Assignment(
            task=task,
            root_id=root_id,
            parent_id=task.parent_assignment_id,
            organization=org,
            deadline=task.deadline,
            obligation=ob,
            assigned_by=by,
            created_at=now,
        )
        for org, ob in zip(organizations, obligations, strict=True)
    ]
    rows = bulk_create_with_history(rows, Assignment, batch_size=2000, default_user=by)
    engine.obligations_subject_set(Assignment.objects.filter(task=task, created_at=now))
    return rows


def task_split(*, by, assignment: Assignment, spec: TaskSpec, organizations) -> Task:
    """一级抓一级 — the receiving unit passes its assignment down as a child task to its own subordinates,
    due no later than its own deadline. Its progress is then derived from theirs."""
    org = assignment.organization
    _may_issue_from(by, org)
    if not assignment.obligation.is_unclosed:
        raise ServiceError(_("This assignment is already closed."))
    spec = _clean_task(spec)
    if spec.deadline > assignment.deadline:
        raise ServiceError(
            _("The deadline cannot be later than your own (%(date)s).") % {"date": assignment.deadline},
            field="deadline",
        )
    parent_task = assignment.task
    with transaction.atomic():
        task = Task.objects.create(
            plan_id=parent_task.plan_id,
            root_id=assignment.root_id,
            parent_assignment=assignment,
            organization=org,
            number=parent_task.number,
            title=spec.title,
            description=spec.description.strip(),
            lead_office=spec.lead_office.strip() or parent_task.lead_office,
            deadline=spec.deadline,
            report_kind=spec.report_kind,
            unit=spec.unit.strip(),
            checklist=spec.checklist,
            created_by=by,
        )
        task_assign(by=by, task=task, organizations=organizations)
    return task


def can_review(user, assignment: Assignment) -> bool:
    """The assigning side: a holder of 'assign' on the task's issuing organization (or above it)."""
    return scoping.has_perm_on(user, OBLIGATIONS_CREATE, assignment.task.organization.path)


def _clean_report(task: Task, *, text: str, number, checked, completion: bool):
    text = (text or "").strip()
    checked = [item for item in (checked or []) if item in task.checklist]
    if task.report_kind == ReportKind.TEXT and not text:
        raise ServiceError(_("The report is empty: say what was done."), field="text")
    if task.report_kind == ReportKind.NUMBER and number is None:
        raise ServiceError(_("Enter the figure (%(unit)s).") % {"unit": task.unit}, field="number")
    if task.report_kind == ReportKind.CHECKLIST:
        if not checked and not text:
            raise ServiceError(_("Tick the items done, or say what was done."), field="checked")
        if completion and len(set(checked)) < len(task.checklist):
            raise ServiceError(
                _("Every checklist item must be done before asking for completion."), field="checked"
            )
    return text, number, checked


def report_add(
    *,
    by,
    assignment: Assignment,
    text: str = "",
    number=None,
    checked=None,
    completion: bool = False,
    uploads=(),
) -> Report:
    """The unit reports progress, or asks for completion (the assigner then accepts or returns it)."""
    obligation = assignment.obligation
    if not can_report_for(by, assignment.organization, obligation):
        raise NotPermitted()
    if obligation.state == ObligationState.SUBMITTED:
        raise ServiceError(_("Completion was asked for; wait for the assigner to accept or return it."))
    if not obligation.is_unclosed:
        raise ServiceError(_("This assignment is already closed."))
    task = assignment.task
    text, number, checked = _clean_report(
        task, text=text, number=number, checked=checked, completion=completion
    )
    now = timezone.now()
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update().select_related("organization").get(pk=assignment.pk)
        )
        if completion and assignment.split and assignment.children_done < assignment.children_total:
            raise ServiceError(
                _("%(left)d of the units you passed it to have not finished yet.")
                % {"left": assignment.children_total - assignment.children_done}
            )
        report = Report.objects.create(
            assignment=assignment,
            type=ReportType.COMPLETION if completion else ReportType.PROGRESS,
            text=text,
            number=number,
            checked=checked,
            by=by,
            at=now,
        )
        for upload in uploads:
            attachment_add(upload=upload, user=by, subject=report)
        assignment.last_report_at = now
        assignment.last_report_text = (text or _summary(task, number, checked))[:200]
        fields = ["last_report_at", "last_report_text"]
        if completion:
            assignment.submitted_on = timezone.localdate()
            fields.append("submitted_on")
            engine.obligation_submit(obligation=obligation, user=by, note=text)
        assignment.save(update_fields=fields)
    data_changed()
    if completion:
        reviewers = [task.created_by, *users_holding(OBLIGATIONS_CREATE, on_paths=[task.organization.path])]
        notify(
            reviewers,
            title=_("Please accept: %(title)s"),
            body=_("%(unit)s reports the task complete."),
            values={"title": task.title, "unit": assignment.organization.name},
            url=assignment.get_absolute_url(),
        )
    return report


def _summary(task: Task, number, checked) -> str:
    if task.report_kind == ReportKind.NUMBER and number is not None:
        return f"{number.normalize():f} {task.unit}"
    if task.report_kind == ReportKind.CHECKLIST:
        return f"{len(checked)}/{len(task.checklist)}"
    return ""


def assignment_accept(*, by, assignment: Assignment, note: str = "") -> Assignment:
    """The assigner accepts a completion request: the obligation closes, on time when the request came by
    the deadline. Accepting twice changes nothing."""
    if not can_review(by, assignment):
        raise NotPermitted()
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().select_related("obligation").get(pk=assignment.pk)
        if assignment.accepted_at is not None:
            return assignment
        if assignment.obligation.state != ObligationState.SUBMITTED:
            raise ServiceError(_("The unit has not asked for completion yet."))
        engine.obligation_mark_done(
            obligation=assignment.obligation, user=by, note=note or str(_("Accepted."))
        )
        assignment.accepted_at = timezone.now()
        assignment.accepted_by = by
        assignment.on_time = assignment.submitted_on <= assignment.deadline
        assignment.save(update_fields=["accepted_at", "accepted_by", "on_time"])
        Report.objects.create(assignment=assignment, type=ReportType.ACCEPTED, text=note.strip(), by=by)
        if assignment.parent_id:
            Assignment.objects.filter(pk=assignment.parent_id).update(children_done=F("children_done") + 1)
    data_changed()
    return assignment


def assignment_return(*, by, assignment: Assignment, reason: str) -> Assignment:
    """The assigner returns a completion request with a reason; the unit's obligation goes back on its
    ladder where it was."""
    reason = (reason or "").strip()
    if not can_review(by, assignment):
        raise NotPermitted()
    if not reason:
        raise ServiceError(_("Say why it is returned."), field="reason")
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().select_related("obligation").get(pk=assignment.pk)
        if assignment.obligation.state != ObligationState.SUBMITTED:
            raise ServiceError(_("Only a completion request awaiting acceptance can be returned."))
        engine.obligation_return(obligation=assignment.obligation, user=by, reason=reason)
        assignment.submitted_on = None
        assignment.save(update_fields=["submitted_on"])
        Report.objects.create(assignment=assignment, type=ReportType.RETURNED, text=reason, by=by)
    data_changed()
    person = assignment.obligation.responsible
    notify(
        [person.user] if person is not None and person.user_id else [],
        title=_("Returned: %(title)s"),
        body=_("Reason: %(reason)s"),
        values={"title": assignment.task.title, "reason": reason},
        url=assignment.get_absolute_url(),
    )
    return assignment
