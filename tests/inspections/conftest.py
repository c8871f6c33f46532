from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from luoshi.inspections import services
from luoshi.inspections.models import InspectionKind, StandardItem
from luoshi.inspections.services import AnswerIn

TZ = ZoneInfo("Asia/Shanghai")


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ), tick=False)


def all_pass(standard) -> dict:
    """An answer for every item that passes it."""
    answers = {}
    for item in StandardItem.objects.filter(section__standard=standard):
        if item.scoring == "pass_fail":
            value = 1
        elif item.scoring == "points":
            value = item.max_points
        else:
            value = item.threshold if item.at_least else 0
        answers[item.pk] = AnswerIn(value)
    return answers


@pytest.fixture
def covert(world, standards):
    """A covert visit planned by the district's discipline office to branch B1, team: the inspector."""
    today = timezone.localdate()
    return services.inspection_create(
        by=world.users["discipline_officer"],
        kind=InspectionKind.COVERT,
        title="作风纪律暗访",
        standard=standards["work-style"],
        organization=world.district,
        approver=world.users["district_admin"],
        starts_on=today,
        ends_on=today + timedelta(days=7),
        team=[world.users["inspector"]],
        targets=[world.b1],
    )
