"""The assessment part of the demo district: the three shipped schemes loaded by the district; the year's
述职评议 and 群众满意度 scores entered with their reasons; the streets' and communities' assessments run and
published (each unit sees its peers' grades and ranks), the persona street's appeal on its 述职评议 score
awaiting decision; the branches' year pre-assessed twice as a draft, a rectification verified in between, so
the second run lists what changed. Built through the real services."""

from decimal import Decimal

from luoshi.assessment import services
from luoshi.assessment.models import MANUAL, Disclosure
from luoshi.assessment.schemes import shipped_schemes
from luoshi.orgs.models import Organization


def build(builder, levels, personas) -> None:
    rng = builder.rng
    today = builder.today
    officer = personas["org_officer"]["user"]
    district = levels[0][0]
    since = builder.work_day(1, 1)  # the demo's work year (demo/build.py): it looks the same on any day
    schemes = {}
    for name, text in shipped_schemes().items():
        text = text.replace("year: 2026", f"year: {builder.work_year}")
        schemes[name] = services.scheme_upload(by=officer, issuer=district, text=text)
    reasons = {
        "street": "年终述职评议会议，区委常委和部门负责人现场测评，按好、较好、一般、差折算。",
        "community": "群众满意度测评，随机抽取服务对象电话回访，按满意率折算。",
    }
    runs = {}
    for name in ("street", "community"):
        scheme = schemes[name]
        for indicator in scheme.indicators.filter(source=MANUAL):
            units = (
                Organization.objects.subtree(district.path).active().filter(kind=scheme.kind).order_by("path")
            )
            for unit in units:
                share = Decimal(str(rng.choice((0.72, 0.8, 0.86, 0.9, 0.93, 0.97, 1.0))))
                services.manual_score_set(
                    by=officer,
                    indicator=indicator,
                    organization=unit,
                    points=(indicator.weight * share).quantize(Decimal("0.01")),
                    reason=reasons[name],
                )
        run = services.run_compute(by=officer, scheme=scheme, since=since, until=today, note="年度考核")
        runs[name] = services.run_publish(by=officer, run=run, disclosure=Disclosure.RANKS, appeal_days=10)

    street_user = personas["street_secretary"]["user"]
    street = personas["street_secretary"]["org"]
    result = runs["street"].results.get(organization=street)
    services.appeal_file(
        by=street_user,
        result=result,
        indicator_code="D",
        text="述职评议时本街道书记因参加市委全会请假，由副书记代为述职，测评票数不全，请求按实际到会人员重新计分。",
    )

    # the branches' year measured ahead of its end (a pre-assessment): what is due by 31 December counts
    branch_scheme = schemes["branch"]
    year_end = builder.work_day(12, 31)
    services.run_compute(by=officer, scheme=branch_scheme, since=since, until=year_end, note="年度预测算")
    _verify_one(builder, personas)
    services.run_compute(
        by=officer, scheme=branch_scheme, since=since, until=year_end, note="整改验收后重新预测算"
    )


def _verify_one(builder, personas) -> None:
    """A branch of the persona's street reports its open rectification and the team verifies it (between the
    two branch runs, so the second one shows the change)."""
    from luoshi.accountability.demo import _photo
    from luoshi.core.models import ObligationState
    from luoshi.inspections import services as inspections
    from luoshi.inspections.models import Rectification
    from luoshi.orgs.selectors import sitting_secretary

    street = personas["street_secretary"]["org"]
    for rectification in Rectification.objects.filter(
        organization__path__startswith=street.path, obligation__state=ObligationState.OPEN
    ).select_related("organization"):
        person = sitting_secretary(rectification.organization)
        if person is None or person.user_id is None:
            continue
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=person.user_id)
        inspections.rectification_report(
            by=user, rectification=rectification, text="已完成整改。", uploads=[_photo("整改照片.jpg")]
        )
        inspections.rectification_verify(
            by=personas["inspector"]["user"], rectification=rectification, accept=True, reason="整改到位。"
        )
        return
