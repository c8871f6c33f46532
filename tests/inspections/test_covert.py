"""A covert plan and its existence stay hidden from the target and from a sibling street until the visit is
recorded; the team and the approving leader see it throughout."""

from luoshi.inspections import services
from luoshi.inspections.models import Finding, Inspection, Visit

from .conftest import all_pass


def test_covert_plan_hidden_until_the_visit_is_recorded(world, covert):
    for outsider in ("branch_secretary", "street_secretary", "outsider", "org_officer", "member"):
        assert not Inspection.objects.visible_to(world.users[outsider]).exists(), outsider
    for insider in ("inspector", "district_admin"):
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
