"""A progress report with malformed items done is answered 400 with the field's message and saves nothing."""

from datetime import timedelta

from luoshi.duty.models import Report

from .conftest import START, at


def test_a_report_whose_items_done_are_not_a_list_is_refused(cascade, api):
    # `checked` was taken as any JSON: a number made the service iterate over it and answer 500.
    w = cascade
    assignment = w.assignment[w.b1.pk]
    secretary = api(w.users["branch_secretary"])
    with at(START + timedelta(days=3)):
        response = secretary.post(
            f"/api/duty/assignments/{assignment.pk}/report/",
            {"text": "已组织学习", "checked": 5},
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["checked"][0]  # the list field's own message
    assert not Report.objects.filter(assignment=assignment).exists()
