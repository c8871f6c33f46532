"""The assessment API: the same scope as the pages, writes through the same services."""

from luoshi.assessment.models import Disclosure, Run

from .conftest import period


def test_api_runs_results_explanation_appeal_and_eligibility(world, api, scheme, example):
    officer = api(world.users["org_officer"])
    since, until = period()
    made = officer.post(
        f"/api/assessment/schemes/{scheme.pk}/run/", {"since": since, "until": until}, format="json"
    )
    assert made.status_code == 201, made.content
    run_id = made.json()["id"]
    branch = api(world.users["branch_secretary"])
    assert branch.get(f"/api/assessment/runs/{run_id}/").status_code == 404  # a draft
    assert (
        api(world.users["street_secretary"])
        .post(f"/api/assessment/runs/{run_id}/publish/", {}, format="json")
        .status_code
        == 404
    )
    published = officer.post(
        f"/api/assessment/runs/{run_id}/publish/",
        {"disclosure": Disclosure.RANKS, "appeal_days": 5},
        format="json",
    )
    assert published.json()["status"] == "published"
    rows = branch.get(f"/api/assessment/runs/{run_id}/results/").json()
    mine = next(r for r in rows if r["organization"] == world.b1.pk)
    peer = next(r for r in rows if r["organization"] == world.b2.pk)
    assert mine["total"] == "78.00" and peer["total"] is None and peer["grade"] == "好" and peer["rank"] == 2
    detail = branch.get(f"/api/assessment/results/{mine['id']}/").json()
    line = next(x for x in detail["lines"] if x["code"] == "B")
    assert (line["points"], line["num"], line["den"], [r["counts"] for r in line["records"]]) == (
        "15.00",
        1.0,
        2.0,
        [True, False],
    )
    assert branch.get(f"/api/assessment/results/{peer['id']}/").status_code == 404
    filed = branch.post(
        f"/api/assessment/results/{mine['id']}/appeal/",
        {"indicator_code": "D", "text": "漏计"},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    assert (
        branch.post(
            f"/api/assessment/appeals/{filed.json()['id']}/decide/",
            {"upheld": True, "reason": "x", "new_points": 20},
            format="json",
        ).status_code
        == 403
    )
    decided = officer.post(
        f"/api/assessment/appeals/{filed.json()['id']}/decide/",
        {"upheld": True, "reason": "属实", "new_points": "20"},
        format="json",
    )
    assert decided.json()["status"] == "upheld" and Run.objects.get(pk=decided.json()["new_run"]).version == 2
    awards = officer.get(f"/api/assessment/runs/{run_id}/eligibility/").json()
    units = {u["name"]: u for u in awards[0]["units"]}
    assert units[world.b2.name]["eligible"] and not units[world.b3.name]["eligible"]
