"""The duty scenario's extra people: a third branch under 幸福社区 and a login for the second branch's
secretary, so that two branches report and one stays silent."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from luoshi.accounts.models import Role
from luoshi.accounts.services import role_grant, user_create
from luoshi.duty import services
from luoshi.duty.services import TaskSpec
from luoshi.orgs.models import OrgKind, Person, PositionKind
from luoshi.orgs.services import organization_create, position_assign, term_start

from ..conftest import PASSWORD

TZ = ZoneInfo("Asia/Shanghai")
START = date(2026, 3, 2)  # the scenario's first day; deadlines count from it


def at(day: date, hour: int = 9):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ), tick=False)


@pytest.fixture
def duty_world(world):
    with at(START):
        b4 = organization_create(name="幸福第四支部", kind=OrgKind.BRANCH, code="B4", parent=world.c1)
        term_start(organization=b4, start_date=START - timedelta(days=30))
        person = Person.objects.create(name="b4书记")
        position_assign(organization=b4, person=person, kind=PositionKind.SECRETARY, start_date=START)
        world.orgs["b4"] = b4
        world.people["b4"] = person
        second = user_create(username="branch2_secretary", password=PASSWORD, display_name="二支部书记")
        role_grant(
            by=None, user=second, role=Role.objects.get(code="branch_secretary"), organization=world.b2
        )
        world.people["b2"].user = second
        world.people["b2"].save()
        world.users["branch2_secretary"] = second
    return world


DEADLINE = START + timedelta(days=20)  # the district's deadline
BRANCH_DEADLINE = START + timedelta(days=14)  # the street's, no later


@pytest.fixture
def cascade(duty_world):
    w = duty_world
    officer, street = w.users["org_officer"], w.users["street_secretary"]
    with at(START):
        plan = services.plan_create(by=officer, organization=w.district, year=2026, title="2026年工作要点")
        task = services.task_create(
            by=officer,
            plan=plan,
            spec=TaskSpec(title="开展廉政警示教育", deadline=DEADLINE, lead_office="区纪委监委"),
        )
        (top,) = services.task_assign(by=officer, task=task, organizations=[w.s1])
        branches = [w.b1, w.b2, w.b4]
        child = services.task_split(
            by=street,
            assignment=top,
            spec=TaskSpec(title="开展廉政警示教育（支部）", deadline=BRANCH_DEADLINE),
            organizations=branches,
        )
    w.plan, w.task, w.top, w.child = plan, task, top, child
    w.assignment = {a.organization_id: a for a in child.assignments.select_related("obligation")}
    return w
