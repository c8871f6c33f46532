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
