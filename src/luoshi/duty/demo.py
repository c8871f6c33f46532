"""The duty app's part of the demo district: the year's responsibility letter signed by the streets, the
street persona's own letter to its communities, and the district's work plan cascaded down to the branch
persona — built through the real services, then moved back to the dates they would have happened on, so
that the sweep gives every state the cascade view knows (done on time, late, awaiting acceptance, silent).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from luoshi.core import obligations as engine
from luoshi.core.models import Obligation
from luoshi.duty import services
from luoshi.duty.models import Assignment, Letter, LetterCopy, Report, TargetProgress, TargetStatus, Task
from luoshi.duty.services import TargetSpec, TaskSpec
from luoshi.orgs.models import Organization, OrgKind

LETTER_TARGETS = [
    (
        "严格落实全面从严治党主体责任，党组织书记履行第一责任人职责，每季度至少专题研究一次党风廉政建设工作",
        "principal",
        "会议纪要4份",
        20,
        False,
    ),
    (
        "把党风廉政建设任务分解到班子成员和下属党组织，层层签订责任状，一级抓一级",
        "principal",
        "责任分解清单、签订率100%",
        15,
        False,
    ),
    (
        "开展党纪学习教育和廉政警示教育，每半年至少组织一次警示教育活动",
        "principal",
        "活动记录2次以上",
        15,
        False,
    ),
    (
        "支持纪检监察组织履行监督责任，对群众反映的问题线索按期办结",
        "supervisory",
        "线索办结率100%",
        20,
        False,
    ),
    ("持续整治形式主义、官僚主义，落实基层减负各项措施", "supervisory", "整改清单按期销号", 10, False),
    ("不发生违反中央八项规定精神问题，不发生重大违纪违法案件", "principal", "全年零发生", 20, True),
]

PLAN_TASKS = [
    # title, lead office, description, (month, day) of the deadline, report kind, unit, checklist
    (
        "开展党纪学习教育",
        "区委组织部",
        "以读原文、学条例、警示教育等方式组织全体党员学习《中国共产党纪律处分条例》。",
        (6, 30),
        "checklist",
        "",
        ["集中学习", "警示教育", "专题党课"],
    ),
    (
        "组织廉政谈话",
        "区纪委监委",
        "党组织书记对班子成员和下属党组织书记开展廉政谈话。",
        (9, 30),
        "number",
        "人",
        [],
    ),
    (
        "报送上半年落实主体责任情况",
        "区委办公室",
        "对照责任状逐项报告上半年落实情况及存在问题。",
        (7, 15),
        "text",
        "",
        [],
    ),
    (
        "开展作风建设专项整治",
        "区纪委监委",
        "围绕窗口服务、工作纪律开展自查自纠，形成问题清单和整改台账。",
        (11, 15),
        "text",
        "",
        [],
    ),
    (
        "推进党群服务中心规范化建设",
        "区委组织部",
        "对照达标标准完善场所、标识、服务清单和值班制度。",
        (11, 28),
        "checklist",
        "",
        ["场所标识", "服务清单", "值班制度"],
    ),
    ("开展年终述责述廉", "区纪委监委", "党组织书记年终述责述廉，形成书面报告。", (12, 20), "text", "", []),
]


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _move(assignments, deadline: date, sent: date) -> None:
    """Give assignments (and their task and obligation) an earlier deadline: as if sent at the year's start."""
    ids = [a.pk for a in assignments]
    Assignment.objects.filter(pk__in=ids).update(deadline=deadline, created_at=_at(sent))
    Task.objects.filter(pk__in={a.task_id for a in assignments}).update(deadline=deadline)
    Obligation.objects.filter(pk__in=[a.obligation_id for a in assignments]).update(
        due_date=deadline, next_action_on=deadline - timedelta(days=3)
    )


def _report(assignment, by, text: str, when: datetime, *, completion: bool, number=None, checked=None):
    assignment = Assignment.objects.select_related("obligation", "task", "organization").get(pk=assignment.pk)
    if checked is None:
        checked = list(assignment.task.checklist) if completion else []
    report = services.report_add(
        by=by, assignment=assignment, text=text, number=number, checked=checked, completion=completion
    )
    Report.objects.filter(pk=report.pk).update(at=when)
    fields = {"last_report_at": when}
    if completion:
        fields["submitted_on"] = timezone.localtime(when).date()
    Assignment.objects.filter(pk=assignment.pk).update(**fields)


def _accept(assignment, by, when: datetime):
    assignment = Assignment.objects.select_related("obligation", "task__organization").get(pk=assignment.pk)
    services.assignment_accept(by=by, assignment=assignment)
    done = Assignment.objects.get(pk=assignment.pk)
    Assignment.objects.filter(pk=assignment.pk).update(
        accepted_at=when, on_time=done.submitted_on <= done.deadline
    )


def build(builder, levels, personas) -> None:
    rng = builder.rng
    today = builder.today
    year = builder.work_year  # the dates below are the work year's (month, day), wherever it falls
    on = builder.work_day
    root = levels[0][0]
    streets = levels[1]
    officer = personas["org_officer"]["user"]
    street_persona = personas["street_secretary"]["user"]
    street = personas["street_secretary"]["org"]
    branch = personas["branch_secretary"]["org"]
    logins = _secretary_logins(streets, "street_secretary")

    # 1. The district's letter to every street, signed in February and March except by one laggard.
    targets = [
        TargetSpec(text, category, measure, Decimal(weight), on(12, 31), red)
        for text, category, measure, weight, red in LETTER_TARGETS
    ]
    letter = services.letter_draft(
        by=officer,
        issuer=root,
        year=year,
        title=f"{year}年度党风廉政建设目标管理责任状",
        sign_by=today + timedelta(days=1),
        preamble="为深入推进全面从严治党，压实党风廉政建设主体责任和监督责任，区委与各街道（镇）党（工）委签订本责任状。",
        targets=targets,
    )
    services.letter_issue(by=officer, letter=letter, organizations=streets)
    sign_by = on(3, 15)
    Letter.objects.filter(pk=letter.pk).update(sign_by=sign_by, issued_at=_at(on(2, 26)))
    copies = list(
        LetterCopy.objects.filter(letter=letter).select_related("organization").order_by("organization__path")
    )
    LetterCopy.objects.filter(letter=letter).update(issued_at=_at(on(2, 26)))
    Obligation.objects.filter(pk__in=[c.signing_obligation_id for c in copies]).update(
        due_date=sign_by, next_action_on=sign_by - timedelta(days=3)
    )
    for n, copy in enumerate(copies[:-1]):  # the last street has not signed: its obligation climbs the ladder
        user = logins[copy.organization_id]
        services.letter_sign(user=user, copy=copy, signed_from="10.20.1.15 · Demo")
        LetterCopy.objects.filter(pk=copy.pk).update(signed_at=_at(on(3, 1) + timedelta(days=n * 2)))
    for progress in TargetProgress.objects.filter(copy__letter=letter).select_related(
        "copy__organization", "target"
    ):
        roll = rng.random()
        user = logins[progress.copy.organization_id]
        if roll < 0.3:
            services.target_report(
                user=user, progress=progress, status=TargetStatus.MET, report="已完成，相关材料已归档。"
            )
        elif roll < 0.85:
            services.target_report(
                user=user,
                progress=progress,
                status=TargetStatus.IN_PROGRESS,
                report="按计划推进中，年底前完成。",
            )
    # 2. The street persona's own letter to its communities, issued last week, half of them signed.
    communities = [o for o in levels[2] if o.parent_id == street.pk and o.kind == OrgKind.COMMUNITY]
    own = services.letter_draft(
        by=street_persona,
        issuer=street,
        year=year,
        title=f"{year}年度社区党组织党风廉政建设责任状",
        sign_by=today + timedelta(days=5),
        targets=targets[:3] + targets[5:],
    )
    services.letter_issue(by=street_persona, letter=own, organizations=communities)

    # 3. The district's work plan, sent to every street; the persona's street passes two tasks down.
    plan = services.plan_create(
        by=officer, organization=root, year=year, title=f"江城区{year}年党风廉政建设和反腐败工作要点"
    )
    branches = list(Organization.objects.subtree(street.path).filter(kind=OrgKind.BRANCH).order_by("path"))
    logins.update(_secretary_logins(branches, "branch_secretary"))
    persona_outcome = {0: "done", 3: "silent", 4: "progress", 5: "awaiting"}
    for number, (title, lead, description, (month, day), kind, unit, checklist) in enumerate(PLAN_TASKS):
        deadline = on(month, day)
        task = services.task_create(
            by=officer,
            plan=plan,
            spec=TaskSpec(
                title=title,
                deadline=max(deadline, today),
                description=description,
                lead_office=lead,
                report_kind=kind,
                unit=unit,
                checklist=checklist,
            ),
        )
        rows = services.task_assign(by=officer, task=task, organizations=streets)
        passed_down = None
        if number in persona_outcome:  # passed down to every branch of the persona's street
            top = next(a for a in rows if a.organization_id == street.pk)
            child = services.task_split(
                by=street_persona,
                assignment=Assignment.objects.select_related("obligation", "task", "organization").get(
                    pk=top.pk
                ),
                spec=TaskSpec(
                    title=f"{title}（支部）",
                    deadline=max(deadline - timedelta(days=10), today),
                    description=description,
                    report_kind=kind,
                    unit=unit,
                    checklist=checklist,
                ),
                organizations=branches,
            )
            passed_down = list(child.assignments.select_related("task"))
            if deadline - timedelta(days=10) < today:
                _move(passed_down, deadline - timedelta(days=10), on(2, 20))
                child.deadline = deadline - timedelta(days=10)
        if deadline < today:
            _move(rows, deadline, on(2, 20))
        if passed_down:
            outcome = persona_outcome[number]
            _play_branches(rng, passed_down, logins, branch, outcome, street_persona, child.deadline, today)
        others = [a for a in rows if passed_down is None or a.organization_id != street.pk]
        _play_streets(rng, others, logins, officer, deadline, today)
    engine.obligation_sweep(today=today)


def _secretary_logins(orgs, role_code: str) -> dict:
    """organization id -> a login for its secretary (the demo's people have none but the personas), so that
    signing and reporting go through the real services as the secretary."""
    from luoshi.accounts.models import Role, User
    from luoshi.accounts.services import role_grant
    from luoshi.orgs.selectors import secretaries_of

    role = Role.objects.get(code=role_code)
    people = secretaries_of([o.pk for o in orgs])
    logins = {}
    for org in orgs:
        person = people[org.pk]
        if person.user_id is None:
            person.user = User.objects.create_user(
                username=f"sec{org.code[-6:]}", password=None, display_name=f"{person.name}（{org.name}）"
            )
            person.save()
            role_grant(by=None, user=person.user, role=role, organization=org)
        logins[org.pk] = person.user
    return logins


def _play_streets(rng, rows, logins, officer, deadline, today):
    for assignment in rows:
        user = logins[assignment.organization_id]
        if deadline < today:
            roll = rng.random()
            if roll < 0.65:
                when = _at(deadline - timedelta(days=rng.randint(1, 12)))
            elif roll < 0.85:
                when = _at(deadline + timedelta(days=rng.randint(2, 9)))
            else:
                continue  # silent: the sweep escalates it
            _report(
                assignment,
                user,
                "已按要求完成，材料已上传。",
                when,
                completion=True,
                number=Decimal(rng.randint(8, 40)),
            )
            if rng.random() < 0.9:
                _accept(assignment, officer, when + timedelta(days=2))
        elif rng.random() < 0.5:
            when = _at(today - timedelta(days=rng.randint(1, 20)))
            _report(
                assignment,
                user,
                "已部署，正在推进。",
                when,
                completion=False,
                number=Decimal(rng.randint(1, 10)),
            )


def _play_branches(rng, rows, logins, persona_branch, outcome, street_user, deadline, today):
    """The branches' part: the persona's branch gets `outcome` (done, silent, progress, awaiting), so the
    branch secretary sees each state; the others a realistic mix."""
    for i, assignment in enumerate(rows):
        user = logins[assignment.organization_id]
        mine = assignment.organization_id == persona_branch.pk
        if mine:
            what = outcome
        elif deadline < today:
            what = "silent" if i % 5 == 4 else "done"
        else:
            what = "progress" if rng.random() < 0.4 else "silent"
        if what == "done":
            when = _at(min(deadline, today) - timedelta(days=rng.randint(1, 8)))
            _report(assignment, user, "支部已组织学习，学习记录已上传。", when, completion=True)
            _accept(assignment, street_user, when + timedelta(days=1))
        elif what == "awaiting":
            _report(
                assignment, user, "已按要求完成，请审核。", _at(today - timedelta(days=1)), completion=True
            )
        elif what == "progress":
            when = _at(today - timedelta(days=rng.randint(1, 6)))
            _report(
                assignment,
                user,
                "正在推进，已完成部分事项。",
                when,
                completion=False,
                checked=assignment.task.checklist[:1],
            )
