"""A branch scheme over the test district, with a hand-computed example (see test_runs.py).

Indicators: A tasks on time 40 · B rectifications on time 30 · C escalations 10 (5 per item) · D manual 20 ·
V a red line declared by this test module as its own source (a module adds a source by declaring it)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from luoshi.assessment import services
from luoshi.core.indicators import VETO, Measure, indicator_source
from luoshi.core.models import Escalation, EscalationStatus
from luoshi.inspections import services as inspections
from luoshi.inspections.models import Rectification

BREACHED: set[str] = set()  # organization codes whose red line is breached


@indicator_source("tests.red_line", mode=VETO, label="test red line", rule="any breach vetoes")
def red_line(period, scope, params):
    from luoshi.orgs.models import Organization

    return {org.pk: Measure(1, 1) for org in Organization.objects.filter(code__in=BREACHED, kind=scope.kind)}


SCHEME = """
code: branch-test
name: 党支部考核（测试）
year: {year}
kind: branch
total: 100
veto_cap: 一般
grades:
  - {{name: 好, from: 90}}
  - {{name: 较好, from: 80}}
  - {{name: 一般, from: 60}}
  - {{name: 差, from: 0}}
indicators:
  - {{code: A, name: 任务按期完成, points: 40, source: duty.tasks_on_time}}
  - {{code: B, name: 按期整改, points: 30, source: inspections.rectified_on_time}}
  - {{code: C, name: 督办升级, points: 10, source: core.escalated, per_item: 5}}
  - {{code: D, name: 述职评议, points: 20, source: manual}}
  - {{code: V, name: 红线, points: 0, source: tests.red_line}}
awards:
  - name: 先进党支部
    for_secretaries: true
    conditions:
      - {{check: grade_at_least, grade: 好}}
      - {{check: no_veto}}
      - {{check: no_overdue_rectification}}
"""


def period():
    today = timezone.localdate()
    return date(today.year, 1, 1), date(today.year, 12, 31)


@pytest.fixture
def scheme(world):
    BREACHED.clear()
    return services.scheme_upload(
        by=world.users["org_officer"],
        issuer=world.district,
        text=SCHEME.format(year=timezone.localdate().year),
    )


def rectify(world, org, *, on_time: bool):
    finding = inspections.finding_add(
        by=world.users["discipline_officer"], organization=org, description="问题"
    )
    rectification = inspections.rectification_order(
        by=world.users["discipline_officer"],
        finding=finding,
        deadline=timezone.localdate() + timedelta(days=3),
        evidence_required="材料",
    )
    if on_time:
        Rectification.objects.filter(pk=rectification.pk).update(on_time=True, verified_at=timezone.now())
    return rectification


@pytest.fixture
def example(world, scheme):
    """B1: one of two rectifications on time, one escalation, 18 entered → 40+15+5+18 = 78 (一般, rank 3).
    B2: nothing due, 10 entered → 40+30+10+10 = 90 (好, rank 2).
    B3: its one rectification on time, 20 entered, red line breached → 100, but 一般 (rank 1)."""
    first = rectify(world, world.b1, on_time=True)
    second = rectify(world, world.b1, on_time=False)
    rectify(world, world.b3, on_time=True)
    Escalation.objects.create(
        obligation=world.obligations["b1"],
        step_order=3,
        action="circular",
        scheduled_on=timezone.localdate(),
        status=EscalationStatus.PROPOSED,
    )
    manual = scheme.indicators.get(code="D")
    for org, points in ((world.b1, 18), (world.b2, 10), (world.b3, 20)):
        services.manual_score_set(
            by=world.users["org_officer"],
            indicator=manual,
            organization=org,
            points=points,
            reason="述职评议得分",
        )
    BREACHED.add("B3")
    return {"first": first, "second": second}
