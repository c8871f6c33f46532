"""The write side of the inspections, accountability and sites API: the same services as the pages, the same
refusals (400 with the reason, nothing saved; 403 without the right; 404 outside scope)."""

import io
import json

from django.contrib.contenttypes.models import ContentType
from PIL import Image

from luoshi.accountability.models import Talk
from luoshi.core.models import Attachment, ObligationState
from luoshi.inspections.models import Answer, Finding, Rectification, StandardItem, Visit

from ..conftest import days


def png(name="photo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def answers_passing(standard) -> list[dict]:
    rows = []
    for item in StandardItem.objects.filter(section__standard=standard).order_by("id"):
        if item.scoring == "pass_fail":
            value = 1
        elif item.scoring == "points":
            value = item.max_points
        else:
            value = item.threshold if item.at_least else 0
        rows.append({"item": item.pk, "value": str(value)})
    return rows


def test_inspector_records_a_visit_through_the_api_and_the_target_then_sees_it(world, api, covert):
    branch = api(world.users["branch_secretary"])
    assert branch.get("/api/inspections/visits/").json()["count"] == 0
    inspector = api(world.users["inspector"])
    response = inspector.post(
        f"/api/inspections/plans/{covert.pk}/visits/",
        {"organization": world.b1.pk, "answers": answers_passing(covert.standard), "summary": "暗访未见问题"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert float(response.json()["score"]) == 100.0
    visits = branch.get("/api/inspections/visits/").json()
    assert [v["id"] for v in visits["results"]] == [response.json()["id"]]


def test_a_bad_visit_is_refused_with_its_reason_and_nothing_is_saved(world, api, covert):
    inspector = api(world.users["inspector"])
    rows = answers_passing(covert.standard)
    points_item = StandardItem.objects.filter(section__standard=covert.standard, scoring="points").first()
    out_of_range = [
        dict(row, value=str(points_item.max_points + 5)) if row["item"] == points_item.pk else row
        for row in rows
    ]
    url = f"/api/inspections/plans/{covert.pk}/visits/"
    refused = inspector.post(url, {"organization": world.b1.pk, "answers": out_of_range}, format="json")
    assert refused.status_code == 400
    not_target = inspector.post(url, {"organization": world.b2.pk, "answers": rows}, format="json")
    assert not_target.status_code == 400
    assert "不是本次检查的对象" in json.dumps(not_target.json(), ensure_ascii=False)
    # the branch secretary is not on the team: the covert plan does not exist for them
    assert api(world.users["branch_secretary"]).post(url, {}, format="json").status_code == 404
    assert Visit.objects.count() == 0 and Answer.objects.count() == 0


def test_a_photo_posted_with_the_visit_is_kept_with_its_answer(world, api, covert):
    item = StandardItem.objects.filter(section__standard=covert.standard, photo_on_failure=True).first()
    assert item is not None, "the work-style standard asks for a photo on some failures"
    rows = [
        dict(row, value="0", note="值班室无人") if row["item"] == item.pk else row
        for row in answers_passing(covert.standard)
    ]
    inspector = api(world.users["inspector"])
    url = f"/api/inspections/plans/{covert.pk}/visits/"
    without = inspector.post(
        url, {"organization": world.b1.pk, "answers": json.dumps(rows)}, format="multipart"
    )
    assert without.status_code == 400 and Visit.objects.count() == 0
    response = inspector.post(
        url,
        {"organization": world.b1.pk, "answers": json.dumps(rows), f"photo-{item.pk}": png()},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    answer = Answer.objects.get(visit_id=response.json()["id"], item=item)
    photos = Attachment.objects.filter(
        subject_type=ContentType.objects.get_for_model(Answer), subject_id=str(answer.pk)
    )
    assert answer.failed and [p.blob.content_type for p in photos] == ["image/png"]
    assert len(photos[0].blob.sha256) == 64


def test_finding_order_report_and_verify_through_the_api(world, api, covert):
    officer = api(world.users["discipline_officer"])
    made = officer.post(
        "/api/inspections/findings/",
        {"organization": world.b1.pk, "description": "值班表未上墙"},
        format="json",
    )
    assert made.status_code == 201, made.content
    finding = made.json()["id"]
    # a branch cannot order its own rectification; the office above can
    assert (
        api(world.users["branch_secretary"])
        .post(
            f"/api/inspections/findings/{finding}/order/",
            {"deadline": days(10).isoformat(), "evidence_required": "照片"},
            format="json",
        )
        .status_code
        == 403
    )
    past = officer.post(
        f"/api/inspections/findings/{finding}/order/",
        {"deadline": days(-1).isoformat(), "evidence_required": "照片"},
        format="json",
    )
    assert past.status_code == 400 and not Rectification.objects.exists()
    ordered = officer.post(
        f"/api/inspections/findings/{finding}/order/",
        {"deadline": days(10).isoformat(), "evidence_required": "值班表照片"},
        format="json",
    )
    assert ordered.status_code == 201
    rectification = ordered.json()["id"]
    branch = api(world.users["branch_secretary"])
    url = f"/api/inspections/rectifications/{rectification}/"
    no_evidence = branch.post(url + "report/", {"text": "已上墙"}, format="multipart")
    assert no_evidence.status_code == 400
    assert Rectification.objects.get().obligation.state == ObligationState.OPEN
    reported = branch.post(
        url + "report/", {"text": "已上墙", "files": png("值班表.png")}, format="multipart"
    )
    assert reported.status_code == 201 and reported.json()["state"] == "submitted"
    # the unit cannot verify its own rectification; the office that found it can
    assert branch.post(url + "verify/", {"decision": "accept"}, format="json").status_code == 403
    accepted = officer.post(url + "verify/", {"decision": "accept"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == "done"
    assert accepted.json()["on_time"] is True
    again = officer.post(url + "verify/", {"decision": "return", "reason": "再看看"}, format="json")
    assert again.status_code == 200 and again.json()["state"] == "done"
    # a sibling street sees none of it
    outsider = api(world.users["outsider"])
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/api/inspections/findings/{finding}/").status_code == 404


def test_talks_are_recorded_by_the_office_above_and_scoped(world, api):
    body = {
        "kind": "individual",
        "organization": world.b1.pk,
        "persons": "张三",
        "persons_count": 1,
        "held_on": days(0).isoformat(),
        "talker": "区纪委书记",
        "basis": "整改逾期",
        "record": "指出问题，提出要求",
        "statement": "诚恳接受",
        "form": "form_1",
    }
    assert (
        api(world.users["branch_secretary"])
        .post("/api/accountability/talks/", body, format="json")
        .status_code
        == 403
    )
    future = api(world.users["discipline_officer"]).post(
        "/api/accountability/talks/", dict(body, held_on=days(3).isoformat()), format="json"
    )
    assert future.status_code == 400 and not Talk.objects.exists()
    made = api(world.users["discipline_officer"]).post("/api/accountability/talks/", body, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["statement"] == "诚恳接受"
    assert api(world.users["street_secretary"]).get("/api/accountability/talks/").json()["count"] == 1
    assert api(world.users["outsider"]).get("/api/accountability/talks/").json()["count"] == 0
    assert (
        api(world.users["outsider"]).get(f"/api/accountability/talks/{made.json()['id']}/").status_code == 404
    )


def test_supervision_statistics_per_unit(world, api, covert):
    from luoshi.inspections import services

    services.finding_add(by=world.users["discipline_officer"], organization=world.b1, description="问题一")
    services.finding_add(by=world.users["discipline_officer"], organization=world.b3, description="问题二")
    services.finding_add(by=world.users["discipline_officer"], organization=world.b3, description="问题三")
    district = api(world.users["district_admin"]).get("/api/accountability/statistics/").json()
    assert district["total"]["findings"] == 3
    per_unit = {row["code"]: row["findings"] for row in district["units"]}
    assert per_unit == {"S1": 1, "S2": 2}
    street = api(world.users["district_admin"]).get(f"/api/accountability/statistics/?unit={world.s2.pk}")
    assert street.json()["total"]["findings"] == 2
    assert [row["code"] for row in street.json()["units"]] == ["C2"]
    # a street sees its own figures only, and another street's subtree does not exist for it
    own = api(world.users["street_secretary"]).get("/api/accountability/statistics/").json()
    assert own["total"]["findings"] == 1
    assert (
        api(world.users["street_secretary"])
        .get(f"/api/accountability/statistics/?unit={world.s2.pk}")
        .status_code
        == 404
    )
    assert Finding.objects.count() == 3
