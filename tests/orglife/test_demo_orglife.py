"""The demo district's organizational life: eight months of meetings with attendance, the monthly plans, the
things an office looks for (a missed quarter's general meeting as an open obligation, this month's plan not yet
held everywhere, items missing with reasons, late records, supervision), the branch persona's theme day left to
record, and the sweep judging organizational life from it."""

import time
from types import SimpleNamespace

import pytest
from django.db import transaction

from luoshi.accounts.services import roles_sync
from luoshi.core.obligations import policies_sync
from luoshi.demo.build import Builder
from luoshi.members import demo as members_demo
from luoshi.members.models import Sweep
from luoshi.orglife import demo as orglife_demo
from luoshi.orglife import selectors
from luoshi.orglife.models import Attendance, Meeting, MeetingDue, MeetingKind, ThemeDayPlan
from luoshi.orglife.periods import month_start


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        roles_sync()
        policies_sync()
        builder = Builder(seed=11, size="district", password="demo-password-1")
        root, levels = builder.build_tree()
        builder.build_people(levels)
        personas = builder.build_personas(root, levels)
        members_demo.build(builder, levels, personas)
        started = time.perf_counter()
        orglife_demo.build(builder, levels, personas)
        elapsed = time.perf_counter() - started
        members_demo.sweep(builder, personas)
        print(f"\norglife demo: {Meeting.objects.count()} meetings in {elapsed:.1f} s")
        yield SimpleNamespace(builder=builder, personas=personas, elapsed=elapsed)
        transaction.set_rollback(True)


def test_a_year_of_meetings_with_attendance(district, db):
    kinds = set(Meeting.objects.values_list("kind", flat=True))
    assert kinds == set(MeetingKind.values)
    assert Meeting.objects.count() > 5000 and Attendance.objects.count() > 150_000
    assert Meeting.history.count() == Meeting.objects.count()  # each with its history row
    # every meeting's counts agree with its attendance rows
    sample = Meeting.objects.order_by("?")[:50]
    for m in sample:
        rows = list(m.attendance.values_list("present", flat=True))
        assert (m.present, m.absent) == (sum(rows), len(rows) - sum(rows))


def test_what_an_office_looks_for(district, db):
    plan = ThemeDayPlan.objects.published().order_by("-month").first()
    assert plan.month == district.builder.today.replace(day=1)
    rows = selectors.compliance(plan)
    held = [r for r in rows if r.meeting is not None]
    assert 0.6 < len(held) / len(rows) < 0.95  # some branches have not held it yet
    assert any(r.ok["standard"] is False for r in held)
    # some recorded late: this month's once it is old enough for it (not on its first days), always last month's
    last_month = ThemeDayPlan.objects.published().get(month=month_start(plan.month, -1))
    assert any(r.ok["archive"] is False for r in selectors.compliance(last_month) if r.meeting is not None)
    assert any(r.ok["supervision"] is True for r in held) and any(r.complete for r in held)
    mine = district.personas["branch_secretary"]["org"]
    assert next(r for r in rows if r.branch.pk == mine.pk).meeting is None  # the persona records it
    dues = MeetingDue.objects.filter(kind=MeetingKind.GENERAL_MEETING)
    assert 0 < dues.count() < 30 and all(d.obligation_id for d in dues)
    assert not MeetingDue.objects.exclude(kind=MeetingKind.GENERAL_MEETING).exists()


def test_the_sweep_judges_organizational_life(district, db):
    counts = Sweep.objects.latest("pk").summary["rules"]["no_orglife"]
    assert 0 < counts["found"] < 100 and counts["checked"] > 19_000


def test_a_members_confirmation_awaits_the_branch_secretary(district, db):
    from luoshi.orglife.models import CheckInConflict

    conflict = CheckInConflict.objects.open().select_related("attendance__meeting").get()
    assert conflict.attendance.meeting.branch == district.personas["branch_secretary"]["org"]
    assert conflict.confirmed_by == district.personas["member"]["user"] and not conflict.attendance.present
