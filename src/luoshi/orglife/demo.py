"""Organizational life in the demo district: the standing rules (and one street's stricter party-lecture rule),
the monthly theme-day plans since spring, and eight months of meetings of every branch that holds members —
theme days, committee, group and general meetings, party lectures, last winter's organizational life meeting
and democratic evaluation — with each member's attendance. Written in bulk (with their history rows), as the
branches would have recorded them, with the things an office looks for:

* a few branches that skipped the third quarter's general meeting (their obligation is open: 组织生活未按期开展),
* this month's plan, not yet held by a part of the branches (the supervisor's list), some held with an item
  missing and the branch's reason, some recorded late, the inspector persona supervising a dozen branches;
* a few members who attended nothing since the spring (the sweep's "no organizational life for 6 months"),
* the branch secretary persona's branch has not recorded this month's theme day yet: the persona records it;
* the member persona's QR confirmation of a meeting the secretary recorded them absent from awaits the
  secretary's decision (签到异议).
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from luoshi.members.models import Member
from luoshi.orglife import services
from luoshi.orglife.models import AbsenceReason, AgendaItem, Attendance, Meeting, MeetingKind, PlanSupervisor
from luoshi.orglife.obligations import meeting_dues_sync
from luoshi.orglife.periods import month_end, month_start, period_of
from luoshi.orgs.models import Organization, Position, PositionKind

CHANGE_REASON = "演示数据：组织生活记录"
MONTHS = 8  # of records, this month included: the sweep's six-month window is covered
THEMES = (
    "学习贯彻党的二十届四中全会精神",
    "重温入党誓词，坚定理想信念",
    "学习《中国共产党纪律处分条例》",
    "弘扬伟大建党精神",
    "践行初心使命，服务社区群众",
    "学习全面从严治党新要求",
    "推进基层治理，解决群众急难愁盼",
    "学习贯彻区委全会精神，落实全面从严治党主体责任",
)
PLACES = ("社区党群服务中心", "支部活动室", "党员之家", "社区会议室")
REQUIRED = [AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT, AgendaItem.SERVICE_ACTIVITY]
RECORDS = (
    "集中学习了{theme}的有关文件，党员逐一交流体会；收缴本月党费；商定本月到小区开展志愿服务，由两名支委带队。",
    "学习{theme}相关内容；通报上月支部工作和党费收缴情况；讨论确定为困难党员送温暖名单。",
    "围绕{theme}开展学习研讨，3名党员作交流发言；布置下月志愿服务和党员联系户走访。",
)
ABSENCE = (
    (AbsenceReason.WORK, 50),
    (AbsenceReason.SICK, 25),
    (AbsenceReason.FAMILY, 15),
    (AbsenceReason.OTHER, 5),
    (AbsenceReason.UNEXCUSED, 5),
)


def _months(today: date) -> list[date]:
    return [month_start(today, -back) for back in range(MONTHS - 1, -1, -1)]


def build(builder, levels, personas) -> None:
    rng, today = builder.rng, builder.today
    officer = personas["org_officer"]["user"]
    root = personas["org_officer"]["org"]
    street = personas["street_secretary"]["org"]
    mine = personas["branch_secretary"]["org"]
    months = _months(today)
    # the rules are in force over the whole history, so the last ended period of each is judged on any day
    services.rules_default(organization=root, effective_from=months[0], by=officer)
    services.rule_save(
        by=personas["street_secretary"]["user"],
        organization=street,
        kind=MeetingKind.PARTY_LECTURE,
        frequency="month",
        effective_from=months[0],
        basis=f"{street.name}：书记每月为党员上一次党课",
    )
    plans = {}
    for i, first in enumerate(months):
        end = month_end(first)
        plan = services.plan_save(
            by=officer,
            organization=root,
            data=services.PlanInput(
                month=first,
                window_start=first,  # the whole month: the demo's own theme day is in its window on any day
                window_end=end,
                theme=THEMES[i % len(THEMES)],
                materials="《中国共产党章程》；区委有关会议精神；本月学习资料汇编",
                required_items=tuple(REQUIRED),
                records_to_keep="会议记录、签到表、党费收缴登记",
            ),
        )
        services.plan_publish(plan=plan, by=officer)
        plans[first] = plan

    branches = list(Organization.objects.active().filter(holds_members=True).order_by("path"))
    secretaries = {
        p.organization_id: p.person
        for p in Position.objects.current().filter(kind=PositionKind.SECRETARY).select_related("person")
    }
    rolls: dict[int, list[int]] = {}
    for member_id, org_id in Member.objects.active().values_list("pk", "organization_id").order_by("pk"):
        rolls.setdefault(org_id, []).append(member_id)
    absent_always = set()  # a few members who attended nothing since the spring
    for branch in branches:
        roll = rolls.get(branch.pk, [])
        if len(roll) > 30 and rng.random() < 0.05:
            absent_always.add(rng.choice(roll))
    skip_general = {b.pk for b in branches if b.pk != mine.pk and rng.random() < 0.04}
    current = months[-1]
    # the last quarter that has ended (the one the sync judges): its general meeting is what a few skipped
    skipped_in = month_start(period_of("quarter", today)[0], -1)
    now = timezone.localtime()
    # the last year's organizational life meeting and evaluation, held on the latest 20 January passed
    winter = date(today.year if today > date(today.year, 1, 20) else today.year - 1, 1, 20)
    not_yet = {b.pk for b in branches if rng.random() < 0.15} | {mine.pk}
    supervised = [b for b in branches if b.path.startswith(street.path)][:12]

    meetings, attendance_of = [], []
    reasons = [r for r, w in ABSENCE for _ in range(w)]

    def add(
        branch,
        kind,
        day,
        hour,
        topic,
        agenda,
        plan=None,
        present_share=0.88,
        members=None,
        late=False,
        omission="",
    ):
        roll = rolls.get(branch.pk, [])
        starts = timezone.make_aware(datetime.combine(day, time(hour, 0)))
        if starts > now - timedelta(hours=1):  # held today: earlier than the build, however early that is
            starts = now - timedelta(hours=1, minutes=rng.randint(0, 50))
            midnight = timezone.make_aware(datetime.combine(day, time(0, 0)))
            if starts < midnight:  # built in the small hours: still on its day (this month's, on the 1st)
                starts = midnight + (now - midnight) / 2
        # a record can be late only once its time has passed
        late = late and starts + timedelta(days=12) < now
        recorded = min(starts + timedelta(days=rng.randint(12, 25) if late else 0, hours=2), now)
        secretary = secretaries.get(branch.pk)
        meeting = Meeting(
            branch=branch,
            kind=kind,
            plan=plan,
            starts_at=starts,
            place=rng.choice(PLACES),
            topic=topic,
            agenda=list(agenda),
            record=rng.choice(RECORDS).format(theme=topic),
            presider=secretary,
            omission_note=omission,
            roll=len(roll),
            recorded_by=officer,
            late=late,
        )
        rows = []
        for member_id in members if members is not None else roll:
            present = member_id not in absent_always and rng.random() < present_share
            rows.append((member_id, present, "" if present else rng.choice(reasons)))
        meeting.present = sum(1 for _m, p, _r in rows if p)
        meeting.absent = len(rows) - meeting.present
        meetings.append((meeting, recorded))
        attendance_of.append(rows)

    for branch in branches:
        roll = rolls.get(branch.pk, [])
        if not roll:
            continue
        committee = roll[: min(5, len(roll))]
        group = roll[: min(12, len(roll))]
        for first in months:
            plan = plans[first]
            if first != current or branch.pk not in not_yet:
                day = plan.window_start + timedelta(days=rng.randint(0, 8))
                if first == current and day > today:  # this month's: held between its first day and today
                    day = first + timedelta(days=rng.randint(0, (today - first).days))
                omission = rng.random() < 0.08
                agenda = [a for a in REQUIRED if not (omission and a == AgendaItem.SERVICE_ACTIVITY)]
                add(
                    branch,
                    MeetingKind.THEME_DAY,
                    day,
                    9,
                    plan.theme,
                    agenda + [AgendaItem.DISCUSSION],
                    plan=plan,
                    late=rng.random() < 0.05,
                    omission="志愿服务因天气原因改期" if omission else "",
                )
            if first < current:
                add(
                    branch,
                    MeetingKind.COMMITTEE_MEETING,
                    first + timedelta(days=rng.randint(2, 6)),
                    15,
                    "支委会：研究本月工作",
                    [AgendaItem.DISCUSSION],
                    members=committee,
                    present_share=0.96,
                )
                add(
                    branch,
                    MeetingKind.GROUP_MEETING,
                    first + timedelta(days=rng.randint(18, 24)),
                    19,
                    "党小组学习",
                    [AgendaItem.COLLECTIVE_STUDY],
                    members=group,
                    present_share=0.9,
                )
            quarter_month = first.month % 3 == 0 and first < current
            if quarter_month and not (first == skipped_in and branch.pk in skip_general):
                add(
                    branch,
                    MeetingKind.GENERAL_MEETING,
                    first + timedelta(days=rng.randint(10, 20)),
                    14,
                    "支部党员大会：通报季度工作",
                    [AgendaItem.DISCUSSION, AgendaItem.DUES_PAYMENT],
                )
            lecture = first < current and (first.month % 3 == 0 or branch.path.startswith(street.path))
            if lecture:
                add(
                    branch,
                    MeetingKind.PARTY_LECTURE,
                    first + timedelta(days=rng.randint(10, 20)),
                    10,
                    "书记讲党课",
                    [AgendaItem.LECTURE],
                )
        add(
            branch,
            MeetingKind.LIFE_MEETING,
            winter,
            14,
            f"{winter.year - 1}年度组织生活会",
            [AgendaItem.CRITICISM],
        )
        add(
            branch,
            MeetingKind.DEMOCRATIC_EVALUATION,
            winter,
            16,
            f"{winter.year - 1}年度民主评议党员",
            [AgendaItem.EVALUATION],
        )

    rows = [m for m, _recorded in meetings]
    saved = bulk_create_with_history(
        rows, Meeting, batch_size=1000, default_user=officer, default_change_reason=CHANGE_REASON
    )
    # the recording times as the branches made them (auto_now_add wrote now): the late ones days after
    for meeting, (_m, recorded) in zip(saved, meetings, strict=True):
        meeting.recorded_at = recorded
    Meeting.objects.bulk_update(saved, ["recorded_at"], batch_size=1000)
    attendance = [
        Attendance(meeting=meeting, member_id=member_id, present=present, reason=reason)
        for meeting, rows_of in zip(saved, attendance_of, strict=True)
        for member_id, present, reason in rows_of
    ]
    bulk_create_with_history(
        attendance, Attendance, batch_size=5000, default_user=officer, default_change_reason=CHANGE_REASON
    )
    inspector = personas["inspector"]["user"]
    plan = plans[current]
    PlanSupervisor.objects.bulk_create(
        [PlanSupervisor(plan=plan, branch=b, supervisor=inspector) for b in supervised]
    )
    held = dict(Meeting.objects.filter(plan=plan).values_list("branch_id", "starts_at"))
    for branch in supervised[:6]:
        if branch.pk in held:
            services.supervision_record(
                plan=plan,
                branch=branch,
                by=inspector,
                visited_on=timezone.localtime(held[branch.pk]).date(),  # the supervisor sat in on the day
                items_seen=REQUIRED,
                notes="按计划开展，学习扎实，签到和记录完整。",
            )
    _checkin_conflict(personas)
    meeting_dues_sync(today=today)


def _checkin_conflict(personas) -> None:
    """The member persona scanned the QR code of their branch's latest meeting they were recorded absent from,
    twelve hours after it began: the confirmation awaits the branch secretary persona's decision."""
    member_persona = personas.get("member")
    if member_persona is None:
        return
    member = services.member_of_user(member_persona["user"])
    if member is None:
        return
    row = (
        Attendance.objects.filter(member=member, present=False, meeting__withdrawn_at=None)
        .select_related("meeting")
        .order_by("-meeting__starts_at")
        .first()
    )
    if row is not None:
        services.attendance_confirm(
            token=row.meeting.checkin_token,
            user=member_persona["user"],
            now=row.meeting.starts_at + timedelta(hours=12),
        )
