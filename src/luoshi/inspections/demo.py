"""The inspections app's part of the demo district: this quarter's service-center inspection, a covert
work-style round (two targets not yet visited, so still secret to them), and a surprise check of the branch
records in the persona's street that left the branch persona a rectification to report. Built through the
real services; some rectification deadlines are then moved back, so the sweep shows overdue and escalated ones.
"""

from datetime import timedelta

from luoshi.core import obligations as engine
from luoshi.core.models import Obligation
from luoshi.inspections import services
from luoshi.inspections.models import InspectionKind, Rectification, Standard, StandardItem
from luoshi.inspections.services import AnswerIn
from luoshi.inspections.standards import standards_sync
from luoshi.orgs.models import Organization, OrgKind

NOTES = {
    "pass_fail": "现场检查时发现该项不符合要求。",
    "points": "部分内容不完整，需补充完善。",
    "threshold": "实测数值未达到标准。",
}


def _answers(rng, standard, *, fail_rate: float) -> dict:
    answers = {}
    for item in StandardItem.objects.filter(section__standard=standard):
        fail = rng.random() < fail_rate
        if item.scoring == "pass_fail":
            value = 0 if fail else 1
        elif item.scoring == "points":
            value = (
                rng.randint(0, item.pass_points - 1)
                if fail
                else rng.randint(item.pass_points, item.max_points)
            )
        else:
            t = float(item.threshold)
            value = (
                (t * 0.8 if item.at_least else t * 1.5) if fail else (t * 1.1 if item.at_least else t * 0.5)
            )
            value = round(value, 1)
        note = NOTES[item.scoring] if fail else ""
        answers[item.pk] = AnswerIn(value=value, note=note)
    return answers


def _record(rng, inspection, org, inspector, *, fail_rate):
    answers = _answers(rng, inspection.standard, fail_rate=fail_rate)
    photo_items = StandardItem.objects.filter(section__standard=inspection.standard, photo_on_failure=True)
    for item in photo_items:  # the demo has no camera: items that would need a photo pass
        answers[item.pk].value = (
            1 if item.scoring == "pass_fail" else (item.threshold * 2 if item.at_least else 0)
        )
        answers[item.pk].note = ""
    return services.visit_record(by=inspector, inspection=inspection, organization=org, answers=answers)


def build(builder, levels, personas) -> None:
    standards_sync()
    rng = builder.rng
    today = builder.today
    std = {s.code: s for s in Standard.objects.filter(version=1)}
    root = levels[0][0]
    streets = levels[1]
    inspector = personas["inspector"]["user"]
    leader = personas["district_admin"]["user"]
    office = personas["discipline_officer"]["user"]
    org_office = personas["org_officer"]["user"]
    street = personas["street_secretary"]["org"]
    branch = personas["branch_secretary"]["org"]
    communities = [o for o in levels[2] if o.kind == OrgKind.COMMUNITY]

    # 1. The quarter's service-center inspection: one community per street, six visited.
    centers = [next(c for c in communities if c.parent_id == s.pk) for s in streets]
    routine = _create(
        org_office,
        InspectionKind.ROUTINE,
        f"{today.year}年第{(today.month - 1) // 3 + 1}季度党群服务中心达标检查",
        std["service-center"],
        root,
        leader,
        today,
        [inspector],
        centers,
    )
    visits = [
        _record(rng, routine, c, inspector, fail_rate=rng.choice((0.05, 0.15, 0.3))) for c in centers[:6]
    ]

    # 2. A covert work-style round: five units, three visited; the other two do not know of it.
    targets = [c for c in communities[3::9]][:5]
    covert = _create(
        office,
        InspectionKind.COVERT,
        "作风纪律暗访（第三轮）",
        std["work-style"],
        root,
        leader,
        today,
        [inspector],
        targets,
    )
    visits += [_record(rng, covert, o, inspector, fail_rate=0.2) for o in targets[:3]]

    # 3. A surprise check of branch records in the persona's street, the persona's branch among them.
    branches = list(
        Organization.objects.subtree(street.path).filter(kind=OrgKind.BRANCH).order_by("path")[:6]
    )
    if branch not in branches:
        branches[0] = branch
    surprise = _create(
        org_office,
        InspectionKind.SURPRISE,
        "“三会一课”记录突击检查",
        std["branch-records"],
        root,
        leader,
        today,
        [inspector],
        branches,
    )
    for org in branches:
        visits.append(_record(rng, surprise, org, inspector, fail_rate=0.6 if org == branch else 0.25))

    # Rectification orders for the findings; a third of them were due weeks ago.
    for visit in visits:
        for finding in visit.findings.all():
            rectification = services.rectification_order(
                by=inspector if finding.visit else office,
                finding=finding,
                deadline=today + timedelta(days=rng.randint(5, 20)),
                evidence_required="整改情况说明及相关照片、台账",
            )
            if finding.organization_id != branch.pk and rng.random() < 0.35:
                past = today - timedelta(days=rng.randint(2, 25))
                Rectification.objects.filter(pk=rectification.pk).update(deadline=past)
                Obligation.objects.filter(pk=rectification.obligation_id).update(
                    due_date=past, next_action_on=past - timedelta(days=3)
                )
    engine.obligation_sweep(today=today)


def _create(by, kind, title, standard, organization, approver, today, team, targets):
    return services.inspection_create(
        by=by,
        kind=kind,
        title=title,
        standard=standard,
        organization=organization,
        approver=approver,
        starts_on=today - timedelta(days=14),
        ends_on=today + timedelta(days=14),
        team=team,
        targets=targets,
    )
