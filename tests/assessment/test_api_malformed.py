"""An appeal whose body is not a form or an object is answered 400 with a message and saves nothing."""

from luoshi.assessment.models import Appeal


def test_an_appeal_sent_as_a_list_is_refused(world, api):
    # The view spread the body into a dict: a JSON list raised TypeError, a 500.
    secretary = api(world.users["branch_secretary"])
    response = secretary.post("/api/assessment/results/1/appeal/", ["A", "理由"], format="json")
    assert response.status_code == 400
    assert "字典" in response.json()["non_field_errors"][0]  # "expected a dictionary", in Chinese
    assert not Appeal.objects.exists()
