"""Recording organizational life: plans published, meetings recorded once with their attendance, members'
own confirmation by QR, supervision visits. Each service checks the user's right on the branch and refuses bad
input with a message for the user, saving nothing."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import ORGLIFE_PLAN, ORGLIFE_RECORD, ORGLIFE_SUPERVISE
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.orglife.models import (
    AbsenceReason,
    AgendaItem,
    Attendance,
    CheckInConflict,
    ConflictStatus,
    Meeting,
    MeetingKind,
    MeetingRule,
    Organizer,
    PlanSupervisor,
    SupervisionVisit,
    ThemeDayPlan,
)
from luoshi.orglife.periods import month_end

DEFAULT_RECORD_WITHIN_DAYS = 7


class DuplicateMeeting(ServiceError):
    """The branch already recorded this kind of meeting at that time: offered as an edit instead."""

    def __init__(self, meeting):
        super().__init__(
            _("This meeting is already recorded (%(meeting)s): open it to correct it instead.")
            % {"meeting": meeting},
            field="starts_at",
        )
        self.meeting = meeting


# --- rules --------------------------------------------------------------------------------------------------


def rules_applying(branches, on: date) -> dict[tuple[int, str], MeetingRule]:
    """(branch id, kind) -> the rule that applies on `on` to each of `branches` ((id, path) pairs): of the
    rules in force, the one of the nearest organization above the branch (a street's own stricter rule over
    the district's); of one organization's, the latest in force."""
    rules = sorted(
        MeetingRule.objects.in_force(on).select_related("organization"),
        key=lambda r: (len(r.organization.path), r.effective_from),
    )
    out = {}
    for branch_id, path in branches:
        for rule in rules:  # nearer and later rules come later: they win
            if path.startswith(rule.organization.path):
                out[(branch_id, rule.kind)] = rule
    return out


def rules_in_force(branch_path: str, on: date) -> dict[str, MeetingRule]:
    """kind -> the rule that applies to the branch at `branch_path` on `on` (see rules_applying)."""
    return {kind: rule for (_b, kind), rule in rules_applying([(None, branch_path)], on).items()}


# The standing rules (三会一课 and the yearly meetings), as the 2018 branch-work regulations set them: what a
# district adopts on its first day; each is data a street may tighten with its own rule.
STANDARD_RULES = (
    (
        MeetingKind.GENERAL_MEETING,
        "quarter",
        1,
        "《中国共产党支部工作条例（试行）》第十六条：支部党员大会一般每季度召开1次",
    ),
    (
        MeetingKind.COMMITTEE_MEETING,
        "month",
        1,
        "《中国共产党支部工作条例（试行）》第十六条：支部委员会会议一般每月召开1次",
    ),
    (
        MeetingKind.GROUP_MEETING,
        "month",
        1,
        "《中国共产党支部工作条例（试行）》第十六条：党小组会一般每月召开1次",
    ),
    (
        MeetingKind.PARTY_LECTURE,
        "quarter",
        1,
        "《中国共产党支部工作条例（试行）》第十六条：党课每季度至少1次",
    ),
    (
        MeetingKind.THEME_DAY,
        "month",
        1,
        "《中国共产党支部工作条例（试行）》第十六条：每月相对固定1天开展主题党日",
    ),
    (
        MeetingKind.LIFE_MEETING,
        "year",
        1,
        "《中国共产党支部工作条例（试行）》第十七条：组织生活会一般每年召开1次",
    ),
    (
        MeetingKind.DEMOCRATIC_EVALUATION,
        "year",
        1,
        "《中国共产党支部工作条例（试行）》第十七条：民主评议党员一般每年开展1次",
    ),
)


def rule_save(
    *,
    by,
    organization,
    kind: str,
    frequency: str,
    times: int = 1,
    record_within_days: int = 7,
    effective_from: date,
    effective_until: date | None = None,
    basis: str = "",
    rule: MeetingRule | None = None,
) -> MeetingRule:
    """A rule for the branches under `organization` (its office's own), or a correction of one."""
    from luoshi.orglife.models import Frequency

    if by is not None and not scoping.has_perm_at(by, ORGLIFE_PLAN, organization.path):
        raise NotPermitted
    if kind not in MeetingKind.values or frequency not in Frequency.values:
        raise ServiceError(_("Choose the kind of meeting and how often it is due."))
    if times < 1 or record_within_days > 60:
        raise ServiceError(_("At least once per period, and recorded within 60 days at most."), field="times")
    if effective_until is not None and effective_until < effective_from:
        raise ServiceError(_("The rule cannot end before it begins."), field="effective_until")
    rule = rule or MeetingRule(organization=organization)
    rule.kind, rule.frequency, rule.times = kind, frequency, times
    rule.record_within_days, rule.basis = record_within_days, basis
    rule.effective_from, rule.effective_until = effective_from, effective_until
    rule._change_reason = _("Rule edited")
    rule.save()
    data_changed()
    return rule


def rules_default(*, organization, effective_from: date, by=None) -> list[MeetingRule]:
    """The standing rules (STANDARD_RULES) for everything under `organization`, if it has none yet."""
    if MeetingRule.objects.filter(organization=organization).exists():
        return []
    return [
        rule_save(
            by=by,
            organization=organization,
            kind=kind,
            frequency=frequency,
            times=times,
            effective_from=effective_from,
            basis=basis,
        )
        for kind, frequency, times, basis in STANDARD_RULES
    ]


def recording_deadline(meeting_day: date, rule: MeetingRule | None) -> date:
    days = rule.record_within_days if rule is not None else DEFAULT_RECORD_WITHIN_DAYS
    return meeting_day + timedelta(days=days)


# --- plans --------------------------------------------------------------------------------------------------


@dataclass
class PlanInput:
    month: date
    window_start: date
    window_end: date
    theme: str
    materials: str = ""
    required_items: tuple = ()
    records_to_keep: str = ""
    organizer: str = Organizer.SECRETARY


def _check_plan(data: PlanInput) -> None:
    first = data.month.replace(day=1)
    if not (first <= data.window_start <= data.window_end <= month_end(first)):
        raise ServiceError(
            _("The window must lie within the plan's month and end on or after it starts."),
            field="window_end",
        )
    unknown = [code for code in data.required_items if code not in AgendaItem.values]
    if unknown:
        raise ServiceError(_("Unknown agenda items: %(items)s") % {"items": ", ".join(unknown)})
    if not data.theme.strip():
        raise ServiceError(_("Give the month's theme."), field="theme")


def plan_save(*, by, organization, data: PlanInput, plan: ThemeDayPlan | None = None) -> ThemeDayPlan:
    """Create a plan for the branches under `organization` (a district or street office), or correct one."""
    if not scoping.has_perm_at(by, ORGLIFE_PLAN, organization.path):
        raise NotPermitted
    _check_plan(data)
    plan = plan or ThemeDayPlan(organization=organization, created_by=by)
    if plan.pk and plan.organization_id != organization.pk:
        raise ServiceError(_("A plan stays with the office that made it."))
    plan.month = data.month.replace(day=1)
    plan.window_start, plan.window_end = data.window_start, data.window_end
    plan.theme, plan.materials = data.theme.strip(), data.materials.strip()
    plan.required_items = list(dict.fromkeys(data.required_items))
    plan.records_to_keep, plan.organizer = data.records_to_keep.strip(), data.organizer
    plan._change_reason = _("Plan edited")
    plan.save()
    data_changed()
    return plan


def plan_publish(*, plan: ThemeDayPlan, by) -> ThemeDayPlan:
    """Publish the plan: every branch under the office sees it at once, and their secretaries get a message."""
    from luoshi.core.notifications import notify_many
    from luoshi.orgs.models import Organization
    from luoshi.orgs.selectors import sitting_secretaries
    from luoshi.orgs.tree import subtree_q

    if not scoping.has_perm_at(by, ORGLIFE_PLAN, plan.organization.path):
        raise NotPermitted
    if plan.published_at is not None:
        raise ServiceError(_("The plan is already published."))
    plan.published_at = timezone.now()
    plan._change_reason = _("Published")
    plan.save(update_fields=["published_at"])
    branches = Organization.objects.active().filter(subtree_q([plan.organization.path]), holds_members=True)
    secretaries = sitting_secretaries(branches)
    notify_many(
        (
            person.user,
            _("Theme day %(month)s: %(theme)s"),
            _("Hold it between %(start)s and %(end)s."),
            {
                "month": f"{plan.month:%Y-%m}",
                "theme": plan.theme,
                "start": plan.window_start.isoformat(),
                "end": plan.window_end.isoformat(),
            },
            None,
            plan.get_absolute_url(),
        )
        for person in secretaries.values()
        if person.user_id
    )
    data_changed()
    return plan


def supervisors_assign(*, plan: ThemeDayPlan, by, assignments: dict) -> int:
    """统一督导: {branch: supervisor user} for the plan; a branch's earlier assignment is replaced (history
    keeps nothing of PlanSupervisor rows but the plan's own history says who changed them)."""
    if not scoping.has_perm_at(by, ORGLIFE_PLAN, plan.organization.path):
        raise NotPermitted
    with transaction.atomic():
        for branch, supervisor in assignments.items():
            if not branch.path.startswith(plan.organization.path):
                raise ServiceError(_("%(branch)s is not under the plan's office.") % {"branch": branch})
            PlanSupervisor.objects.update_or_create(
                plan=plan, branch=branch, defaults={"supervisor": supervisor}
            )
    data_changed()
    return len(assignments)


def supervision_record(
    *, plan: ThemeDayPlan, branch, by, visited_on: date, items_seen=(), notes: str = ""
) -> SupervisionVisit:
    assigned = PlanSupervisor.objects.filter(plan=plan, branch=branch, supervisor=by).exists()
    if not assigned and not scoping.has_perm_on(by, ORGLIFE_SUPERVISE, branch.path):
        raise NotPermitted
    if visited_on > timezone.localdate():
        raise ServiceError(_("A visit cannot be dated in the future."), field="visited_on")
    unknown = [code for code in items_seen if code not in plan.required_items]
    if unknown:
        raise ServiceError(_("Only the plan's required items can be checked."), field="items_seen")
    visit = SupervisionVisit.objects.create(
        plan=plan,
        branch=branch,
        supervisor=by,
        visited_on=visited_on,
        items_seen=list(items_seen),
        notes=notes,
    )
    data_changed()
    return visit


# --- meetings -----------------------------------------------------------------------------------------------


@dataclass
class MeetingInput:
    kind: str
    starts_at: datetime
    place: str
    topic: str
    record: str
    agenda: tuple = ()
    plan: ThemeDayPlan | None = None
    presider: object = None  # orgs.Person
    delegation: str = ""
    omission_note: str = ""
    # member id -> (present, absence reason)
    attendance: dict | None = None


def roll_of(branch):
    """The members on the branch's roll now."""
    from luoshi.members.models import Member

    return Member.objects.active().filter(organization=branch)


def _check_meeting(branch, data: MeetingInput, now: datetime) -> None:
    if data.kind not in MeetingKind.values:
        raise ServiceError(_("Choose the kind of meeting."), field="kind")
    if data.starts_at > now:
        raise ServiceError(
            _("A meeting can be recorded only once it has begun: the time is in the future."),
            field="starts_at",
        )
    if not data.record.strip():
        raise ServiceError(_("Write what the meeting decided, in a few lines."), field="record")
    unknown = [code for code in data.agenda if code not in AgendaItem.values]
    if unknown:
        raise ServiceError(
            _("Unknown agenda items: %(items)s") % {"items": ", ".join(unknown)}, field="agenda"
        )
    plan = data.plan
    if plan is not None:
        if plan.published_at is None or not branch.path.startswith(plan.organization.path):
            raise ServiceError(_("That plan is not one published for this branch."), field="plan")
        missing = [
            label
            for code, label in AgendaItem.choices
            if code in plan.required_items and code not in data.agenda
        ]
        if missing and not data.omission_note.strip():
            raise ServiceError(
                _("The plan requires %(items)s. Tick what was held, or say why it was not held.")
                % {"items": "、".join(str(m) for m in missing)},
                field="agenda",
            )
    if (
        data.presider is not None
        and data.delegation.strip() == ""
        and not _is_secretary(branch, data.presider, data.starts_at.date())
    ):
        # presiding in the secretary's place is allowed, with the reason (统一组织)
        if plan is not None and plan.organizer == Organizer.SECRETARY_IN_PERSON:
            raise ServiceError(_("The plan asks the secretary to organize it in person."), field="presider")
        raise ServiceError(
            _("%(person)s is not the branch secretary: say why the secretary delegated it.")
            % {"person": data.presider},
            field="delegation",
        )


def _is_secretary(branch, person, on: date) -> bool:
    from luoshi.orgs.models import Position, PositionKind

    return (
        Position.objects.filter(
            organization=branch, person=person, kind=PositionKind.SECRETARY, start_date__lte=on
        )
        .exclude(end_date__lt=on)
        .exists()
    )


def _check_attendance(attendance: dict, roll_ids: set) -> None:
    strangers = [pk for pk in attendance if pk not in roll_ids]
    if strangers:
        from luoshi.members.models import Member

        names = "、".join(Member.objects.filter(pk__in=strangers[:5]).values_list("name", flat=True)) or str(
            strangers[0]
        )
        raise ServiceError(
            _("Not on this branch's roll: %(names)s. Record attendance of the branch's own members only.")
            % {"names": names},
            field="attendance",
        )
    for present, reason in attendance.values():
        if not present and reason and reason not in AbsenceReason.values:
            raise ServiceError(_("Unknown reason for absence."), field="attendance")


def meeting_record(
    *, by, branch, data: MeetingInput, meeting: Meeting | None = None, files=(), now=None
) -> Meeting:
    """Record a meeting once (or correct it): the meeting, each member's attendance, files. A record made after
    the rule's window is accepted and marked late with its time. The same branch, kind and time twice is
    refused with the existing record offered for correction."""
    from luoshi.core.attachments import attachment_add

    if not scoping.has_perm_on(by, ORGLIFE_RECORD, branch.path):
        raise NotPermitted
    if not branch.holds_members:
        raise ServiceError(_("Meetings are recorded by the branch that holds the members."))
    now = now or timezone.now()
    _check_meeting(branch, data, now)
    roll = set(roll_of(branch).values_list("pk", flat=True))
    attendance = data.attendance or {}
    _check_attendance(attendance, roll)
    twin = Meeting.objects.held().filter(branch=branch, kind=data.kind, starts_at=data.starts_at)
    if meeting is not None:
        twin = twin.exclude(pk=meeting.pk)
    if twin.exists():
        raise DuplicateMeeting(twin.first())
    if meeting is not None and meeting.branch_id != branch.pk:
        raise ServiceError(_("A meeting stays with its branch."))
    rule = rules_in_force(branch.path, data.starts_at.date()).get(data.kind)
    with transaction.atomic():
        creating = meeting is None
        meeting = meeting or Meeting(branch=branch, recorded_by=by)
        meeting.kind, meeting.starts_at, meeting.plan = data.kind, data.starts_at, data.plan
        meeting.place, meeting.topic, meeting.record = (
            data.place.strip(),
            data.topic.strip(),
            data.record.strip(),
        )
        meeting.agenda = list(dict.fromkeys(data.agenda))
        meeting.presider, meeting.delegation = data.presider, data.delegation.strip()
        meeting.omission_note = data.omission_note.strip()
        if creating:
            meeting.late = timezone.localtime(now).date() > recording_deadline(
                timezone.localtime(data.starts_at).date(), rule
            )
        meeting.roll = len(roll)
        meeting.present = sum(1 for present, _r in attendance.values() if present)
        meeting.absent = len(attendance) - meeting.present
        meeting._change_reason = _("Recorded") if creating else _("Corrected")
        meeting.save()
        _attendance_save(meeting, attendance)
        if not creating:
            _conflicts_settle(meeting, by)
        for upload in files:
            attachment_add(upload=upload, user=by, subject=meeting)
    from luoshi.orglife.obligations import meeting_dues_close

    meeting_dues_close(meeting)  # a meeting held for a period that ended without it closes that obligation
    data_changed()
    return meeting


def _attendance_save(meeting: Meeting, attendance: dict) -> None:
    existing = {a.member_id: a for a in meeting.attendance.all()}
    new = []
    for member_id, (present, reason) in attendance.items():
        reason = "" if present else (reason or AbsenceReason.UNEXCUSED)
        row = existing.get(member_id)
        if row is None:
            new.append(Attendance(meeting=meeting, member_id=member_id, present=present, reason=reason))
        elif (row.present, row.reason) != (present, reason):
            row.present, row.reason = present, reason
            row.save(update_fields=["present", "reason"])
    if new:
        from simple_history.utils import bulk_create_with_history

        bulk_create_with_history(new, Attendance, batch_size=1000)


def meeting_withdraw(*, meeting: Meeting, by, reason: str) -> Meeting:
    if not scoping.has_perm_on(by, ORGLIFE_RECORD, meeting.branch.path):
        raise NotPermitted
    if not reason.strip():
        raise ServiceError(_("Say why the record is withdrawn."), field="reason")
    meeting.withdrawn_at = timezone.now()
    meeting.withdrawn_reason = reason.strip()
    meeting._change_reason = reason.strip()
    meeting.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    data_changed()
    return meeting


def member_of_user(user):
    """The register's record of the person logged in (their login's person, by national ID), or None."""
    from luoshi.members.models import Member

    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is None or not person.national_id:
        return None
    return Member.objects.active().filter(national_id=person.national_id).first()


def attendance_confirm(*, token: str, user, now=None) -> Attendance:
    """A member confirms their own attendance with the QR code shown at the meeting: on the meeting's day and
    the next. Never required, never scored. When the secretary has not marked the member, or marked them
    present, it marks them present and says they confirmed it. When the secretary recorded them absent, the
    secretary's record stands: the attendance row comes back unchanged, the confirmation is kept beside it as
    a CheckInConflict (`row.checkin_conflict`) and the branch's recorders are told, to decide it
    (`checkin_conflict_decide`). Confirming again changes nothing."""
    now = now or timezone.now()
    meeting = Meeting.objects.held().filter(checkin_token=token).select_related("branch").first()
    if meeting is None:
        raise ServiceError(_("This code is not valid any more."))
    day = timezone.localtime(meeting.starts_at).date()
    if not day <= timezone.localtime(now).date() <= day + timedelta(days=1):
        raise ServiceError(_("Attendance can be confirmed on the meeting's day and the day after only."))
    member = member_of_user(user)
    if member is None or member.organization_id != meeting.branch_id:
        raise ServiceError(_("Your record is not on this branch's roll; ask the secretary to record you."))
    with transaction.atomic():
        row, created = Attendance.objects.select_for_update().get_or_create(
            meeting=meeting, member=member, defaults={"present": True, "confirmed_at": now}
        )
        if not created and not row.present:
            conflict, opened = CheckInConflict.objects.get_or_create(
                attendance=row, defaults={"confirmed_by": user, "confirmed_at": now}
            )
            if opened:
                _tell_recorders(conflict)
            return row
        if not created:
            row.present, row.reason, row.confirmed_at = True, "", row.confirmed_at or now
            row.save(update_fields=["present", "reason", "confirmed_at"])
        _recount(meeting)
    data_changed()
    return row


def _tell_recorders(conflict: CheckInConflict) -> None:
    from django.utils.translation import gettext_lazy

    from luoshi.core.notifications import notify, users_holding

    meeting = conflict.attendance.meeting
    notify(
        users_holding(ORGLIFE_RECORD, on_paths=[meeting.branch.path]),
        title=gettext_lazy("%(name)s confirmed attending a meeting you recorded them absent from"),
        body=gettext_lazy(
            "%(meeting)s: your record stands until you decide, on the meeting's page, to accept the confirmation "
            "or keep your record."
        ),
        values={"name": conflict.attendance.member.name, "meeting": str(meeting)},
        url=meeting.get_absolute_url(),
    )


def checkin_conflict_decide(
    *, by, conflict: CheckInConflict, accept: bool, note: str = ""
) -> CheckInConflict:
    """The secretary decides a member's confirmation that contradicts the record: `accept` marks the member
    present (the counts, the archive and the six unifications follow); otherwise the record is kept, with the
    reason (`note`, required: the member is told their confirmation was not accepted). Kept in the history with
    who and when; deciding twice changes nothing."""
    if not scoping.has_perm_on(by, ORGLIFE_RECORD, conflict.attendance.meeting.branch.path):
        raise NotPermitted
    note = (note or "").strip()
    if not accept and not note:
        raise ServiceError(
            _("Say why your record stands (e.g. on sick leave, left before the meeting began)."), field="note"
        )
    with transaction.atomic():
        conflict = (
            CheckInConflict.objects.select_for_update()
            .select_related("attendance__meeting")
            .get(pk=conflict.pk)
        )
        if conflict.status != ConflictStatus.OPEN:
            return conflict
        meeting = conflict.attendance.meeting
        if meeting.withdrawn_at is not None:
            raise ServiceError(_("The meeting's record is withdrawn."))
        now = timezone.now()
        conflict.status = ConflictStatus.ACCEPTED if accept else ConflictStatus.KEPT
        conflict.decided_by, conflict.decided_at, conflict.note = by, now, note[:300]
        conflict._change_reason = conflict.get_status_display()
        conflict.save()
        if accept:
            row = conflict.attendance
            row.present, row.reason, row.confirmed_at = True, "", conflict.confirmed_at
            row._change_reason = _("The member's confirmation accepted")
            row._history_user = by
            row.save(update_fields=["present", "reason", "confirmed_at"])
            _recount(meeting)
    data_changed()
    return conflict


def _recount(meeting: Meeting) -> None:
    present = meeting.attendance.filter(present=True).count()
    Meeting.objects.filter(pk=meeting.pk).update(present=present, absent=meeting.attendance.count() - present)


def _conflicts_settle(meeting: Meeting, by) -> None:
    """A correction that marks present a member whose confirmation awaited the secretary settles it."""
    for conflict in CheckInConflict.objects.open().filter(
        attendance__meeting=meeting, attendance__present=True
    ):
        conflict.status, conflict.decided_by, conflict.decided_at = (
            ConflictStatus.ACCEPTED,
            by,
            timezone.now(),
        )
        conflict.note = str(_("The record was corrected to present."))
        conflict._change_reason = conflict.note
        conflict.save()
