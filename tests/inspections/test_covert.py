"""A covert plan and its existence stay hidden from the target and from a sibling street until the visit is
recorded; the team and the approving leader see it throughout."""

import pytest

from luoshi.core.errors import ServiceError
from luoshi.inspections import services
from luoshi.inspections.models import Finding, Inspection, StandardItem, Visit
from luoshi.inspections.services import AnswerIn

from .conftest import all_pass


def test_covert_plan_hidden_until_the_visit_is_recorded(world, covert):
    for outsider in ("branch_secretary", "street_secretary", "outsider", "org_officer", "member", "auditor"):
        assert not Inspection.objects.visible_to(world.users[outsider]).exists(), outsider
    for insider in ("inspector", "district_admin", "discipline_officer"):  # team, approver, planner
        assert Inspection.objects.visible_to(world.users[insider]).filter(pk=covert.pk).exists()

    answers = all_pass(covert.standard)
    style_a1 = next(k for k, v in answers.items() if v.value == 1)
    answers[style_a1].value = 0
    answers[style_a1].note = "9:30 科室无人在岗"
    visit = services.visit_record(
        by=world.users["inspector"], inspection=covert, organization=world.b1, answers=answers
    )
    assert visit.score < 100
    # the visit (not the plan) is now visible to those who see the branch; still not to a sibling street
    assert Visit.objects.visible_to(world.users["branch_secretary"]).filter(pk=visit.pk).exists()
    assert Visit.objects.visible_to(world.users["street_secretary"]).filter(pk=visit.pk).exists()
    assert not Visit.objects.visible_to(world.users["outsider"]).exists()
    assert not Inspection.objects.visible_to(world.users["branch_secretary"]).exists()
    assert Finding.objects.visible_to(world.users["branch_secretary"]).count() == 1


def test_covert_hidden_on_the_web_and_the_api(world, covert, login, api):
    for outsider in ("branch_secretary", "outsider"):
        client = login(world.users[outsider])
        assert client.get(f"/inspections/{covert.pk}/").status_code == 404
        assert "作风纪律暗访" not in client.get("/inspections/").content.decode()
        assert api(world.users[outsider]).get(f"/api/inspections/plans/{covert.pk}/").status_code == 404
        assert api(world.users[outsider]).get("/api/inspections/plans/").json()["count"] == 0
    team = login(world.users["inspector"])
    assert "作风纪律暗访" in team.get("/inspections/").content.decode()
    form = team.get(f"/inspections/{covert.pk}/visit/{world.b1.pk}/")
    assert form.status_code == 200
    # a visit for an organization not in the plan: not offered, 404
    assert team.get(f"/inspections/{covert.pk}/visit/{world.b2.pk}/").status_code == 404
    data = {f"item-{pk}": str(a.value) for pk, a in all_pass(covert.standard).items()}
    recorded = team.post(f"/inspections/{covert.pk}/visit/{world.b1.pk}/", data)
    assert recorded.status_code == 302
    visit = Visit.objects.get(inspection=covert)
    branch = login(world.users["branch_secretary"])
    assert branch.get(f"/inspections/visits/{visit.pk}/").status_code == 200
    assert branch.get(f"/inspections/{covert.pk}/").status_code == 404  # the plan itself stays hidden
    assert api(world.users["branch_secretary"]).get("/api/inspections/visits/").json()["count"] == 1
    assert api(world.users["outsider"]).get("/api/inspections/visits/").json()["count"] == 0


def test_a_recorded_visit_is_amended_with_a_reason_not_edited(world, covert):
    answers = all_pass(covert.standard)
    visit = services.visit_record(
        by=world.users["inspector"], inspection=covert, organization=world.b1, answers=answers
    )
    assert visit.score == 100
    with pytest.raises(ServiceError):  # recording it again is refused
        services.visit_record(
            by=world.users["inspector"], inspection=covert, organization=world.b1, answers=answers
        )
    item = StandardItem.objects.get(section__standard=covert.standard, code="C2")
    with pytest.raises(ServiceError):
        services.visit_amend(
            by=world.users["inspector"], visit=visit, reason=" ", answers={item.pk: AnswerIn(0, "玩手机")}
        )
    services.visit_amend(
        by=world.users["inspector"],
        visit=visit,
        reason="复核监控录像",
        answers={item.pk: AnswerIn(0, "上班时间玩手机游戏")},
    )
    visit.refresh_from_db()
    assert visit.score == 85
    assert visit.amendments.get().changes == {"C2": ["1.00", "0"]}
    assert visit.findings.count() == 1
    assert visit.history.count() == 2  # the recorded version is kept beside the amended one


def test_planning_on_the_web(world, standards, login):
    officer = login(world.users["discipline_officer"])
    form = {
        "kind": "surprise",
        "title": "窗口作风突击检查",
        "standard": str(standards["work-style"].pk),
        "organization": str(world.district.pk),
        "approver": "district_admin",
        "starts_on": "2099-01-01",
        "ends_on": "2099-01-05",
        "team": "inspector\nnobody",
        "to-mode": "kind",
        "to-kind": "branch",
        "to-under": "",
        "to-codes": "",
    }
    bad = officer.post("/inspections/new/", form)
    assert bad.status_code == 400 and "nobody" in bad.content.decode()
    form["team"] = "inspector"
    made = officer.post("/inspections/new/", form)
    assert made.status_code == 302
    plan = Inspection.objects.get(title="窗口作风突击检查")
    assert {t.organization.code for t in plan.targets.select_related("organization")} == {"B1", "B2", "B3"}
    # the planner sees it; an officer of the same office who is not on it does not
    assert officer.get(made["Location"]).status_code == 200
    assert login(world.users["org_officer"]).get(made["Location"]).status_code == 404


def test_bad_visit_input_saves_nothing(world, covert, settings):
    import io

    answers = all_pass(covert.standard)
    car = StandardItem.objects.get(
        section__standard=covert.standard, code="C1"
    )  # a photo is required on failure
    answers[car.pk] = AnswerIn(0, "公车私用")
    with pytest.raises(ServiceError):  # no photo
        services.visit_record(
            by=world.users["inspector"], inspection=covert, organization=world.b1, answers=answers
        )
    fake = io.BytesIO(b"%PDF-1.4 not a photo" + b"\x00" * 50)
    fake.name, fake.size, fake.content_type = "photo.jpg", 70, "image/jpeg"
    fake.chunks = lambda: [fake.getvalue()]
    answers[car.pk] = AnswerIn(0, "公车私用", photos=(fake,))
    with pytest.raises(ServiceError):  # a PDF named .jpg is not a photo
        services.visit_record(
            by=world.users["inspector"], inspection=covert, organization=world.b1, answers=answers
        )
    points = StandardItem.objects.get(section__standard=covert.standard, code="B1")
    answers = all_pass(covert.standard)
    answers[points.pk] = AnswerIn(11)
    with pytest.raises(ServiceError):  # outside 0–10
        services.visit_record(
            by=world.users["inspector"], inspection=covert, organization=world.b1, answers=answers
        )
    with pytest.raises(ServiceError):  # not a target
        services.visit_record(
            by=world.users["inspector"],
            inspection=covert,
            organization=world.b2,
            answers=all_pass(covert.standard),
        )
    assert not Visit.objects.exists() and not Finding.objects.exists()


def test_amending_on_the_web(world, covert, login):
    visit = services.visit_record(
        by=world.users["inspector"],
        inspection=covert,
        organization=world.b1,
        answers=all_pass(covert.standard),
    )
    item = StandardItem.objects.get(section__standard=covert.standard, code="C2")
    team = login(world.users["inspector"])
    no_reason = team.post(
        f"/inspections/visits/{visit.pk}/amend/", {f"item-{item.pk}": "0", f"note-{item.pk}": "玩手机"}
    )
    assert no_reason.status_code == 400
    done = team.post(
        f"/inspections/visits/{visit.pk}/amend/",
        {f"item-{item.pk}": "0", f"note-{item.pk}": "玩手机", "reason": "复核录像"},
    )
    assert done.status_code == 302
    page = team.get(f"/inspections/visits/{visit.pk}/").content.decode()
    assert "复核录像" in page and "C2: 1.00 → 0" in page
    assert (
        login(world.users["branch_secretary"]).get(f"/inspections/visits/{visit.pk}/amend/").status_code
        == 404
    )
