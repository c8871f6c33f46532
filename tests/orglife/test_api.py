"""The organizational-life API: a meeting recorded with its attendance, bad counts refused with nothing saved,
the six marks per branch, the member's QR confirmation, withdrawal, and scope."""

import pytest
from django.utils import translation

from luoshi.orglife.models import AgendaItem, Meeting, MeetingKind

from .test_orglife import TODAY, frozen  # noqa: F401 — the fixture

pytestmark = pytest.mark.frozen(TODAY, hour=10)  # the world and the plan are built on that day too


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def payload(life, branch_key="b1", **overrides):
    members = life.members[branch_key]
    body = {
        "branch": life.world.orgs[branch_key].pk,
        "kind": MeetingKind.THEME_DAY,
        "plan": life.plan.pk,
        "starts_at": f"{TODAY}T09:00:00+08:00",
        "place": "社区党群服务中心",
        "topic": life.plan.theme,
        "agenda": list(life.plan.required_items),
        "record": "学习文件，部署本月志愿服务。",
        "presider": life.world.people[branch_key].pk,
        "attendance": [{"member": m.pk, "present": True} for m in members[:-1]]
        + [{"member": members[-1].pk, "present": False, "reason": "sick"}],
    }
    body.update(overrides)
    return body


def test_record_a_meeting_and_read_the_marks(life, frozen, api):  # noqa: F811
    client = api(life.world.users["branch_secretary"])
    response = client.post("/api/orglife/meetings/", payload(life), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["roll"], body["present"], body["late"]) == (4, 3, False)
    assert {a["member"]: a["reason"] for a in body["attendance"] if not a["present"]} == {
        life.members["b1"][-1].pk: "sick"
    }
    again = client.post("/api/orglife/meetings/", payload(life), format="json")
    assert (
        again.status_code == 400 and "starts_at" in again.json()
    )  # the existing record is named in the message
    officer = api(life.world.users["org_officer"])
    marks = {
        row["branch_code"]: row
        for row in officer.get(f"/api/orglife/plans/{life.plan.pk}/compliance/").json()
    }
    assert marks["B1"]["marks"]["time"] is True and marks["B1"]["marks"]["supervision"] is False
    assert marks["B2"]["marks"]["time"] is False and marks["B2"]["reasons"]["time"] == "未开展"  # not held
    assert client.get(f"/api/orglife/meetings/?branch={life.world.b1.pk}&year=2026").json()["count"] == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"present_count": 9}, "present_count"),
        ({"present_count": 1}, "present_count"),
        ({"agenda": [AgendaItem.COLLECTIVE_STUDY]}, "agenda"),
        ({"starts_at": "2099-01-01T09:00:00+08:00"}, "starts_at"),
    ],
)
def test_bad_input_is_400_and_saves_nothing(life, frozen, api, overrides, field):  # noqa: F811
    response = api(life.world.users["branch_secretary"]).post(
        "/api/orglife/meetings/", payload(life, **overrides), format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert not Meeting.objects.exists()


def test_attendees_of_another_branch_are_refused(life, frozen, api):  # noqa: F811
    body = payload(life, attendance=[{"member": life.members["b2"][0].pk, "present": True}])
    response = api(life.world.users["branch_secretary"]).post("/api/orglife/meetings/", body, format="json")
    assert response.status_code == 400 and "陈静" in str(response.json())


def test_checkin_withdraw_and_scope(life, frozen, api):  # noqa: F811
    secretary = api(life.world.users["branch_secretary"])
    meeting = secretary.post("/api/orglife/meetings/", payload(life), format="json").json()
    token = Meeting.objects.get(pk=meeting["id"]).checkin_token
    confirmed = api(life.world.users["member"]).post("/api/orglife/checkin/", {"token": token}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_at"]
    outsider = api(life.world.users["outsider"])
    assert outsider.get(f"/api/orglife/meetings/{meeting['id']}/").status_code == 404
    assert (
        secretary.post(f"/api/orglife/meetings/{meeting['id']}/withdraw/", {}, format="json").status_code
        == 400
    )
    withdrawn = secretary.post(
        f"/api/orglife/meetings/{meeting['id']}/withdraw/", {"reason": "重复录入"}, format="json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    assert Meeting.objects.filter(pk=meeting["id"]).exists()  # kept, not deleted
    rules = secretary.get("/api/orglife/rules/").json()
    assert rules["count"] == 7  # the district's standing rules reach the branch


def test_a_draft_plan_is_seen_only_by_its_office(life, frozen, api):  # noqa: F811
    officer = api(life.world.users["org_officer"])
    body = {
        "organization": life.world.district.pk,
        "month": "2026-12-01",
        "window_start": "2026-12-10",
        "window_end": "2026-12-20",
        "theme": "学习贯彻年终工作部署",
        "required_items": ["collective_study"],
    }
    draft = officer.post("/api/orglife/plans/", body, format="json")
    assert draft.status_code == 201 and draft.json()["published_at"] is None
    secretary = api(life.world.users["branch_secretary"])
    assert secretary.get(f"/api/orglife/plans/{draft.json()['id']}/").status_code == 404
    assert officer.post(f"/api/orglife/plans/{draft.json()['id']}/publish/").status_code == 200
    assert secretary.get(f"/api/orglife/plans/{draft.json()['id']}/").status_code == 200


def test_a_member_id_the_database_cannot_hold_is_400_on_record_and_correction(life, api):
    """Found by schemathesis against the demo: an attendee id past 64 bits was a 500 (OverflowError)."""
    secretary = api(life.world.users["branch_secretary"])
    huge = [{"member": 2**65, "present": True}]
    created = secretary.post("/api/orglife/meetings/", payload(life, attendance=huge), format="json")
    assert created.status_code == 400 and "attendance" in created.json()
    assert not Meeting.objects.exists()
    meeting = secretary.post("/api/orglife/meetings/", payload(life), format="json").json()
    corrected = secretary.put(
        f"/api/orglife/meetings/{meeting['id']}/", payload(life, attendance=huge), format="json"
    )
    assert corrected.status_code == 400 and "attendance" in corrected.json()
    assert Meeting.objects.get(pk=meeting["id"]).present == 3  # the record as it was


def test_a_year_outside_the_calendar_is_400_for_the_archive_and_the_list(life, api):
    """Found by schemathesis against the demo: ?year=12102 on the archive was a 500 (year out of range)."""
    secretary = api(life.world.users["branch_secretary"])
    b1 = life.world.b1.pk
    with translation.override("zh-hans"):
        archive = secretary.get(f"/api/orglife/archive/?branch={b1}&year=12102")
        listing = secretary.get(f"/api/orglife/meetings/?branch={b1}&year=12102")
    assert archive.status_code == 400 and "2000 至 2100" in archive.json()["year"][0]
    assert listing.status_code == 400 and "year" in listing.json()
    assert secretary.get(f"/api/orglife/archive/?branch={b1}&year=2026").status_code == 200
