"""集中排查 — the sweep: an office opens it over its subtree; a background job checks every member against the
rules (analytics.sweep, DuckDB) and records each breach as a finding; the member's branch answers with facts and
reaches one of the outcomes — educate, rectify (with a deadline, an obligation), persuade to leave, remove — the
last two only after the member's statement (or a note that they declined), the branch meeting's decision and the
higher organization's approval, recorded in that order."""

from datetime import timedelta
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_MANAGE
from luoshi.core import obligations as engine
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members.models import FindingStatus, Outcome, Sweep, SweepFinding, SweepStatus
from luoshi.members.obligations import SWEEP_RECTIFY
from luoshi.orgs.models import Organization

RULES_FILE = Path(__file__).resolve().parent / "sweep_rules.yaml"
STALE = timedelta(minutes=10)


def rules() -> list[dict]:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def rule_of(sweep: Sweep, code: str) -> dict:
    return next((r for r in sweep.rules if r["code"] == code), {"code": code, "name": code, "article": ""})


def can_open(user) -> bool:
    """Whether `sweep_open` accepts some organization from the user (an office, not a branch, within a grant
    to manage members): who is shown the form to open one."""
    return Organization.objects.filter(scoping.scope_q(user, MEMBERS_MANAGE), holds_members=False).exists()


def sweep_open(*, by, organization, title: str = "", as_of=None, queue: bool = True) -> Sweep:
    """An office opens a sweep over its subtree as of a day (today by default); the check runs in the background."""
    if not scoping.has_perm_on(by, MEMBERS_MANAGE, organization.path) or organization.holds_members:
        raise NotPermitted()
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ServiceError(_("The sweep cannot look at a day after today."), field="as_of")
    title = (title or "").strip() or _("%(org)s member relationship sweep %(day)s") % {
        "org": organization.name,
        "day": as_of.isoformat(),
    }
    sweep = Sweep.objects.create(
        organization=organization, title=title[:200], as_of=as_of, rules=rules(), opened_by=by
    )
    if queue:
        from luoshi.members import tasks

        transaction.on_commit(lambda: tasks.sweep_run_task(sweep.pk))
    return sweep


def sweep_run(sweep_id: int) -> Sweep:
    """The job: extract, check, record the findings in one transaction. A job that died left nothing and runs
    again to the same result; a finished one is left as it is."""
    from luoshi.analytics import sweep as job

    sweep = Sweep.objects.select_related("organization").get(pk=sweep_id)
    if sweep.status != SweepStatus.RUNNING:
        return sweep
    started = timezone.now()
    tables = job.extract(sweep.organization.path, sweep.as_of)
    from django.conf import settings

    result = job.run(tables, sweep.rules, sweep.as_of, engine=settings.ANALYTICS_ENGINE)
    orgs = dict(zip(tables["members"]["id"].to_pylist(), tables["members"]["org"].to_pylist(), strict=True))
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
        if sweep.status != SweepStatus.RUNNING:
            return sweep
        SweepFinding.objects.bulk_create(
            (
                SweepFinding(
                    sweep=sweep, member_id=member, organization_id=orgs[member], rule=code, facts=facts
                )
                for member, code, facts in result.findings
            ),
            batch_size=2000,
        )
        sweep.summary = {
            "rules": result.counts,
            "members": result.members,
            "engine": settings.ANALYTICS_ENGINE,
            "seconds": {**result.seconds, "total": round((timezone.now() - started).total_seconds(), 2)},
        }
        sweep.status = SweepStatus.OPEN
        sweep.save()
    data_changed()
    return sweep


def sweeps_resume(now=None) -> int:
    from luoshi.members import tasks

    now = now or timezone.now()
    stale = list(Sweep.objects.filter(status=SweepStatus.RUNNING, updated_at__lt=now - STALE))
    for sweep in stale:
        Sweep.objects.filter(pk=sweep.pk).update(updated_at=now)
        tasks.sweep_run_task(sweep.pk)
    return len(stale)


# --- a finding ----------------------------------------------------------------------------------------------


def can_answer(user, finding: SweepFinding) -> bool:
    return scoping.has_perm_on(user, MEMBERS_MANAGE, finding.organization.path)


def can_approve(user, finding: SweepFinding) -> bool:
    """The higher organization: a grant of members.manage strictly above the member's branch."""
    return scoping.has_perm_on(user, MEMBERS_MANAGE, finding.organization.path, above=True)


def _locked(finding):
    return (
        SweepFinding.objects.select_for_update()
        .select_related("member", "organization", "sweep")
        .get(pk=finding.pk)
    )


def finding_answer(*, by, finding: SweepFinding, answer: str) -> SweepFinding:
    """The branch answers with the facts (what it found out, from whom, when)."""
    if not can_answer(by, finding):
        raise NotPermitted()
    if not (answer or "").strip():
        raise ServiceError(_("Give the facts: what the branch found out, and how."), field="answer")
    with transaction.atomic():
        finding = _locked(finding)
        if finding.status == FindingStatus.CLOSED:
            raise ServiceError(_("This finding is closed."))
        finding.answer, finding.answered_by, finding.answered_at = answer.strip(), by, timezone.now()
        if finding.status == FindingStatus.OPEN:
            finding.status = FindingStatus.ANSWERED
        finding.save()
    data_changed()
    return finding


def finding_outcome(*, by, finding: SweepFinding, outcome: str, deadline=None) -> SweepFinding:
    """The outcome, after the answer: cleared and educate close the finding; rectify opens an obligation to the
    date; persuade and remove start the due process."""
    if not can_answer(by, finding):
        raise NotPermitted()
    if outcome not in Outcome.values:
        raise ServiceError(_("Choose an outcome."), field="outcome")
    with transaction.atomic():
        finding = _locked(finding)
        if finding.status != FindingStatus.ANSWERED:
            raise ServiceError(
                _("The branch answers with the facts before an outcome is chosen."), field="outcome"
            )
        finding.outcome, finding.outcome_by, finding.outcome_at = outcome, by, timezone.now()
        if outcome in (Outcome.CLEARED, Outcome.EDUCATE):
            finding.status, finding.closed_at = FindingStatus.CLOSED, timezone.now()
        elif outcome == Outcome.RECTIFY:
            if deadline is None or deadline < timezone.localdate():
                raise ServiceError(
                    _("Set the date by which it is put right (today or later)."), field="deadline"
                )
            finding.deadline = deadline
            finding.status = FindingStatus.IN_PROCESS
            finding.obligation = engine.obligation_create(
                kind=SWEEP_RECTIFY,
                title=_("Rectify: %(member)s, %(rule)s")
                % {"member": finding.member.name, "rule": rule_of(finding.sweep, finding.rule)["name"]},
                organization=finding.organization,
                due_date=deadline,
                subject=finding,
                created_by=by,
            )
        else:
            finding.status = FindingStatus.IN_PROCESS
        finding.save()
    data_changed()
    return finding


def finding_rectified(*, by, finding: SweepFinding, note: str) -> SweepFinding:
    if not can_answer(by, finding):
        raise NotPermitted()
    if not (note or "").strip():
        raise ServiceError(_("Say how it was put right."), field="note")
    with transaction.atomic():
        finding = _locked(finding)
        if finding.outcome != Outcome.RECTIFY or finding.status != FindingStatus.IN_PROCESS:
            raise ServiceError(_("Only a finding being rectified can be reported put right."))
        finding.answer = f"{finding.answer}\n{_('Rectified')}: {note.strip()}"
        finding.status, finding.closed_at = FindingStatus.CLOSED, timezone.now()
        finding.save()
        engine.obligation_mark_done(obligation=finding.obligation, user=by, note=note.strip())
    data_changed()
    return finding


def _in_due_process(finding):
    if (
        finding.outcome not in (Outcome.PERSUADE, Outcome.REMOVE)
        or finding.status != FindingStatus.IN_PROCESS
    ):
        raise ServiceError(_("This finding is not in the process of persuasion or removal."))


def finding_statement(
    *, by, finding: SweepFinding, statement: str = "", declined: bool = False
) -> SweepFinding:
    """Step 1: the member's own statement, or a note that they declined to give one."""
    if not can_answer(by, finding):
        raise NotPermitted()
    if not declined and not (statement or "").strip():
        raise ServiceError(
            _("Record the member's statement, or that they declined to give one."), field="statement"
        )
    with transaction.atomic():
        finding = _locked(finding)
        _in_due_process(finding)
        finding.statement = (statement or "").strip() or _("The member declined to make a statement.")
        finding.statement_declined = bool(declined)
        finding.statement_at = timezone.now()
        finding.save()
    data_changed()
    return finding


def finding_meeting(*, by, finding: SweepFinding, decision: str, held_on) -> SweepFinding:
    """Step 2: the branch meeting's decision and its date, after the statement."""
    if not can_answer(by, finding):
        raise NotPermitted()
    with transaction.atomic():
        finding = _locked(finding)
        _in_due_process(finding)
        if finding.statement_at is None:
            raise ServiceError(
                _("Record the member's statement (or that they declined) before the meeting's decision.")
            )
        if not (decision or "").strip() or held_on is None:
            raise ServiceError(_("Record the meeting's decision and the day it was held."), field="decision")
        if held_on > timezone.localdate():
            raise ServiceError(_("The meeting cannot be held after today."), field="held_on")
        finding.meeting_decision, finding.meeting_on = decision.strip(), held_on
        finding.save()
    data_changed()
    return finding


def finding_approve(*, by, finding: SweepFinding, approval: str) -> SweepFinding:
    """Step 3: the higher organization approves; the member leaves the register (archived, never deleted)."""
    if not can_approve(by, finding):
        raise NotPermitted()
    if not (approval or "").strip():
        raise ServiceError(_("Record the approval (its document number or meeting)."), field="approval")
    with transaction.atomic():
        finding = _locked(finding)
        _in_due_process(finding)
        if finding.statement_at is None or finding.meeting_on is None:
            raise ServiceError(
                _("The member's statement and the branch meeting's decision come before the approval.")
            )
        finding.approval, finding.approved_by, finding.approved_at = approval.strip(), by, timezone.now()
        finding.status, finding.closed_at = FindingStatus.CLOSED, timezone.now()
        finding.save()
        member = finding.member
        member.archived_at = timezone.now()
        member.archived_reason = str(
            _("%(outcome)s (%(sweep)s): %(approval)s")
            % {
                "outcome": finding.get_outcome_display(),
                "sweep": finding.sweep.title,
                "approval": approval.strip(),
            }
        )[:200]
        member._change_reason = member.archived_reason
        member._history_user = by
        member.save()
    data_changed()
    return finding
