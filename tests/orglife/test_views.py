"""Organizational life's pages as their users meet them: the secretary records the theme day through the form
(and a refused form keeps what was typed and saves nothing), a duplicate is offered as an edit, an office sees
the six marks with their reasons, a member confirms by QR, the one-table report counts, the archive downloads,
scope answers 404 outside it, and the compliance page's query count does not grow with the branches."""

import io
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from luoshi.core.models import Attachment
from luoshi.members.models import Category, Member
from luoshi.orglife import selectors, services
from luoshi.orglife.models import (
    AbsenceReason,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingKind,
    MeetingRule,
    PlanSupervisor,
    SupervisionVisit,
    ThemeDayPlan,
)
from luoshi.orgs.models import OrgKind, Person, PositionKind
from luoshi.orgs.services import organization_create, position_assign, term_start

from .conftest import national_id

FORM_TIME = "%Y-%m-%dT%H:%M"


def moment(life) -> datetime:
    """A time inside the plan's window, already past and recent enough not to be recorded late (on the hour, so
    two calls in one test agree)."""
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return max(now, life.at(life.plan.window_start, 0))


def form_post(life, branch_key="b1", *, absent=None, **overrides) -> dict:
    """What the record form posts: the roll shown, everyone ticked but the `absent` {member: reason}."""
    absent = absent or {}
    members = life.members[branch_key]
    data = {
        "branch": str(life.world.orgs[branch_key].pk),
        "plan": str(life.plan.pk),
        "kind": MeetingKind.THEME_DAY,
        "starts_at": timezone.localtime(moment(life)).strftime(FORM_TIME),
        "place": "幸福社区党群服务中心二楼",
        "topic": life.plan.theme,
        "agenda": list(life.plan.required_items),
        "presider": str(life.world.people[branch_key].pk),
        "record": "集中学习党章第一章，交纳本月党费，到小区开展清洁志愿服务。",
        "member": [str(m.pk) for m in members],
        "present": [str(m.pk) for m in members if m not in absent],
    }
    for member, reason in absent.items():
        data[f"reason-{member.pk}"] = reason
    data.update(overrides)
    return data


def record(life, branch_key, **overrides) -> Meeting:
    return services.meeting_record(
        by=life.world.users["org_officer"],
        branch=life.world.orgs[branch_key],
        data=life.data(branch_key, starts_at=moment(life), **overrides),
    )


def cells_of(page: str, code: str) -> dict:
    """mark -> (class, text) of one branch's row in the compliance table."""
    row = re.search(rf'<tr data-branch="{code}">(.*?)</tr>', page, re.S).group(1)
    out = {}
    for cls, mark, body in re.findall(r'<td class="mark (\w+)" data-mark="(\w+)"[^>]*>(.*?)</td>', row, re.S):
        out[mark] = (cls, re.sub(r"<[^>]+>", " ", body).split())
    return out


# --- recording ----------------------------------------------------------------------------------------------


def test_secretary_records_the_theme_day_through_the_form(life, login):
    w = life.world
    secretary = login(w.users["branch_secretary"])
    index = secretary.get("/orglife/").content.decode()
    start = f"/orglife/meetings/new/?branch={w.b1.pk}&amp;plan={life.plan.pk}"
    assert start in index and life.plan.theme in index
    form = secretary.get(start.replace("&amp;", "&")).content.decode()
    assert f'value="{life.plan.theme}"' in form  # the topic prefilled with the plan's theme
    for member in life.members["b1"]:  # everyone ticked present
        assert re.search(rf'id="present-{member.pk}" checked', form)
    assert 'value="theme_day" selected' in form

    li_na = life.members["b1"][1]
    response = secretary.post(
        "/orglife/meetings/new/", form_post(life, absent={li_na: AbsenceReason.SICK}), follow=True
    )
    meeting = Meeting.objects.get()
    assert response.redirect_chain[-1][0] == f"/orglife/meetings/{meeting.pk}/"
    assert (meeting.plan, meeting.roll, meeting.present, meeting.late) == (life.plan, 4, 3, False)
    absent = Attendance.objects.get(meeting=meeting, member=li_na)
    assert (absent.present, absent.reason) == (False, AbsenceReason.SICK)
    page = response.content.decode()
    attendance = page.split('id="attendance"')[1]
    for member in life.members["b1"]:
        assert member.name in attendance
    assert str(AbsenceReason.SICK.label) in attendance
    assert 'id="checkin-qr"' in page  # shown large on the meeting's day for the secretary
    # the theme day now shows as held on the branch's page
    assert f"/orglife/meetings/{meeting.pk}/" in secretary.get("/orglife/").content.decode()


@pytest.mark.parametrize("problem", ["future", "stranger", "missing_item"])
def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(life, login, problem):
    w = life.world
    li_na, stranger = life.members["b1"][1], life.members["b2"][0]
    data = form_post(life, absent={li_na: AbsenceReason.WORK})
    if problem == "future":
        data["starts_at"] = (timezone.localtime() + timedelta(hours=3)).strftime(FORM_TIME)
    elif problem == "stranger":
        data["member"].append(str(stranger.pk))
        data["present"].append(str(stranger.pk))
    else:
        data["agenda"] = [AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT]
    response = login(w.users["branch_secretary"]).post("/orglife/meetings/new/", data)
    assert response.status_code == 400
    assert Meeting.objects.count() == 0 and Attendance.objects.count() == 0
    page = response.content.decode()
    assert 'id="form-errors"' in page
    if problem == "stranger":
        assert stranger.name in page.split('id="form-errors"')[1].split("</div>")[0]
    if problem == "missing_item":
        assert "志愿服务" in page.split('id="form-errors"')[1].split("</div>")[0]
    # everything typed is still there: place, record, the starts_at, the ticks and the reason
    assert 'value="幸福社区党群服务中心二楼"' in page
    assert "集中学习党章第一章" in page
    assert f'value="{data["starts_at"]}"' in page
    assert re.search(rf'id="present-{li_na.pk}">', page)  # still unticked
    assert re.search(rf'id="present-{life.members["b1"][0].pk}" checked', page)
    reason = re.search(rf'name="reason-{li_na.pk}".*?</select>', page, re.S).group(0)
    assert 'value="work" selected' in reason
    agenda = re.findall(r'name="agenda" value="(\w+)"[^>]*checked', page)
    assert sorted(agenda) == sorted(data["agenda"])


def test_a_missing_item_with_the_reason_is_accepted(life, login):
    data = form_post(
        life,
        agenda=[AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT],
        omission_note="雨天，志愿服务改期到下周",
    )
    response = login(life.world.users["branch_secretary"]).post("/orglife/meetings/new/", data)
    assert response.status_code == 302
    assert Meeting.objects.get().omission_note == "雨天，志愿服务改期到下周"


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_files_are_optional_and_only_images_or_documents(life, login):
    secretary = login(life.world.users["branch_secretary"])
    program = SimpleUploadedFile("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff" + bytes(300))
    refused = secretary.post("/orglife/meetings/new/", {**form_post(life), "files": [program]})
    assert refused.status_code == 400 and "setup.exe" in refused.content.decode().split('id="form-errors"')[1]
    assert Meeting.objects.count() == 0 and Attachment.objects.count() == 0
    photos = [SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("签到表.txt", "张伟 李娜".encode())]
    response = secretary.post("/orglife/meetings/new/", {**form_post(life), "files": photos}, follow=True)
    meeting = Meeting.objects.get()
    assert Attachment.objects.filter(subject_id=str(meeting.pk)).count() == 2
    page = response.content.decode()
    assert "现场.png" in page and "签到表.txt" in page


def test_someone_else_presides_only_with_the_reason(life, login):
    w = life.world
    zhang = Person.objects.get(national_id=life.members["b1"][0].national_id)
    secretary = login(w.users["branch_secretary"])
    form = secretary.get(f"/orglife/meetings/new/?branch={w.b1.pk}").content.decode()
    assert re.search(rf'<option value="{w.people["b1"].pk}" selected>', form)  # the secretary by default
    assert f'<option value="{zhang.pk}">' in form  # a member on the roll may be delegated
    refused = secretary.post("/orglife/meetings/new/", form_post(life, presider=str(zhang.pk)))
    assert refused.status_code == 400 and Meeting.objects.count() == 0
    assert re.search(
        r"<details class=\"more\" open><summary>[^<]*</summary>\s*<label for=\"id_presider\"",
        refused.content.decode(),
    )
    accepted = secretary.post(
        "/orglife/meetings/new/", form_post(life, presider=str(zhang.pk), delegation="书记外出学习")
    )
    assert accepted.status_code == 302
    assert (Meeting.objects.get().presider, Meeting.objects.get().delegation) == (zhang, "书记外出学习")


def test_a_late_record_is_marked_with_the_time_it_was_made(life, login):
    w = life.world
    late = services.meeting_record(
        by=w.users["org_officer"],
        branch=w.b1,
        data=life.data(
            "b1", kind=MeetingKind.COMMITTEE_MEETING, plan=None, starts_at=timezone.now() - timedelta(days=12)
        ),
    )
    assert late.late
    page = login(w.users["branch_secretary"]).get(f"/orglife/meetings/{late.pk}/").content.decode()
    mark = re.search(r'id="late-mark">(.*?)</span>', page, re.S).group(1)
    assert timezone.localtime(late.recorded_at).strftime("%Y-%m-%d %H:%M") in mark
    assert 'id="checkin-qr"' not in page  # the QR is for the meeting's day


def test_an_office_picks_the_branch_to_record_for(life, login):
    officer = login(life.world.users["org_officer"])
    assert 'name="pick"' in officer.get("/orglife/meetings/new/").content.decode()
    form = officer.get("/orglife/meetings/new/?pick=B2").content.decode()
    assert f'name="branch" value="{life.world.b2.pk}"' in form
    for member in life.members["b2"]:
        assert member.name in form


def test_the_same_meeting_twice_is_offered_as_an_edit(life, login):
    first = record(life, "b1")
    response = login(life.world.users["branch_secretary"]).post("/orglife/meetings/new/", form_post(life))
    assert response.status_code == 400
    assert f'href="/orglife/meetings/{first.pk}/edit/"' in response.content.decode()
    assert Meeting.objects.count() == 1


def test_a_correction_changes_the_attendance_and_keeps_the_history(life, login):
    meeting = record(life, "b1")
    secretary = login(life.world.users["branch_secretary"])
    form = secretary.get(f"/orglife/meetings/{meeting.pk}/edit/").content.decode()
    assert "学习了有关文件" in form
    wang = life.members["b1"][2]
    data = form_post(life, absent={wang: AbsenceReason.FAMILY}, place="支部活动室")
    data["starts_at"] = timezone.localtime(meeting.starts_at).strftime(FORM_TIME)
    del data["branch"]
    response = secretary.post(f"/orglife/meetings/{meeting.pk}/edit/", data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.place, meeting.present) == ("支部活动室", 3)
    assert Attendance.objects.get(meeting=meeting, member=wang).reason == AbsenceReason.FAMILY
    page = secretary.get(f"/orglife/meetings/{meeting.pk}/").content.decode()
    history = page.split('id="history"')[1]
    assert "<del>社区党群服务中心</del>" in history and "<ins>支部活动室</ins>" in history


def test_withdrawing_needs_a_reason_and_keeps_the_record(life, login):
    meeting = record(life, "b1")
    secretary = login(life.world.users["branch_secretary"])
    secretary.post(f"/orglife/meetings/{meeting.pk}/withdraw/", {"reason": ""})
    meeting.refresh_from_db()
    assert meeting.withdrawn_at is None
    secretary.post(f"/orglife/meetings/{meeting.pk}/withdraw/", {"reason": "重复录入"})
    meeting.refresh_from_db()
    assert meeting.withdrawn_reason == "重复录入"
    assert "重复录入" in secretary.get(f"/orglife/meetings/{meeting.pk}/").content.decode()
    assert secretary.get(f"/orglife/meetings/{meeting.pk}/edit/").status_code == 404


def test_the_member_cannot_record(life, login):
    member = login(life.world.users["member"])
    assert member.get(f"/orglife/meetings/new/?branch={life.world.b1.pk}").status_code == 403
    assert member.post("/orglife/meetings/new/", form_post(life)).status_code == 403
    assert Meeting.objects.count() == 0


# --- the six unifications -----------------------------------------------------------------------------------


def test_the_office_sees_the_six_marks_with_their_reasons(life, login):
    w = life.world
    record(life, "b1")
    services.supervision_record(
        plan=life.plan,
        branch=w.b1,
        by=w.users["inspector"],
        visited_on=timezone.localdate(),
        items_seen=life.plan.required_items,
    )
    record(
        life,
        "b2",
        agenda=(AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT),
        omission_note="雨天改期",
    )
    page = login(w.users["org_officer"]).get(f"/orglife/plans/{life.plan.pk}/").content.decode()
    b1, b2, b3 = cells_of(page, "B1"), cells_of(page, "B2"), cells_of(page, "B3")
    assert {mark: cls for mark, (cls, _text) in b1.items()} == dict.fromkeys(selectors.MARKS, "yes")
    assert b2["standard"][0] == "no" and "志愿服务" in " ".join(b2["standard"][1])
    assert "雨天改期" in " ".join(b2["standard"][1])
    assert b2["supervision"][0] == "na"  # no supervisor assigned: not required
    assert {b2[m][0] for m in ("time", "theme", "organization", "archive")} == {"yes"}
    assert {b3[m][0] for m in ("time", "theme", "standard", "organization", "archive")} == {"no"}
    # each cell says what the computation says, word for word
    expected = {r.branch.code: r for r in selectors.compliance(life.plan)}
    for code, cells in (("B1", b1), ("B2", b2), ("B3", b3)):
        for mark, _label, ok, why in expected[code].cells():
            assert cells[mark][0] == {None: "na", True: "yes", False: "no"}[ok]
            assert " ".join(cells[mark][1][1:]) == " ".join(str(why).split())
    # the roll-up per community and street agrees
    rollup = page.split('id="rollup"')[1].split("</table>")[0]
    c1 = re.search(rf'data-unit="{w.c1.pk}">(.*?)</tr>', rollup, re.S).group(1)
    assert re.findall(r'class="num">(\d+)<', c1)[:3] == ["2", "2", "1"]
    s2 = re.search(rf'data-unit="{w.s2.pk}">(.*?)</tr>', rollup, re.S).group(1)
    assert re.findall(r'class="num">(\d+)<', s2)[:3] == ["1", "0", "0"]
    # ?under= narrows the table to one street
    narrowed = login(w.users["org_officer"]).get(f"/orglife/plans/{life.plan.pk}/?under={w.s2.pk}")
    assert 'data-branch="B3"' in narrowed.content.decode()
    assert 'data-branch="B1"' not in narrowed.content.decode()


def test_a_branch_sees_its_own_six_marks_and_a_street_only_its_branches(life, login):
    w = life.world
    record(life, "b1")
    own = login(w.users["branch_secretary"]).get(f"/orglife/plans/{life.plan.pk}/").content.decode()
    assert 'id="own-marks"' in own and "B2" not in own and w.b2.name not in own
    outsider = login(w.users["outsider"]).get(f"/orglife/plans/{life.plan.pk}/").content.decode()
    assert 'data-branch="B3"' in outsider and 'data-branch="B1"' not in outsider


def test_a_user_of_another_street_gets_404(life, login):
    w = life.world
    meeting = record(life, "b1")
    outsider = login(w.users["outsider"])
    for url in (
        f"/orglife/meetings/{meeting.pk}/",
        f"/orglife/meetings/{meeting.pk}/edit/",
        f"/orglife/meetings/{meeting.pk}/qr.svg",
        f"/orglife/archive/{w.b1.pk}/{timezone.localdate().year}.zip",
        f"/orglife/plans/{life.plan.pk}/?under={w.b1.pk}",
        f"/orglife/plans/{life.plan.pk}/visit/{w.b1.pk}/",
        f"/orglife/report/?org={w.s1.pk}",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/orglife/meetings/{meeting.pk}/withdraw/", {"reason": "x"}).status_code == 404
    assert meeting.topic not in outsider.get("/orglife/meetings/").content.decode()


def grow(life, n: int, start: int = 0) -> None:
    """n more branches under 幸福社区, each with a secretary, two members and its theme day recorded."""
    w = life.world
    today = timezone.localdate()
    for i in range(start, start + n):
        branch = organization_create(name=f"增设第{i}支部", kind=OrgKind.BRANCH, code=f"G{i}", parent=w.c1)
        term_start(organization=branch, start_date=today - timedelta(days=100))
        secretary = Person.objects.create(name=f"书记{i}")
        position_assign(
            organization=branch,
            person=secretary,
            kind=PositionKind.SECRETARY,
            start_date=today - timedelta(100),
        )
        members = [
            Member.objects.create(
                name=f"党员{i}-{j}",
                initials="",
                sex="M",
                ethnicity="汉族",
                national_id=national_id(100 + i * 2 + j),
                birth_date=date(1980, 1, 1),
                category=Category.FULL,
                organization=branch,
                joined_on=date(2005, 7, 1),
            )
            for j in range(2)
        ]
        services.meeting_record(
            by=w.users["org_officer"],
            branch=branch,
            data=services.MeetingInput(
                kind=MeetingKind.THEME_DAY,
                starts_at=moment(life),
                place="活动室",
                topic=life.plan.theme,
                record="学习。",
                agenda=tuple(life.plan.required_items[:1]),
                plan=life.plan,
                presider=secretary,
                omission_note="改期" if i % 2 else "",
                attendance={m.pk: (j == 0, "" if j == 0 else "sick") for j, m in enumerate(members)},
            )
            if i % 2
            else services.MeetingInput(
                kind=MeetingKind.THEME_DAY,
                starts_at=moment(life),
                place="活动室",
                topic="其他主题",
                record="学习。",
                agenda=tuple(life.plan.required_items),
                plan=life.plan,
                presider=secretary,
                attendance={m.pk: (True, "") for m in members},
            ),
        )
        if i % 3 == 0:
            services.supervisors_assign(
                plan=life.plan, by=w.users["org_officer"], assignments={branch: w.users["inspector"]}
            )


def queries(client, url) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["org_officer", "street_secretary", "inspector"])
def test_the_compliance_page_does_not_grow_with_the_branches(life, login, persona):
    client = login(life.world.users[persona])
    urls = [f"/orglife/plans/{life.plan.pk}/", "/orglife/", "/orglife/report/", "/orglife/meetings/"]
    grow(life, 3)
    before = {url: queries(client, url) for url in urls}
    grow(life, 9, start=3)
    after = {url: queries(client, url) for url in urls}
    assert after == before


# --- QR self-confirmation ------------------------------------------------------------------------------------


def test_the_member_confirms_by_qr(life, login):
    w = life.world
    zhang = life.members["b1"][0]  # the `member` persona
    # the secretary has not marked 张伟 (recorded absent, the confirmation would wait for the secretary)
    meeting = record(life, "b1", attendance={m.pk: (True, "") for m in life.members["b1"] if m != zhang})
    secretary = login(w.users["branch_secretary"])
    qr = secretary.get(f"/orglife/meetings/{meeting.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    member = login(w.users["member"])
    assert member.get(f"/orglife/meetings/{meeting.pk}/qr.svg").status_code == 404  # only who records
    url = f"/orglife/checkin/{meeting.checkin_token}/"
    page = member.get(url).content.decode()
    assert 'id="confirm-attendance"' in page and meeting.topic in page
    done = member.post(url)
    assert done.status_code == 200 and 'id="checkin-done"' in done.content.decode()
    row = Attendance.objects.get(meeting=meeting, member=zhang)
    assert row.present and row.confirmed_at is not None
    meeting.refresh_from_db()
    assert meeting.present == 4
    shown = secretary.get(f"/orglife/meetings/{meeting.pk}/").content.decode()
    mine = re.search(rf'data-member="{zhang.pk}">(.*?)</li>', shown, re.S).group(1)
    assert "badge confirmed" in mine
    # coming back to the code says it is done, without a button
    again = member.get(url).content.decode()
    assert 'id="checkin-done"' in again and 'id="confirm-attendance"' not in again


def test_checkin_says_clearly_when_it_cannot_confirm(life, login):
    w = life.world
    meeting = record(life, "b1")
    # someone whose record is not on the branch's roll
    refused = login(w.users["street_secretary"]).post(f"/orglife/checkin/{meeting.checkin_token}/")
    assert refused.status_code == 400 and 'id="checkin-problem"' in refused.content.decode()
    # an expired code: the meeting was three days ago
    old = services.meeting_record(
        by=w.users["org_officer"],
        branch=w.b1,
        data=life.data(
            "b1", kind=MeetingKind.COMMITTEE_MEETING, plan=None, starts_at=timezone.now() - timedelta(3)
        ),
    )
    expired = login(w.users["member"]).post(f"/orglife/checkin/{old.checkin_token}/")
    assert expired.status_code == 400 and 'id="checkin-problem"' in expired.content.decode()
    assert not Attendance.objects.filter(meeting=old, confirmed_at__isnull=False).exists()
    unknown = login(w.users["member"]).get("/orglife/checkin/no-such-code/")
    assert unknown.status_code == 404 and 'id="checkin-problem"' in unknown.content.decode()


# --- plans, supervisors, visits, rules ----------------------------------------------------------------------


def test_an_office_makes_publishes_and_staffs_a_plan(life, login):
    w = life.world
    officer = login(w.users["street_secretary"])
    today = timezone.localdate()
    month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    response = officer.post(
        "/orglife/plans/new/",
        {
            "organization": str(w.s1.pk),
            "month": f"{month:%Y-%m}",
            "window_start": month.isoformat(),
            "window_end": (month + timedelta(days=9)).isoformat(),
            "theme": "传承红色基因",
            "materials": "《党史学习教育读本》",
            "required_items": [AgendaItem.COLLECTIVE_STUDY, AgendaItem.OATH],
            "records_to_keep": "会议记录",
            "organizer": "secretary",
        },
    )
    plan = ThemeDayPlan.objects.get(theme="传承红色基因")
    assert response.status_code == 302 and plan.published_at is None
    assert plan.required_items == [AgendaItem.COLLECTIVE_STUDY, AgendaItem.OATH]
    # a branch does not see a draft
    assert login(w.users["branch_secretary"]).get(f"/orglife/plans/{plan.pk}/").status_code == 404
    officer.post(f"/orglife/plans/{plan.pk}/publish/")
    plan.refresh_from_db()
    assert plan.published_at is not None
    assert login(w.users["branch_secretary"]).get(f"/orglife/plans/{plan.pk}/").status_code == 200
    page = officer.get(f"/orglife/plans/{plan.pk}/supervisors/").content.decode()
    assert f'name="branch-{w.b1.pk}"' in page and f'name="branch-{w.b3.pk}"' not in page
    officer.post(
        f"/orglife/plans/{plan.pk}/supervisors/", {f"branch-{w.b2.pk}": str(w.users["inspector"].pk)}
    )
    assert PlanSupervisor.objects.get(plan=plan, branch=w.b2).supervisor == w.users["inspector"]
    # a window outside the month is refused with the typed values kept
    bad = officer.post(
        f"/orglife/plans/{plan.pk}/edit/",
        {
            "organization": str(w.s1.pk),
            "month": f"{month:%Y-%m}",
            "window_start": month.isoformat(),
            "window_end": (month + timedelta(days=40)).isoformat(),
            "theme": "改过的主题",
            "organizer": "secretary",
        },
    )
    assert bad.status_code == 400 and "改过的主题" in bad.content.decode()
    plan.refresh_from_db()
    assert plan.theme == "传承红色基因"
    # a branch may not make plans
    assert login(w.users["branch_secretary"]).get("/orglife/plans/new/").status_code == 404


def test_the_supervisor_sees_what_is_not_held_and_records_a_visit(life, login):
    w = life.world
    inspector = login(w.users["inspector"])
    index = inspector.get("/orglife/").content.decode()
    assert f"/orglife/plans/{life.plan.pk}/visit/{w.b1.pk}/" in index.split('id="supervision"')[1]
    response = inspector.post(
        f"/orglife/plans/{life.plan.pk}/visit/{w.b1.pk}/",
        {
            "visited_on": timezone.localdate().isoformat(),
            "items_seen": [AgendaItem.COLLECTIVE_STUDY],
            "notes": "学习认真，党费收缴规范。",
        },
    )
    assert response.status_code == 302
    visit = SupervisionVisit.objects.get()
    assert (visit.branch, visit.items_seen) == (w.b1, [AgendaItem.COLLECTIVE_STUDY])
    future = inspector.post(
        f"/orglife/plans/{life.plan.pk}/visit/{w.b1.pk}/",
        {"visited_on": (timezone.localdate() + timedelta(days=2)).isoformat(), "notes": "明天去"},
    )
    assert future.status_code == 400 and "明天去" in future.content.decode()
    assert SupervisionVisit.objects.count() == 1
    # the branch secretary is no supervisor
    assert (
        login(w.users["branch_secretary"]).get(f"/orglife/plans/{life.plan.pk}/visit/{w.b1.pk}/").status_code
        == 404
    )


def test_rules_are_listed_and_a_street_adds_its_own(life, login):
    w = life.world
    street = login(w.users["street_secretary"])
    page = street.get("/orglife/rules/").content.decode()
    assert "第十六条" in page and w.district.name in page
    response = street.post(
        "/orglife/rules/",
        {
            "organization": str(w.s1.pk),
            "kind": MeetingKind.PARTY_LECTURE,
            "frequency": "month",
            "times": "1",
            "record_within_days": "5",
            "effective_from": timezone.localdate().isoformat(),
            "basis": "街道党工委规定",
        },
    )
    assert response.status_code == 302
    rule = MeetingRule.objects.get(organization=w.s1)
    assert (rule.kind, rule.frequency, rule.record_within_days) == (MeetingKind.PARTY_LECTURE, "month", 5)
    assert services.rules_in_force(w.b1.path, timezone.localdate())[MeetingKind.PARTY_LECTURE] == rule
    # adjusting it keeps the one rule and its history
    form = street.get(f"/orglife/rules/?rule={rule.pk}").content.decode()
    assert f'name="rule" value="{rule.pk}"' in form and 'value="街道党工委规定"' in form
    street.post(
        "/orglife/rules/",
        {
            "rule": str(rule.pk),
            "organization": str(w.s1.pk),
            "kind": MeetingKind.PARTY_LECTURE,
            "frequency": "month",
            "times": "2",
            "record_within_days": "5",
            "effective_from": timezone.localdate().isoformat(),
            "basis": "街道党工委规定（修订）",
        },
    )
    rule.refresh_from_db()
    assert (MeetingRule.objects.filter(organization=w.s1).count(), rule.times) == (1, 2)
    assert rule.history.count() == 2
    # a district rule is not the street's to adjust
    district_rule = MeetingRule.objects.filter(organization=w.district).first()
    assert street.get(f"/orglife/rules/?rule={district_rule.pk}").status_code == 404
    assert login(w.users["branch_secretary"]).post("/orglife/rules/", {}).status_code == 404


# --- the one-table report and the archive -------------------------------------------------------------------


def test_the_report_shows_the_counts_and_downloads(life, login):
    w = life.world
    record(life, "b1")
    services.supervision_record(
        plan=life.plan, branch=w.b1, by=w.users["inspector"], visited_on=timezone.localdate()
    )
    services.meeting_record(
        by=w.users["org_officer"],
        branch=w.b2,
        data=life.data(
            "b2",
            kind=MeetingKind.COMMITTEE_MEETING,
            plan=None,
            starts_at=moment(life),
            attendance={m.pk: (i == 0, "work") for i, m in enumerate(life.members["b2"])},
        ),
    )
    officer = login(w.users["org_officer"])
    page = officer.get("/orglife/report/").content.decode()
    table = page.split('id="one-table"')[1]
    b1 = re.findall(r'class="num">([\d%]+)<', re.search(r'data-branch="B1">(.*?)</tr>', table, re.S).group(1))
    b2 = re.findall(r'class="num">([\d%]+)<', re.search(r'data-branch="B2">(.*?)</tr>', table, re.S).group(1))
    kinds = list(MeetingKind.values)
    assert b1[kinds.index(MeetingKind.THEME_DAY)] == "1" and b1[-5:] == ["4", "4", "100%", "1", "1"]
    assert b2[kinds.index(MeetingKind.COMMITTEE_MEETING)] == "1" and b2[-5:] == ["3", "1", "33%", "0", "0"]
    totals = re.findall(r'class="num">([\d%]+)<', page.split('id="totals"')[1].split("</tr>")[0])
    assert totals[-5:] == ["7", "5", "71%", "1", "1"]
    link = re.search(r'id="report-xlsx" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    xlsx = officer.get(link)
    assert xlsx["Content-Type"].endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in xlsx["Content-Disposition"] and ".xlsx" in xlsx["Content-Disposition"]
    load_workbook(io.BytesIO(xlsx.content))
    # a street's secretary sees their own street by default
    street = login(w.users["street_secretary"]).get("/orglife/report/").content.decode()
    assert 'data-branch="B1"' in street and 'data-branch="B3"' not in street


def test_whoever_sees_the_branch_gets_its_archive(life, login):
    w = life.world
    meeting = record(life, "b1")
    year = timezone.localtime(meeting.starts_at).year
    for persona in ("branch_secretary", "member", "street_secretary"):
        response = login(w.users[persona]).get(f"/orglife/archive/{w.b1.pk}/{year}.zip")
        assert response.status_code == 200, persona
        assert response["Content-Type"] == "application/zip"
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        assert zipfile.is_zipfile(io.BytesIO(response.content))
    assert login(w.users["outsider"]).get(f"/orglife/archive/{w.b1.pk}/{year}.zip").status_code == 404
    assert login(w.users["street_secretary"]).get(f"/orglife/archive/{w.c1.pk}/{year}.zip").status_code == 404


def test_the_meetings_list_filters(life, login):
    w = life.world
    record(life, "b1")
    services.meeting_record(
        by=w.users["org_officer"],
        branch=w.b2,
        data=life.data(
            "b2", kind=MeetingKind.GROUP_MEETING, plan=None, topic="小组学习", starts_at=moment(life)
        ),
    )
    officer = login(w.users["org_officer"])
    both = officer.get("/orglife/meetings/").content.decode()
    assert "小组学习" in both and life.plan.theme in both
    only = officer.get("/orglife/meetings/?org=B2&kind=group_meeting").content.decode()
    assert "小组学习" in only and life.plan.theme not in only.split('id="meetings"')[1]
    none = officer.get(f"/orglife/meetings/?year={timezone.localdate().year - 3}").content.decode()
    assert "小组学习" not in none
