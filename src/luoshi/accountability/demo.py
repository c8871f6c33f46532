"""The accountability part of the demo district, after the inspections: in the persona's street, branches
report their rectifications with evidence and the team verifies them on time; the most overdue rectification's
confirmed circular proposal is carried out (a circular issued from its finding); the discipline office holds a
collective talk with the streets that have overdue rectifications and an individual talk, each with the
person's own statement. Built through the real services."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from luoshi.accountability import services
from luoshi.accountability.models import FourForms, TalkKind
from luoshi.core.models import Escalation, EscalationStatus, ObligationState, StepAction
from luoshi.core.obligations import escalation_decide
from luoshi.inspections import services as inspections
from luoshi.inspections.models import Rectification
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import sitting_secretary


def _photo(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def build(builder, levels, personas) -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    today = builder.today
    office = personas["discipline_officer"]["user"]
    inspector = personas["inspector"]["user"]
    district = levels[0][0]
    street = personas["street_secretary"]["org"]
    persona_branch = personas["branch_secretary"]["org"]

    # 1. Branches of the persona's street put their records right and the team verifies (on time).
    reported = 0
    for rectification in (
        Rectification.objects.filter(
            organization__path__startswith=street.path,
            deadline__gte=today,
            obligation__state=ObligationState.OPEN,
        )
        .exclude(organization=persona_branch)
        .select_related("organization", "finding")
        .order_by("id")
    ):
        person = sitting_secretary(rectification.organization)
        user = User.objects.filter(pk=person.user_id).first() if person and person.user_id else None
        if user is None or reported >= 4:
            continue
        inspections.rectification_report(
            by=user,
            rectification=rectification,
            text="已补齐会议记录，逐项登记“三会一课”开展情况，支委会研究落实了整改措施。",
            uploads=[_photo("整改后会议记录.jpg")],
        )
        inspections.rectification_verify(
            by=inspector, rectification=rectification, accept=True, reason="经核查，整改到位。"
        )
        reported += 1

    # 2. The most overdue rectification's circular proposal: confirmed, then carried out.
    proposal = (
        Escalation.objects.filter(
            action=StepAction.CIRCULAR,
            status=EscalationStatus.PROPOSED,
            obligation__policy__kind="inspections.rectification",
        )
        .select_related("obligation__organization")
        .order_by("obligation__due_date", "id")
        .first()
    )
    if proposal is not None:
        escalation_decide(
            escalation=proposal, user=office, confirm=True, reason="逾期七日以上未整改，按规定予以通报。"
        )
        proposal.refresh_from_db()
        rectification = Rectification.objects.select_related("finding", "organization").get(
            obligation=proposal.obligation
        )
        secretary = sitting_secretary(rectification.organization)
        services.circular_issue(
            by=office,
            issuer=district,
            organization=rectification.organization,
            findings=[rectification.finding],
            title=f"关于{rectification.organization.name}整改不力问题的通报",
            persons_named=secretary.name if secretary else "",
            requirement="请于5个工作日内完成整改并报送整改情况，各单位引以为戒，举一反三开展自查。",
            escalation=proposal,
            form=FourForms.FORM_1,
        )

    # 3. A collective talk with the streets whose rectifications are overdue, and an individual talk.
    late = (
        Rectification.objects.filter(
            obligation__state__in=[ObligationState.OVERDUE, ObligationState.ESCALATED]
        )
        .values_list("organization__path", flat=True)
        .distinct()
    )
    street_paths = sorted({path[: len(street.path)] for path in late})
    streets = list(Organization.objects.filter(path__in=street_paths).order_by("path"))
    if streets:
        names = [s.name for s in streets]
        secretaries = [sitting_secretary(s) for s in streets]
        services.talk_record(
            by=office,
            kind=TalkKind.COLLECTIVE,
            organization=district,
            persons="、".join(p.name for p in secretaries if p) or "、".join(names),
            persons_count=len(streets),
            held_on=today,
            talker="区纪委副书记",
            basis="检查发现问题整改逾期：" + "、".join(names),
            record="通报了检查发现的问题和整改逾期情况，指出个别单位压力传导不到位，要求限期整改、举一反三。",
            statement="表示接受批评，回去后立即召开会议研究部署整改。",
            form=FourForms.FORM_1,
        )
    target = (
        Rectification.objects.filter(obligation__state=ObligationState.ESCALATED)
        .select_related("organization")
        .first()
    )
    if target is not None:
        secretary = sitting_secretary(target.organization)
        services.talk_record(
            by=office,
            kind=TalkKind.INDIVIDUAL,
            organization=target.organization,
            persons=secretary.name if secretary else target.organization.name,
            held_on=today,
            talker="区纪委监委 监督检查室",
            basis=f"整改逾期：{target.finding.description[:60]}",
            record="指出整改逾期的问题，听取情况说明，提出限期整改要求。",
            statement="对整改不及时负有责任，保证在规定时限内完成整改。",
            form=FourForms.FORM_1,
        )
