"""Records for the cockpit: a task sent to both streets, rectifications (one on time, one not) and a published
community assessment whose two communities land in different grades."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from luoshi.assessment import services as assessment
from luoshi.duty import services as duty
from luoshi.duty.services import TaskSpec

from ..assessment.conftest import rectify

# only computed sources: nothing due earns full points, so C1 (rectified on time) is 好 and C2 (late) 一般
SCHEME = """
code: community-cockpit
name: 社区党组织考核（驾驶舱测试）
year: {year}
kind: community
total: 100
veto_cap: 一般
grades:
  - {{name: 好, from: 90}}
  - {{name: 较好, from: 80}}
  - {{name: 一般, from: 60}}
  - {{name: 差, from: 0}}
indicators:
  - {{code: A, name: 任务按期完成, points: 60, source: duty.tasks_on_time}}
  - {{code: B, name: 按期整改, points: 40, source: inspections.rectified_on_time}}
"""


@pytest.fixture
def records(world):
    """A task sent to both streets, and a rectification in each community (C1's done on time)."""
    officer = world.users["org_officer"]
    today = timezone.localdate()
    plan = duty.plan_create(by=officer, organization=world.district, year=today.year, title="工作要点")
    task = duty.task_create(
        by=officer, plan=plan, spec=TaskSpec(title="开展廉政警示教育", deadline=today + timedelta(days=20))
    )
    duty.task_assign(by=officer, task=task, organizations=[world.s1, world.s2])
    rectify(world, world.c1, on_time=True)
    rectify(world, world.c2, on_time=False)
    return world


def publish_run(world):
    officer = world.users["org_officer"]
    year = timezone.localdate().year
    scheme = assessment.scheme_upload(by=officer, issuer=world.district, text=SCHEME.format(year=year))
    run = assessment.run_compute(by=officer, scheme=scheme, since=date(year, 1, 1), until=date(year, 12, 31))
    return assessment.run_publish(by=officer, run=run)


@pytest.fixture
def published(records):
    """The community assessment computed over the records and published."""
    return publish_run(records)
