"""A year of synthetic duty records for the assessment benchmark, written in bulk (no history rows, no
inbox messages) into the database Django is set up on — a COPY made for the benchmark, never the demo's.

  tasks        one work plan of the root with TASKS tasks due month by month this year (up to yesterday),
               each assigned to every active street, community and branch (a province: 93,633 units, so
               ≈ 750,000 assignments and as many obligations); each unit has its own punctuality (drawn once,
               mean ≈ 87 %): an assignment was accepted on time, accepted late, or is still overdue.
  letters      one responsibility letter of the root for the year, with five targets (one a red line),
               signed by every street and community; each target met (≈ 80 %), in progress, or — the red
               line, about one unit in a hundred — breached.
  escalations  every overdue obligation (these assignments and the rectifications bench/inspections.py
               wrote) more than 7 days past its due date reached its circular step: proposed, awaiting a
               person's confirmation; a late assignment was circulated (confirmed) one time in three.

Returns the counts written. Used by bench/assessment.py --size province (and --records at district size).
"""

import random
from collections import Counter
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import luoshi.core.obligations as engine
from luoshi.core.models import Escalation, EscalationStatus, Obligation, ObligationState, StepAction
from luoshi.duty.models import (
    Assignment,
    Letter,
    LetterCopy,
    LetterTarget,
    TargetCategory,
    TargetProgress,
    TargetStatus,
    Task,
    WorkPlan,
)
from luoshi.duty.obligations import LETTER_TARGET, TASK_ASSIGNMENT
from luoshi.orgs.models import Organization, OrgKind

TASKS = 8
PLAN_MARK = "（基准）"
CHUNK = 20_000
TITLES = (
    "学习贯彻全会精神专题研讨",
    "基层党组织书记述职评议",
    "党员发展对象集中培训",
    "软弱涣散党组织整顿",
    "党费收缴使用情况自查",
    "“三会一课”落实情况自查",
    "作风纪律专项整治",
    "年度组织生活会召开",
    "党建引领基层治理项目申报",
    "党员信息采集核对",
)
TARGETS = (
    ("全年组织党员集中学习不少于12次", TargetCategory.values[0], False),
    ("基层党组织按期换届率达到100%", TargetCategory.values[0], False),
    ("党员发展质量抽查合格率不低于95%", TargetCategory.values[0], False),
    ("整改问题按期销号率不低于90%", TargetCategory.values[-1], False),
    ("不发生违反中央八项规定精神问题", TargetCategory.values[-1], True),
)


def _bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=2000)


def write(rng: random.Random) -> Counter:
    """Writes the year once: a database that has it already (its plan is there) gets nothing more."""
    today = timezone.localdate()
    year = today.year
    officer = get_user_model().objects.get(username="org_officer")
    root = Organization.objects.get(parent=None)
    if WorkPlan.objects.filter(organization=root, year=year, title__endswith=PLAN_MARK).exists():
        return Counter(already_written=1)
    units = list(
        Organization.objects.subtree(root.path)
        .active()
        .filter(kind__in=[OrgKind.STREET, OrgKind.COMMUNITY, OrgKind.BRANCH])
        .values_list("id", "kind")
    )
    counts = Counter()
    punctual = {org: min(0.99, max(0.4, rng.gauss(0.87, 0.1))) for org, _kind in units}
    last = today - timedelta(days=1)
    months = [m for m in range(1, 13) if date(year, m, 28) <= last][-TASKS:] or [last.month]
    with transaction.atomic():
        plan = WorkPlan.objects.create(
            year=year, title=f"{year}年度党建工作要点{PLAN_MARK}", organization=root, created_by=officer
        )
        policy = engine.policy_for(TASK_ASSIGNMENT)
        circular = next(s for s in engine._steps(policy) if s.action == StepAction.CIRCULAR)
        for number, month in enumerate(months, start=1):
            deadline = date(year, month, 28)
            task = Task.objects.create(
                plan=plan,
                organization=root,
                number=number,
                title=TITLES[number % len(TITLES)],
                deadline=deadline,
                created_by=officer,
            )
            Task.objects.filter(pk=task.pk).update(root=task)
            for first in range(0, len(units), CHUNK):
                _assignments(
                    rng,
                    units[first : first + CHUNK],
                    task,
                    deadline,
                    policy,
                    circular,
                    punctual,
                    officer,
                    today,
                    counts,
                )
        _letter(rng, root, officer, year, units, counts)
        _rectification_escalations(today, counts)
    return counts


def _assignments(rng, units, task, deadline, policy, circular, punctual, officer, today, counts):
    tz = timezone.get_current_timezone()
    obligations, assignments, late = [], [], []
    for org, _kind in units:
        roll = rng.random()
        if roll < punctual[org]:
            state, on_time = ObligationState.DONE, True
            reported = deadline - timedelta(days=rng.randint(0, 10))
        elif roll < punctual[org] + (1 - punctual[org]) * 0.7:
            state, on_time = ObligationState.DONE, False
            reported = min(today, deadline + timedelta(days=rng.randint(1, 20)))
        else:
            state, on_time, reported = ObligationState.OVERDUE, None, None
        accepted = (
            timezone.make_aware(timezone.datetime.combine(reported, timezone.datetime.min.time()), tz)
            + timedelta(hours=rng.randint(9, 40))
            if reported
            else None
        )
        obligations.append(
            Obligation(
                policy=policy,
                title=task.title,
                organization_id=org,
                due_date=deadline,
                state=state,
                created_by=officer,
                closed_at=accepted,
                closed_by=officer if accepted else None,
                last_step_order=circular.order if state == ObligationState.OVERDUE else 0,
            )
        )
        assignments.append(
            Assignment(
                task=task,
                root=task,
                organization_id=org,
                deadline=deadline,
                submitted_on=reported,
                accepted_at=accepted,
                accepted_by=officer if accepted else None,
                on_time=on_time,
                assigned_by=officer,
            )
        )
        late.append(state == ObligationState.OVERDUE or (on_time is False and rng.random() < 1 / 3))
        counts[f"assignments {'on time' if on_time else 'late' if on_time is False else 'overdue'}"] += 1
    obligations = _bulk(Obligation, obligations)
    for assignment, obligation in zip(assignments, obligations, strict=True):
        assignment.obligation = obligation
    assignments = _bulk(Assignment, assignments)
    pks = [a.pk for a in assignments]
    engine.obligations_subject_set(Assignment.objects.filter(pk__gte=min(pks), pk__lte=max(pks)))
    reached = deadline + timedelta(days=circular.offset_days)
    if reached <= today:
        escalations = [
            Escalation(
                obligation=o,
                step_order=circular.order,
                action=StepAction.CIRCULAR,
                scheduled_on=reached,
                status=EscalationStatus.PROPOSED
                if o.state == ObligationState.OVERDUE
                else EscalationStatus.CONFIRMED,
            )
            for o, is_late in zip(obligations, late, strict=True)
            if is_late
        ]
        _bulk(Escalation, escalations)
        counts["escalations (assignments)"] += len(escalations)
    counts["assignments"] += len(assignments)


def _letter(rng, root, officer, year, units, counts):
    signers = [org for org, kind in units if kind in (OrgKind.STREET, OrgKind.COMMUNITY)]
    now = timezone.now()
    letter = Letter.objects.create(
        year=year,
        title=f"{year}年度全面从严治党主体责任书（基准）",
        issuer=root,
        sign_by=date(year, 3, 31),
        created_by=officer,
        issued_at=now,
    )
    targets = _bulk(
        LetterTarget,
        [
            LetterTarget(
                letter=letter,
                order=n,
                text=text,
                category=category,
                measure="年终考核核验",
                weight=20,
                due_date=date(year, 12, 31),
                red_line=red,
            )
            for n, (text, category, red) in enumerate(TARGETS, start=1)
        ],
    )
    policy = engine.policy_for(LETTER_TARGET)
    for first in range(0, len(signers), CHUNK):
        chunk = signers[first : first + CHUNK]
        copies = _bulk(
            LetterCopy,
            [
                LetterCopy(
                    letter=letter, organization_id=org, issued_at=now, signed_at=now, signed_by=officer
                )
                for org in chunk
            ],
        )
        rows = []
        for copy in copies:
            for target in targets:
                if target.red_line:
                    status = TargetStatus.BREACHED if rng.random() < 0.01 else TargetStatus.MET
                else:
                    status = TargetStatus.MET if rng.random() < 0.8 else TargetStatus.IN_PROGRESS
                rows.append((copy, target, status))
        obligations = _bulk(
            Obligation,
            [
                Obligation(
                    policy=policy,
                    title=target.text[:200],
                    organization_id=copy.organization_id,
                    due_date=target.due_date,
                    state=ObligationState.DONE if status == TargetStatus.MET else ObligationState.OPEN,
                    created_by=officer,
                )
                for copy, target, status in rows
            ],
        )
        _bulk(
            TargetProgress,
            [
                TargetProgress(
                    copy=copy,
                    target=target,
                    status=status,
                    obligation=obligation,
                    updated_at=now,
                    updated_by=officer,
                    report="已按要求完成。" if status == TargetStatus.MET else "",
                )
                for (copy, target, status), obligation in zip(rows, obligations, strict=True)
            ],
        )
        counts["letter copies"] += len(copies)
        counts["targets"] += len(rows)
        counts["red lines breached"] += sum(1 for _c, _t, s in rows if s == TargetStatus.BREACHED)


def _rectification_escalations(today, counts):
    """Overdue rectifications (bench/inspections.py) more than 7 days late reached their circular step."""
    from luoshi.inspections.obligations import RECTIFICATION

    policy = engine.policy_for(RECTIFICATION)
    circular = next(s for s in engine._steps(policy) if s.action == StepAction.CIRCULAR)
    overdue = Obligation.objects.filter(
        policy=policy,
        state=ObligationState.OVERDUE,
        due_date__lte=today - timedelta(days=circular.offset_days),
    ).exclude(escalations__step_order=circular.order)
    rows = [
        Escalation(
            obligation_id=pk,
            step_order=circular.order,
            action=StepAction.CIRCULAR,
            scheduled_on=due + timedelta(days=circular.offset_days),
            status=EscalationStatus.PROPOSED,
        )
        for pk, due in overdue.values_list("pk", "due_date")
    ]
    _bulk(Escalation, rows)
    counts["escalations (rectifications)"] += len(rows)
