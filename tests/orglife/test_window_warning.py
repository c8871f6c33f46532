"""A theme day recorded outside its plan's window (统一时间) is saved — a late theme day is better than none —
but the secretary is told at once, and the meeting's page says so, not only the plan's six marks."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from luoshi.orglife import services
from luoshi.orglife.models import AgendaItem, Meeting, MeetingKind

DAY = date(2026, 11, 20)  # any day from the 12th of a month on: the days below are built relative to it


@pytest.fixture(autouse=True)
def frozen():
    """Set up before the world and `life`, so they are built on the frozen day too."""
    with time_machine.travel(
        datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        yield


@pytest.fixture
def early_plan(life):
    """This month's street plan whose window (the 3rd to the 10th) is over."""
    w = life.world
    first = timezone.localdate().replace(day=1)
    plan = services.plan_save(
        by=w.users["org_officer"],
        organization=w.district,
        data=services.PlanInput(
            month=first,
            window_start=first + timedelta(days=2),
            window_end=first + timedelta(days=9),
            theme="重温入党誓词",
            required_items=(AgendaItem.COLLECTIVE_STUDY,),
        ),
    )
    return services.plan_publish(plan=plan, by=w.users["org_officer"])


def _post(life, plan, day: date) -> dict:
    w = life.world
    members = life.members["b1"]
    return {
        "branch": str(w.b1.pk),
        "plan": str(plan.pk),
        "kind": MeetingKind.THEME_DAY,
        "starts_at": f"{day.isoformat()}T09:00",
        "place": "幸福社区党群服务中心",
        "topic": plan.theme,
        "agenda": list(plan.required_items),
        "presider": str(w.people["b1"].pk),
        "record": "重温入党誓词，集中学习党章。",
        "member": [str(m.pk) for m in members],
        "present": [str(m.pk) for m in members],
    }


def test_a_theme_day_after_the_window_is_saved_with_a_warning(life, early_plan, login):
    secretary = login(life.world.users["branch_secretary"])
    held = timezone.localdate() - timedelta(days=2)  # after the window's end
    response = secretary.post("/orglife/meetings/new/", _post(life, early_plan, held), follow=True)
    meeting = Meeting.objects.get()  # saved all the same
    assert response.redirect_chain[-1][0] == meeting.get_absolute_url() and meeting.plan == early_plan
    page = response.content.decode()
    warning = page.split('class="messages"')[1].split("</ul>")[0]
    assert 'class="warning"' in warning and "统一时间" in warning
    assert held.isoformat() in warning and early_plan.window_end.isoformat() in warning
    assert "会议已记录" not in warning  # not the plain "recorded" of a theme day in its window
    # and the meeting's page keeps saying it, not only the plan's six marks
    again = secretary.get(meeting.get_absolute_url()).content.decode()
    assert 'id="outside-window"' in again


def test_a_theme_day_in_the_window_is_recorded_without_a_warning(life, early_plan, login):
    secretary = login(life.world.users["branch_secretary"])
    held = early_plan.window_start + timedelta(days=1)
    response = secretary.post("/orglife/meetings/new/", _post(life, early_plan, held), follow=True)
    page = response.content.decode()
    assert (
        Meeting.objects.count() == 1 and 'class="warning"' not in page and 'id="outside-window"' not in page
    )
