"""Organizational life recorded once, and what is derived from it: the six unifications per branch with their
reasons and roll-up, the obligation a missed meeting becomes at the end of its period, the members' last
organizational life in the sweep, the member's own confirmation by QR, and bad input refused."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Obligation, ObligationState
from luoshi.members import sweeps
from luoshi.members.models import SweepFinding
from luoshi.orglife import selectors, services
from luoshi.orglife.models import AgendaItem, Attendance, Meeting, MeetingDue, MeetingKind
from luoshi.orglife.obligations import MEETING_DUE, meeting_dues_sync

TODAY = date(2026, 11, 25)


def travel(day: date, hour: int = 10):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()), tick=False
    )


@pytest.fixture(autouse=True)
def english():
    """The messages asserted below in their English msgids (the page shows them in Chinese)."""
    with translation.override("en"):
        yield


# every test here and its fixtures (the world, the rules, this month's plan) live on TODAY
pytestmark = pytest.mark.frozen(TODAY, hour=10)


@pytest.fixture
def frozen():
    with travel(TODAY):
        yield


@pytest.fixture
def recorded(frozen, life):
    """b1 complete and supervised; b2 without the service activity (the branch says why); b3 recorded late."""
    w = life.world
    secretary, officer = w.users["branch_secretary"], w.users["org_officer"]
    b1 = services.meeting_record(by=secretary, branch=w.b1, data=life.data("b1", day=date(2026, 11, 20)))
    services.supervision_record(
        plan=life.plan,
        branch=w.b1,
        by=w.users["inspector"],
        visited_on=date(2026, 11, 20),
        items_seen=life.plan.required_items,
    )
    agenda = (AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT)
    b2 = services.meeting_record(
        by=officer,
        branch=w.b2,
        data=life.data("b2", day=date(2026, 11, 21), agenda=agenda, omission_note="雨天，志愿服务改到下月"),
    )
    b3 = services.meeting_record(by=officer, branch=w.b3, data=life.data("b3", day=date(2026, 11, 3)))
    return b1, b2, b3


def marks_of(rows):
    return {r.branch.code: (r.ok, r.why) for r in rows}


def test_six_marks_per_branch_with_reasons(life, recorded):
    b1, b2, b3 = recorded
    assert (b1.late, b2.late, b3.late) == (False, False, True)
    marks = marks_of(selectors.compliance(life.plan))
    ok = {code: ok for code, (ok, _why) in marks.items()}
    assert ok["B1"] == dict.fromkeys(selectors.MARKS, True)
    assert ok["B2"] == {**dict.fromkeys(selectors.MARKS, True), "standard": False, "supervision": None}
    assert ok["B3"] == {**dict.fromkeys(selectors.MARKS, True), "archive": False, "supervision": None}
    assert "Service activity" in marks["B2"][1]["standard"] and "雨天" in marks["B2"][1]["standard"]
    assert marks["B3"][1]["archive"] == "recorded late, on 2026-11-25"
    assert marks["B2"][1]["supervision"] == "No supervisor assigned"


def test_the_roll_up_and_the_one_table_agree_with_the_marks(life, recorded):
    w = life.world
    rows = selectors.compliance(life.plan)
    rollup = {r.unit.code: r for r in selectors.compliance_rollup(rows, [w.district, w.c1, w.c2, w.s1])}
    assert (rollup["D"].branches, rollup["D"].held, rollup["D"].complete) == (3, 3, 1)
    assert (rollup["C1"].branches, rollup["C1"].complete) == (2, 1)
    assert (rollup["C2"].branches, rollup["C2"].complete) == (1, 0)
    assert rollup["D"].per_mark["standard"] == 2 and rollup["D"].per_mark["archive"] == 2
    assert rollup["D"].per_mark["supervision"] == 3  # "not required" counts as met
    table = {
        row.branch.code: row
        for row in selectors.quarter_table(w.district, date(2026, 10, 1), date(2026, 12, 31))
    }
    assert {code: (r.theme_days, r.compliant) for code, r in table.items()} == {
        "B1": (1, 1),
        "B2": (1, 0),
        "B3": (1, 0),
    }
    assert (table["B1"].roll, table["B1"].present, table["B1"].attendance_rate) == (4, 4, 1.0)
    assert table["B1"].held[MeetingKind.THEME_DAY] == 1 and table["B1"].held[MeetingKind.GENERAL_MEETING] == 0


def test_a_branch_not_held_shows_every_mark_missing(life, frozen):
    marks = marks_of(selectors.compliance(life.plan, under=life.world.c2))
    assert list(marks) == ["B3"]
    ok, why = marks["B3"]
    assert ok["time"] is False and why["time"] == "Not held" and ok["supervision"] is None


def test_a_quarter_without_a_general_meeting_becomes_an_obligation_at_its_end(life):
    w = life.world
    with travel(date(2026, 8, 12)):
        services.meeting_record(
            by=w.users["branch_secretary"],
            branch=w.b1,
            data=life.data(
                "b1", day=date(2026, 8, 12), kind=MeetingKind.GENERAL_MEETING, plan=None, topic="党员大会"
            ),
        )
    general = MeetingDue.objects.filter(kind=MeetingKind.GENERAL_MEETING, period_start=date(2026, 7, 1))
    with travel(date(2026, 9, 30)):
        meeting_dues_sync()
        assert not general.exists()  # the quarter is not over (the second quarter's are opened)
        assert (
            MeetingDue.objects.filter(kind=MeetingKind.GENERAL_MEETING, period_start=date(2026, 4, 1)).count()
            == 3
        )
    with travel(date(2026, 10, 1)):
        meeting_dues_sync()
        assert sorted(general.values_list("branch__code", flat=True)) == ["B2", "B3"]
        due = general.get(branch=w.b2)
        assert (due.period_start, due.period_end, due.held) == (date(2026, 7, 1), date(2026, 9, 30), 0)
        obligation = due.obligation
        assert obligation.policy.kind == MEETING_DUE and obligation.organization == w.b2
        assert obligation.due_date == date(2026, 10, 15) and obligation.responsible == w.people["b2"]
        assert "Q" not in obligation.title and "2026-07–2026-09" in obligation.title
        count = Obligation.objects.count()
        meeting_dues_sync()  # idempotent
        assert Obligation.objects.count() == count
    with travel(date(2026, 10, 9)):
        services.meeting_record(
            by=w.users["org_officer"],
            branch=w.b2,
            data=life.data(
                "b2", day=date(2026, 10, 9), kind=MeetingKind.GENERAL_MEETING, plan=None, topic="补开党员大会"
            ),
        )
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.DONE
    assert general.get(branch=w.b3).obligation.state != ObligationState.DONE


def test_the_members_last_organizational_life_feeds_the_sweep(life, frozen):
    w = life.world
    officer = w.users["org_officer"]
    b1 = life.members["b1"]
    with travel(date(2026, 1, 10)):
        services.meeting_record(
            by=officer,
            branch=w.b1,
            data=life.data(
                "b1", day=date(2026, 1, 10), kind=MeetingKind.GROUP_MEETING, plan=None, topic="党小组会"
            ),
        )
    with travel(date(2026, 10, 10)):
        attendance = {m.pk: (True, "") for m in b1}
        attendance[b1[1].pk] = (False, "work")
        services.meeting_record(
            by=officer,
            branch=w.b1,
            data=life.data(
                "b1",
                day=date(2026, 10, 10),
                kind=MeetingKind.GROUP_MEETING,
                plan=None,
                topic="党小组会",
                attendance=attendance,
            ),
        )
    with travel(date(2026, 9, 5)):  # b2 began recording within the window: it cannot be judged yet
        services.meeting_record(
            by=officer,
            branch=w.b2,
            data=life.data(
                "b2", day=date(2026, 9, 5), kind=MeetingKind.GROUP_MEETING, plan=None, topic="党小组会"
            ),
        )
    assert selectors.last_orglife([m.pk for m in b1]) == {
        b1[0].pk: date(2026, 10, 10),
        b1[1].pk: date(2026, 1, 10),
        b1[2].pk: date(2026, 10, 10),
        b1[3].pk: date(2026, 10, 10),
    }
    sweep = sweeps.sweep_run(sweeps.sweep_open(by=officer, organization=w.district, queue=False).pk)
    assert sweep.summary["rules"]["no_orglife"] == {"checked": 4, "found": 1, "no_data": 6}
    finding = SweepFinding.objects.get(rule="no_orglife")
    assert finding.member == b1[1]
    assert finding.facts == {"last_attended": "2026-01-10", "since": "2026-05"}


def test_the_member_confirms_attendance_by_qr(life, frozen):
    w = life.world
    attendance = {m.pk: (True, "") for m in life.members["b1"][1:]}  # the secretary has not ticked 张伟
    meeting = services.meeting_record(
        by=w.users["branch_secretary"], branch=w.b1, data=life.data("b1", day=TODAY, attendance=attendance)
    )
    row = services.attendance_confirm(token=meeting.checkin_token, user=w.users["member"])
    assert row.member == life.members["b1"][0] and row.present and row.confirmed_at is not None
    meeting.refresh_from_db()
    assert meeting.present == 4
    with pytest.raises(ServiceError, match="roll"):
        services.attendance_confirm(token=meeting.checkin_token, user=w.users["street_secretary"])
    with travel(TODAY + timedelta(days=2)), pytest.raises(ServiceError, match="day after"):
        services.attendance_confirm(token=meeting.checkin_token, user=w.users["member"])


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"starts_at": "future"}, "future"),
        ({"attendance": "stranger"}, "Not on this branch's roll: 陈静"),
        ({"agenda": (AgendaItem.COLLECTIVE_STUDY,)}, "The plan requires"),
        ({"record": "  "}, "what the meeting decided"),
        ({"presider": "other", "delegation": ""}, "delegated"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(life, frozen, overrides, message):
    w = life.world
    if overrides.get("starts_at") == "future":
        overrides["starts_at"] = timezone.now() + timedelta(hours=2)
    if overrides.get("attendance") == "stranger":
        overrides["attendance"] = {life.members["b2"][0].pk: (True, "")}
    if overrides.get("presider") == "other":
        overrides["presider"] = w.people["c1"]
    with pytest.raises(ServiceError, match=message):
        services.meeting_record(
            by=w.users["branch_secretary"], branch=w.b1, data=life.data("b1", day=TODAY, **overrides)
        )
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_the_same_meeting_twice_is_offered_as_an_edit_and_a_wrong_file_saves_nothing(life, frozen):
    w = life.world
    secretary = w.users["branch_secretary"]
    first = services.meeting_record(by=secretary, branch=w.b1, data=life.data("b1", day=TODAY))
    with pytest.raises(services.DuplicateMeeting) as caught:
        services.meeting_record(by=secretary, branch=w.b1, data=life.data("b1", day=TODAY))
    assert caught.value.meeting == first
    program = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    with pytest.raises(ServiceError, match="not an accepted file type"):
        services.meeting_record(
            by=secretary, branch=w.b1, data=life.data("b1", day=TODAY - timedelta(days=1)), files=[program]
        )
    assert Meeting.objects.count() == 1
    corrected = services.meeting_record(
        by=secretary, branch=w.b1, meeting=first, data=life.data("b1", day=TODAY, place="支部活动室")
    )
    assert corrected.pk == first.pk and corrected.history.count() == 2


def test_a_branch_records_only_its_own_meetings(life, frozen):
    w = life.world
    with pytest.raises(NotPermitted):
        services.meeting_record(by=w.users["branch_secretary"], branch=w.b2, data=life.data("b2", day=TODAY))
    with pytest.raises(NotPermitted):
        services.plan_publish(plan=life.plan, by=w.users["branch_secretary"])


def test_a_streets_stricter_rule_applies_under_it(life, frozen):
    w = life.world
    services.rule_save(
        by=w.users["street_secretary"],
        organization=w.s1,
        kind=MeetingKind.PARTY_LECTURE,
        frequency="month",
        effective_from=date(2026, 1, 1),
        basis="城关街道：党课每月1次",
    )
    assert services.rules_in_force(w.b1.path, TODAY)[MeetingKind.PARTY_LECTURE].frequency == "month"
    assert services.rules_in_force(w.b3.path, TODAY)[MeetingKind.PARTY_LECTURE].frequency == "quarter"
    with pytest.raises(NotPermitted):
        services.rule_save(
            by=w.users["street_secretary"],
            organization=w.s2,
            kind=MeetingKind.PARTY_LECTURE,
            frequency="month",
            effective_from=date(2026, 1, 1),
        )


def test_a_streets_monthly_rule_is_judged_on_its_own_branches_only(life):
    w = life.world
    services.rule_save(
        by=w.users["street_secretary"],
        organization=w.s1,
        kind=MeetingKind.PARTY_LECTURE,
        frequency="month",
        effective_from=date(2026, 1, 1),
    )
    with travel(date(2026, 11, 2)):
        meeting_dues_sync()
    lectures = MeetingDue.objects.filter(kind=MeetingKind.PARTY_LECTURE)
    # October is a month of the street's rule: its branches owe October's lecture; b3 keeps the district's
    # quarterly rule and owes the third quarter's
    assert sorted(lectures.values_list("branch__code", "period_start")) == [
        ("B1", date(2026, 10, 1)),
        ("B2", date(2026, 10, 1)),
        ("B3", date(2026, 7, 1)),
    ]


def test_the_members_page_shows_their_last_organizational_life(life, frozen, login):
    w = life.world
    attendance = {
        m.pk: (m != life.members["b1"][1], "" if m != life.members["b1"][1] else "sick")
        for m in life.members["b1"]
    }
    services.meeting_record(
        by=w.users["branch_secretary"],
        branch=w.b1,
        data=life.data("b1", day=date(2026, 11, 20), attendance=attendance),
    )
    client = login(w.users["branch_secretary"])
    page = client.get(f"/members/{life.members['b1'][0].pk}/").content.decode()
    with translation.override("zh-hans"):  # the page's language
        label, none = (
            translation.gettext("Last organizational life attended"),
            translation.gettext("none recorded"),
        )
    assert label in page and "2026-11-20" in page
    absent = client.get(f"/members/{life.members['b1'][1].pk}/").content.decode()
    assert "2026-11-20" not in absent and none in absent


def test_assessment_reads_the_share_of_theme_days_held_to_all_six(life, recorded):
    from luoshi.core.indicators import Measure, Period, Scope, source_get

    w = life.world
    source = source_get("orglife.theme_days_compliant")
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert source.measure(period, Scope("branch", w.district.path), {}) == {
        w.b1.pk: Measure(1.0, 1.0),
        w.b2.pk: Measure(0.0, 1.0),
        w.b3.pk: Measure(0.0, 1.0),
    }
    assert source.measure(period, Scope("community", w.s1.path), {}) == {w.c1.pk: Measure(1.0, 2.0)}
    records = source.list_records(period, w.c1, {})
    assert [(r.label.split()[-1], r.counts) for r in records] == [
        ("幸福第一支部", True),
        ("幸福第二支部", False),
    ]
