"""A member's QR confirmation never overrides the secretary's record: one that contradicts it (recorded absent)
is kept beside the record, changes nothing — attendance, counts, archive, the six marks — and waits for the
secretary, who accepts it (the member is marked present) or keeps the record with the reason, on the meeting's
page or through the API, once. A confirmation that agrees with the record works as before."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from luoshi.accounts.services import user_create
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Notification
from luoshi.orglife import selectors, services
from luoshi.orglife.archive import year_zip
from luoshi.orglife.models import AbsenceReason, Attendance, CheckInConflict, Meeting
from luoshi.orgs.models import Person

# Any fixed day: everything below is built relative to it, so the tests pass on any real date.
DAY = date(2026, 11, 20)


def travel(day: date, hour: int = 10):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()), tick=False
    )


@pytest.fixture(autouse=True)
def frozen():
    """Set up before the world and `life`, so they are built on the frozen day too."""
    with travel(DAY):
        yield


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def sick(life):
    """Today's theme day at 09:00 in b1, recorded by the secretary with 张伟 (the `member` persona) absent on
    sick leave and the three others present."""
    w = life.world
    zhang = life.members["b1"][0]
    today = timezone.localdate()
    attendance = {m.pk: (m != zhang, "" if m != zhang else AbsenceReason.SICK) for m in life.members["b1"]}
    meeting = services.meeting_record(
        by=w.users["branch_secretary"], branch=w.b1, data=life.data("b1", day=today, attendance=attendance)
    )
    return meeting


def _state(life, meeting):
    """What the record says: attendance rows, the counts, the six marks and the year's archive."""
    meeting.refresh_from_db()
    rows = sorted(Attendance.objects.filter(meeting=meeting).values_list("member_id", "present", "reason"))
    marks = selectors.compliance(life.plan, under=life.world.b1)
    generated = timezone.make_aware(datetime(DAY.year, DAY.month, DAY.day, 8))
    archive = year_zip(life.world.b1, timezone.localtime(meeting.starts_at).year, generated_at=generated)
    return rows, (meeting.present, meeting.absent), [(m.ok, m.why) for m in marks], archive


def _confirm(life, meeting, user=None, *, hours_later=12):
    start = timezone.localtime(meeting.starts_at)
    with time_machine.travel(start + timedelta(hours=hours_later), tick=False):
        return services.attendance_confirm(
            token=meeting.checkin_token, user=user or life.world.users["member"]
        )


def test_a_confirmation_against_an_absence_changes_nothing_and_is_kept_for_the_secretary(life, sick):
    zhang = life.members["b1"][0]
    before = _state(life, sick)
    row = _confirm(life, sick)
    assert (row.member, row.present, row.reason, row.confirmed_at) == (zhang, False, AbsenceReason.SICK, None)
    assert _state(life, sick) == before  # attendance, counts, marks and archive: the secretary's
    conflict = CheckInConflict.objects.get()
    assert conflict.attendance == row and conflict.status == "open"
    assert conflict.confirmed_by == life.world.users["member"]
    assert conflict.confirmed_at == timezone.localtime(sick.starts_at) + timedelta(hours=12)
    told = Notification.objects.get(
        recipient=life.world.users["branch_secretary"], url=sick.get_absolute_url()
    )
    assert zhang.name in told.title
    # scanning again changes nothing and tells no one again
    _confirm(life, sick, hours_later=13)
    assert CheckInConflict.objects.count() == 1
    assert Notification.objects.filter(url=sick.get_absolute_url()).count() == 1
    assert _state(life, sick) == before


def test_a_confirmation_that_agrees_with_the_record_works_as_before(life):
    """Not yet marked: marked present; marked present: confirmed. Only the absence is a conflict."""
    w = life.world
    zhang, li, wang = life.members["b1"][:3]
    meeting = services.meeting_record(
        by=w.users["branch_secretary"],
        branch=w.b1,
        data=life.data(
            "b1",
            day=timezone.localdate(),
            attendance={zhang.pk: (False, AbsenceReason.SICK), wang.pk: (True, "")},  # 李娜 not marked
        ),
    )
    for member in (li, wang):
        user = user_create(username=f"m{member.pk}", password=None)
        Person.objects.create(name=member.name, national_id=member.national_id, user=user)
        row = _confirm(life, meeting, user)
        assert row.present and row.confirmed_at is not None
    assert not _confirm(life, meeting).present  # 张伟, recorded absent: a conflict
    assert list(CheckInConflict.objects.values_list("attendance__member", flat=True)) == [zhang.pk]
    meeting.refresh_from_db()
    assert (meeting.present, meeting.absent) == (2, 1)


def test_the_secretary_keeps_the_record_with_a_reason_once(life, sick):
    w = life.world
    _confirm(life, sick)
    conflict = CheckInConflict.objects.get()
    before = _state(life, sick)
    secretary = w.users["branch_secretary"]
    with pytest.raises(ServiceError, match="Say why"):
        services.checkin_conflict_decide(by=secretary, conflict=conflict, accept=False, note=" ")
    with pytest.raises(NotPermitted):
        services.checkin_conflict_decide(by=w.users["member"], conflict=conflict, accept=True)
    with pytest.raises(NotPermitted):
        services.checkin_conflict_decide(by=w.users["outsider"], conflict=conflict, accept=True)
    kept = services.checkin_conflict_decide(by=secretary, conflict=conflict, accept=False, note="病假条在档")
    assert (kept.status, kept.decided_by, kept.note) == ("kept", secretary, "病假条在档")
    assert _state(life, sick) == before
    versions = kept.history.count()
    again = services.checkin_conflict_decide(by=secretary, conflict=conflict, accept=True)  # twice: nothing
    assert again.status == "kept" and again.history.count() == versions
    assert _state(life, sick) == before


def test_accepting_marks_the_member_present_and_the_archive_follows(life, sick):
    w = life.world
    zhang = life.members["b1"][0]
    _confirm(life, sick)
    conflict = CheckInConflict.objects.get()
    _rows, _counts, _marks, archive_before = _state(life, sick)
    accepted = services.checkin_conflict_decide(
        by=w.users["branch_secretary"], conflict=conflict, accept=True
    )
    assert accepted.status == "accepted" and accepted.decided_at is not None
    row = Attendance.objects.get(meeting=sick, member=zhang)
    assert (row.present, row.reason, row.confirmed_at) == (True, "", conflict.confirmed_at)
    assert row.history.first().history_user == w.users["branch_secretary"]
    rows, counts, _marks, archive = _state(life, sick)
    assert counts == (4, 0) and archive != archive_before
    services.checkin_conflict_decide(
        by=w.users["branch_secretary"], conflict=conflict, accept=False, note="x"
    )
    assert _state(life, sick)[:2] == (rows, counts)  # twice: nothing
    assert CheckInConflict.objects.get().status == "accepted"


def test_a_correction_marking_the_member_present_settles_the_conflict(life, sick):
    w = life.world
    _confirm(life, sick)
    services.meeting_record(
        by=w.users["branch_secretary"],
        branch=w.b1,
        meeting=sick,
        data=life.data("b1", day=timezone.localdate()),  # everyone present
    )
    conflict = CheckInConflict.objects.get()
    assert conflict.status == "accepted" and conflict.decided_by == w.users["branch_secretary"]


def test_the_pages_member_and_secretary(life, sick, login):
    w = life.world
    zhang = life.members["b1"][0]
    url = f"/orglife/checkin/{sick.checkin_token}/"
    later = timezone.localtime(sick.starts_at) + timedelta(hours=12)
    with time_machine.travel(later, tick=False):
        member = login(w.users["member"])
        done = member.post(url).content.decode()
        assert 'id="checkin-conflict"' in done and "与书记的记录（缺席）不一致，已转交书记处理" in done
        assert 'id="checkin-done"' not in done
        again = member.get(url).content.decode()
        assert "已转交书记处理" in again and 'id="confirm-attendance"' not in again

        secretary = login(w.users["branch_secretary"])
        home = secretary.get("/orglife/").content.decode()
        assert f'id="conflicts-{w.b1.pk}"' in home and zhang.name in home
        page = secretary.get(sick.get_absolute_url()).content.decode()
        assert 'id="checkin-conflicts"' in page
        assert "采纳党员的确认（记为出席）" in page and "维持我的记录" in page
        assert 'value="accept"' in page and 'value="keep"' in page
        conflict = CheckInConflict.objects.get()
        decide = f"/orglife/conflicts/{conflict.pk}/decide/"
        assert login(w.users["outsider"]).post(decide, {"decision": "accept"}).status_code == 404
        refused = secretary.post(decide, {"decision": "keep", "note": ""}, follow=True).content.decode()
        assert "请说明维持原记录的理由" in refused
        conflict.refresh_from_db()
        assert conflict.status == "open"
        accepted = secretary.post(decide, {"decision": "accept", "note": "本人确已到会"}, follow=True)
        assert f"已将{zhang.name}记为出席。" in accepted.content.decode()
        sick.refresh_from_db()
        assert sick.present == 4
        page = secretary.get(sick.get_absolute_url()).content.decode()
        assert 'id="checkin-conflicts"' not in page
        assert f'id="conflicts-{w.b1.pk}"' not in secretary.get("/orglife/").content.decode()
        assert "书记已采纳您的确认" in member.get(url).content.decode()


def test_the_api_checkin_list_and_decide(life, sick, api):
    w = life.world
    later = timezone.localtime(sick.starts_at) + timedelta(hours=12)
    with time_machine.travel(later, tick=False):
        response = api(w.users["member"]).post("/api/orglife/checkin/", {"token": sick.checkin_token})
        body = response.json()
        assert response.status_code == 200 and body["present"] is False and body["confirmed_at"] is None
        assert body["conflict"]["status"] == "open"
        secretary = api(w.users["branch_secretary"])
        listed = secretary.get("/api/orglife/checkin-conflicts/?status=open").json()
        assert [c["member"] for c in listed["results"]] == [life.members["b1"][0].pk]
        pk = listed["results"][0]["id"]
        assert api(w.users["outsider"]).get("/api/orglife/checkin-conflicts/").json()["count"] == 0
        decide = f"/api/orglife/checkin-conflicts/{pk}/decide/"
        assert api(w.users["outsider"]).post(decide, {"decision": "accept"}).status_code == 404
        assert secretary.post(decide, {"decision": "keep"}).status_code == 400
        kept = secretary.post(decide, {"decision": "keep", "note": "病假"})
        assert kept.status_code == 200 and kept.json()["status"] == "kept"
        again = secretary.post(decide, {"decision": "accept"})
        assert again.status_code == 200 and again.json()["status"] == "kept"
        assert Meeting.objects.get(pk=sick.pk).present == 3
