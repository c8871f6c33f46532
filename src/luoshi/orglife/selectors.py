"""What organizational life's records say: the plans a branch answers, the six unifications per branch and their
roll-up, each member's last organizational life, the quarterly one-table report (一表通) and the year's archive
contents. Every figure is derived from the meetings as recorded: nothing is typed twice."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.accounts.permissions import ORGS_VIEW
from luoshi.accounts.scoping import scope_q
from luoshi.orglife.models import (
    AgendaItem,
    Attendance,
    CheckInConflict,
    Meeting,
    MeetingKind,
    MeetingRule,
    Organizer,
    PlanSupervisor,
    SupervisionVisit,
    ThemeDayPlan,
)
from luoshi.orgs.models import Organization
from luoshi.orgs.tree import ancestor_paths, subtree_q

MARKS = ("time", "theme", "standard", "supervision", "organization", "archive")
MARK_LABELS = {
    "time": "统一时间",
    "theme": "统一主题",
    "standard": "统一标准",
    "supervision": "统一督导",
    "organization": "统一组织",
    "archive": "统一归档",
}


def checkin_conflicts_visible(user):
    """Members' confirmations that contradict the record, of the meetings the user sees."""
    return CheckInConflict.objects.filter(
        scope_q(user, ORGS_VIEW, field="attendance__meeting__branch__path")
    ).select_related("attendance__member", "attendance__meeting__branch", "confirmed_by", "decided_by")


def checkin_conflict_get_visible(user, pk) -> CheckInConflict:
    """404 for a missing, hidden or malformed id alike (an id of "null,null" is not a 500)."""
    from luoshi.core.selectors import get_or_404

    return get_or_404(checkin_conflicts_visible(user), pk)


def checkin_conflict_of(row: Attendance) -> CheckInConflict | None:
    """The member's confirmation kept beside this attendance row, if it contradicted the record."""
    return CheckInConflict.objects.filter(attendance=row).first()


def outside_window(meeting: Meeting) -> bool:
    """Whether the meeting answers a plan and was held outside its window (统一时间 not met)."""
    if meeting.plan is None:
        return False
    return not meeting.plan.in_window(timezone.localtime(meeting.starts_at).date())


def meeting_get_visible(user, pk) -> Meeting:
    meeting = (
        Meeting.objects.visible_to(user).filter(pk=pk).select_related("branch", "plan", "presider").first()
    )
    if meeting is None:
        raise Http404
    return meeting


def _offices_q(user) -> Q:
    """Rows of offices above or within the user's organizations (a branch answers the plans and rules of the
    offices above it)."""
    from luoshi.accounts.scoping import paths_with_perm

    prefixes = set()
    for path in paths_with_perm(user, ORGS_VIEW):  # the offices on the way down to the user's organizations
        prefixes.update(ancestor_paths(path))
    return Q(organization__path__in=prefixes) | scope_q(user, ORGS_VIEW, field="organization__path")


def plans_visible(user):
    """The one scoping function of plans: those of offices above or within the user's organizations; a draft
    only to those who may plan for its office."""
    from luoshi.accounts.permissions import ORGLIFE_PLAN

    return ThemeDayPlan.objects.filter(_offices_q(user)).filter(
        Q(published_at__isnull=False) | scope_q(user, ORGLIFE_PLAN, field="organization__path")
    )


def rules_visible(user):
    """The one scoping function of meeting rules: as for plans."""
    return MeetingRule.objects.filter(_offices_q(user))


def plan_get_visible(user, pk) -> ThemeDayPlan:
    plan = plans_visible(user).filter(pk=pk).select_related("organization").first()
    if plan is None:
        raise Http404
    return plan


def plans_for_branch(branch, *, today=None):
    """The published plans the branch answers, newest month first."""
    prefixes = [*ancestor_paths(branch.path), branch.path]
    return ThemeDayPlan.objects.published().filter(organization__path__in=prefixes).order_by("-month")


def current_plan_for(branch, *, today=None) -> ThemeDayPlan | None:
    today = today or timezone.localdate()
    return plans_for_branch(branch).filter(month=today.replace(day=1)).first()


# --- the six unifications -----------------------------------------------------------------------------------


@dataclass
class Marks:
    branch: Organization
    meeting: Meeting | None = None
    ok: dict = field(default_factory=dict)  # mark -> True / False / None (not required)
    why: dict = field(default_factory=dict)  # mark -> the reason it is missing (or a note)

    @property
    def complete(self) -> bool:
        return all(v is not False for v in self.ok.values())

    def cells(self):
        return [(m, MARK_LABELS[m], self.ok.get(m), self.why.get(m, "")) for m in MARKS]


def _branches_under(root_path: str):
    return Organization.objects.active().filter(subtree_q([root_path]), holds_members=True).order_by("path")


# what the marks read of a meeting (its record text and the rest stay in the database)
_MARKED_FIELDS = (
    "id",
    "branch_id",
    "kind",
    "plan_id",
    "starts_at",
    "topic",
    "agenda",
    "presider_id",
    "delegation",
    "omission_note",
    "late",
    "recorded_at",
    "roll",
    "present",
    "absent",
)


def compliance(plan: ThemeDayPlan, *, under: Organization | None = None) -> list[Marks]:
    """The six marks of every branch under the plan's office (or under `under`), with the reason for each
    missing one. A fixed number of queries whatever the number of branches. `under` outside the plan's office
    is narrowed to it (a plan covers its office's subtree only)."""
    from luoshi.orgs.models import Position, PositionKind

    root = plan.organization.path
    if under is not None and under.path.startswith(root):
        root = under.path
    elif under is not None and not root.startswith(under.path):
        return []
    branches = list(_branches_under(root))
    meetings = {}
    for m in (
        Meeting.objects.held()
        .filter(plan=plan)
        .filter(subtree_q([root], field="branch__path"))
        .only(*_MARKED_FIELDS)
        .order_by("branch_id", "starts_at")
    ):
        meetings.setdefault(m.branch_id, m)  # the first meeting answering the plan counts
    assigned = {
        branch_id: display or username  # the name people know the supervisor by
        for branch_id, display, username in PlanSupervisor.objects.filter(plan=plan)
        .filter(subtree_q([root], field="branch__path"))
        .values_list("branch_id", "supervisor__display_name", "supervisor__username")
    }
    visits = {
        v.branch_id: v
        for v in SupervisionVisit.objects.filter(plan=plan).filter(subtree_q([root], field="branch__path"))
    }
    # the sitting secretaries' person ids (ids only: a province has 80,000 of them)
    secretaries = dict(
        Position.objects.current()
        .filter(kind=PositionKind.SECRETARY)
        .filter(subtree_q([root], field="organization__path"))
        .values_list("organization_id", "person_id")
    )
    not_held, not_assigned = _("Not held"), _("No supervisor assigned")
    required = list(plan.required_items)
    labels = dict(AgendaItem.choices)
    out = []
    for branch in branches:
        marks = Marks(branch=branch, meeting=meetings.get(branch.pk))
        m = marks.meeting
        if m is None:
            for mark in MARKS:
                marks.ok[mark] = False
                marks.why[mark] = not_held
            if branch.pk not in assigned:
                marks.ok["supervision"], marks.why["supervision"] = None, not_assigned
            out.append(marks)
            continue
        day = timezone.localtime(m.starts_at).date()
        marks.ok["time"] = plan.in_window(day)
        if not marks.ok["time"]:
            marks.why["time"] = _("Held on %(day)s, outside %(start)s–%(end)s") % {
                "day": day,
                "start": plan.window_start,
                "end": plan.window_end,
            }
        marks.ok["theme"] = m.topic.strip() == plan.theme.strip()
        if not marks.ok["theme"]:
            marks.why["theme"] = _("Topic recorded: %(topic)s") % {"topic": m.topic}
        missing = [str(labels.get(code, code)) for code in required if code not in m.agenda]
        marks.ok["standard"] = not missing
        if missing:
            marks.why["standard"] = _("Missing: %(items)s") % {"items": "、".join(missing)}
            if m.omission_note:
                marks.why["standard"] += _(" (the branch says: %(note)s)") % {"note": m.omission_note}
        if branch.pk in assigned:
            marks.ok["supervision"] = branch.pk in visits
            if not marks.ok["supervision"]:
                marks.why["supervision"] = _("No visit recorded by %(who)s") % {"who": assigned[branch.pk]}
        else:
            marks.ok["supervision"], marks.why["supervision"] = None, not_assigned
        if m.presider_id is None:
            marks.ok["organization"], marks.why["organization"] = False, _("Who presided is not recorded")
        elif m.presider_id == secretaries.get(branch.pk):
            marks.ok["organization"] = True
        elif m.delegation and plan.organizer == Organizer.SECRETARY:
            marks.ok["organization"] = True
            marks.why["organization"] = _("Delegated: %(why)s") % {"why": m.delegation}
        else:
            marks.ok["organization"] = False
            marks.why["organization"] = _("Presided by someone other than the secretary")
        problems = []
        if m.late:
            problems.append(
                _("recorded late, on %(day)s") % {"day": timezone.localtime(m.recorded_at).date()}
            )
        if m.present + m.absent < m.roll:
            problems.append(
                _("attendance of %(n)d of %(roll)d members") % {"n": m.present + m.absent, "roll": m.roll}
            )
        marks.ok["archive"] = not problems
        if problems:
            marks.why["archive"] = "；".join(str(p) for p in problems)
        out.append(marks)
    return out


@dataclass
class Rollup:
    unit: Organization
    branches: int = 0
    held: int = 0
    complete: int = 0
    per_mark: dict = field(default_factory=dict)  # mark -> branches meeting it (None counts as met)

    @property
    def rate(self) -> float:
        return self.complete / self.branches if self.branches else 0.0


def compliance_rollup(rows: list[Marks], units: list[Organization]) -> list[Rollup]:
    """The marks summed per unit (each community or street), a branch counted under every unit above it."""
    out = {unit.path: Rollup(unit=unit, per_mark={m: 0 for m in MARKS}) for unit in units}
    for marks in rows:
        for path in (*ancestor_paths(marks.branch.path), marks.branch.path):
            r = out.get(path)
            if r is None:
                continue
            r.branches += 1
            r.held += marks.meeting is not None
            r.complete += marks.complete
            for m in MARKS:
                r.per_mark[m] += marks.ok.get(m) is not False
    return list(out.values())


# --- attendance for others ----------------------------------------------------------------------------------


def last_orglife(member_ids) -> dict[int, date]:
    """member id -> the day of the last meeting they attended (present)."""
    rows = (
        Attendance.objects.filter(member_id__in=list(member_ids), present=True, meeting__withdrawn_at=None)
        .values("member_id")
        .annotate(last=Max("meeting__starts_at"))
    )
    return {r["member_id"]: timezone.localtime(r["last"]).date() for r in rows}


# --- the quarterly one-table report (一表通) -----------------------------------------------------------------


@dataclass
class TableRow:
    branch: Organization
    held: dict  # kind -> meetings held
    roll: int
    present: int
    theme_days: int
    compliant: int

    @property
    def attendance_rate(self) -> float:
        return self.present / self.roll if self.roll else 0.0


def quarter_table(organization: Organization, start: date, end: date) -> list[TableRow]:
    """Per branch under `organization`: meetings held per kind in [start, end], the attendance rate (present ÷
    members on the roll, summed over the meetings), theme days held and those meeting all six marks."""
    branches = list(_branches_under(organization.path))
    meetings = (
        Meeting.objects.held()
        .filter(subtree_q([organization.path], field="branch__path"))
        .filter(starts_at__date__gte=start, starts_at__date__lte=end)
    )
    held: dict = {}
    for row in meetings.values("branch_id", "kind").annotate(n=Count("id")):
        held.setdefault(row["branch_id"], {})[row["kind"]] = row["n"]
    sums = {
        row["branch_id"]: row
        for row in meetings.values("branch_id").annotate(roll=Sum("roll"), present=Sum("present"))
    }
    compliant: dict = {}
    plans = ThemeDayPlan.objects.published().filter(month__gte=start.replace(day=1), month__lte=end)
    for plan in plans.select_related("organization"):
        for marks in compliance(plan, under=organization):  # the plan's branches under the organization
            if marks.complete and marks.meeting is not None:
                compliant[marks.branch.pk] = compliant.get(marks.branch.pk, 0) + 1
    return [
        TableRow(
            branch=b,
            held={k: held.get(b.pk, {}).get(k, 0) for k in MeetingKind.values},
            roll=(sums.get(b.pk) or {}).get("roll") or 0,
            present=(sums.get(b.pk) or {}).get("present") or 0,
            theme_days=held.get(b.pk, {}).get(MeetingKind.THEME_DAY, 0),
            compliant=compliant.get(b.pk, 0),
        )
        for b in branches
    ]


ARCHIVE_YEARS = range(2000, 2101)  # the years a list or an archive by year may ask for


def year_meetings(branch: Organization, year: int):
    """The branch's meetings of the year, in the order an archive files them: by kind, then by date."""
    order = {k: i for i, k in enumerate(MeetingKind.values)}
    rows = list(
        Meeting.objects.held()
        .filter(branch=branch, starts_at__year=year)
        .select_related("plan", "presider", "recorded_by")
        .prefetch_related("attendance__member")
        .order_by("starts_at")
    )
    return sorted(rows, key=lambda m: (order[m.kind], m.starts_at))
