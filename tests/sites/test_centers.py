"""Service centers: registry, construction milestones as obligations, acceptance by an inspection against the
center standard, and the ranking by latest score (worst first, visible within scope)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.inspections import services as inspections
from luoshi.inspections.models import InspectionKind, StandardItem
from luoshi.inspections.services import AnswerIn
from luoshi.orgs.models import OrgKind
from luoshi.orgs.services import organization_create
from luoshi.sites import selectors, services

from ..conftest import days
from ..inspections.conftest import all_pass


@pytest.fixture
def centers(world, standards):
    officer = world.users["org_officer"]
    made = {}
    for key, org in (("c1", world.c1), ("c2", world.c2)):
        made[key] = services.center_register(
            by=officer,
            organization=org,
            name=f"{org.name}党群服务中心",
            address="幸福路1号",
            area_m2=320,
            opening_hours="工作日 8:30-17:30",
            staff_count=3,
            services=["legal", "elderly"],
        )
    c3 = organization_create(name="新村社区党委", kind=OrgKind.COMMUNITY, code="C3", parent=world.s1)
    made["c3"] = services.center_register(
        by=officer,
        organization=c3,
        name="新村社区党群服务中心",
        address="新村路8号",
        area_m2=150,
        opening_hours="工作日",
        staff_count=1,
    )
    return made


def inspect(world, standards, orgs, fail_codes=None):
    fail_codes = fail_codes or {}
    inspection = inspections.inspection_create(
        by=world.users["org_officer"],
        kind=InspectionKind.ROUTINE,
        title="达标检查",
        standard=standards["service-center"],
        organization=world.district,
        approver=world.users["district_admin"],
        starts_on=days(0),
        ends_on=days(5),
        team=[world.users["inspector"]],
        targets=orgs,
    )
    visits = {}
    for org in orgs:
        answers = all_pass(standards["service-center"])
        for item in StandardItem.objects.filter(
            section__standard=standards["service-center"], code__in=fail_codes.get(org.code, ())
        ):
            answers[item.pk] = AnswerIn(0 if item.scoring != "threshold" else 100, "不达标")
        visits[org.code] = inspections.visit_record(
            by=world.users["inspector"], inspection=inspection, organization=org, answers=answers
        )
    return visits


def test_ranking_worst_first_within_scope(world, standards, centers):
    c3 = centers["c3"].organization
    inspect(world, standards, [world.c1, c3], fail_codes={"C3": ["C1", "D2", "F1"]})
    ranked = list(selectors.centers_ranked(world.users["org_officer"]))
    assert [c.organization.code for c in ranked] == ["C3", "C1", "C2"]  # C2 never inspected: last
    assert ranked[0].score < 80 <= ranked[1].score == 100 and ranked[2].score is None
    street = [c.organization.code for c in selectors.centers_ranked(world.users["street_secretary"])]
    assert street == ["C3", "C1"]  # the street sees its own centers only
    with CaptureQueriesContext(connection) as one:
        list(selectors.centers_ranked(world.users["org_officer"]))
    assert len(one) == 1


def test_milestones_and_acceptance(world, standards, centers):
    center = centers["c3"]
    with pytest.raises(ServiceError):  # a milestone after the deadline
        services.project_create(
            by=world.users["org_officer"],
            center=center,
            title="达标建设",
            deadline=days(30),
            milestones=[("完成改造", days(31))],
        )
    project = services.project_create(
        by=world.users["org_officer"],
        center=center,
        title="新村社区党群服务中心达标建设",
        deadline=days(30),
        milestones=[("完成场地改造", days(10)), ("完成标识和服务清单", days(20))],
    )
    first = project.milestones.get(order=1)
    assert first.obligation.policy.kind == "sites.milestone" and first.obligation.due_date == days(10)
    visits = inspect(world, standards, [center.organization], fail_codes={"C3": ["C1", "D2", "F1"]})
    with pytest.raises(ServiceError):  # below the passing score
        services.project_accept(by=world.users["org_officer"], project=project, visit=visits["C3"])
    assert project.accepted_at is None


def test_pages(world, standards, centers, login):
    inspect(world, standards, [world.c1])
    page = login(world.users["org_officer"]).get("/centers/").content.decode()
    assert page.index("幸福社区党委党群服务中心") < page.index("和平社区党委党群服务中心")
    assert login(world.users["outsider"]).get(f"/centers/{centers['c1'].pk}/").status_code == 404
    assert login(world.users["street_secretary"]).get(f"/centers/{centers['c1'].pk}/").status_code == 200


def test_acceptance_by_a_passing_visit(world, standards, centers):
    center = centers["c1"]
    project = services.project_create(
        by=world.users["org_officer"],
        center=center,
        title="达标建设",
        deadline=days(20),
        milestones=[("完成改造", days(10))],
    )
    visit = inspect(world, standards, [center.organization])["C1"]
    accepted = services.project_accept(by=world.users["org_officer"], project=project, visit=visit)
    again = services.project_accept(by=world.users["org_officer"], project=project, visit=visit)
    assert accepted.accepted_at is not None and again.accepted_at == accepted.accepted_at
    with pytest.raises(NotPermitted):  # a branch secretary sets no projects
        services.project_create(
            by=world.users["branch_secretary"],
            center=center,
            title="x",
            deadline=days(5),
            milestones=[("x", days(2))],
        )


def test_the_community_reports_a_milestone_reached(world, standards, centers, login):
    from luoshi.accounts.models import Role
    from luoshi.accounts.services import role_grant

    project = services.project_create(
        by=world.users["org_officer"],
        center=centers["c1"],
        title="达标建设",
        deadline=days(20),
        milestones=[("完成改造", days(10))],
    )
    milestone = project.milestones.get()
    # the street secretary holds 'report done' on the street, not on the community: no button, 403
    street = login(world.users["street_secretary"])
    assert "milestones/" not in street.get(f"/centers/{centers['c1'].pk}/").content.decode()
    assert street.post(f"/centers/milestones/{milestone.pk}/done/").status_code == 403
    role_grant(
        by=None,
        user=world.users["member"],
        role=Role.objects.get(code="branch_secretary"),
        organization=world.c1,
    )
    community = login(world.users["member"])
    assert community.post(f"/centers/milestones/{milestone.pk}/done/").status_code == 302
    milestone.refresh_from_db()
    milestone.obligation.refresh_from_db()
    assert milestone.done_at is not None and milestone.obligation.state == "done"


def test_register_and_set_a_project_on_the_web(world, standards, login):
    officer = login(world.users["org_officer"])
    form = {
        "organization": "C1",
        "name": "幸福社区党群服务中心",
        "address": "幸福路1号",
        "area_m2": "0",
        "opening_hours": "工作日",
        "staff_count": "2",
        "services": ["legal"],
    }
    bad = officer.post("/centers/new/", form)
    assert bad.status_code == 400 and "幸福路1号" in bad.content.decode()
    form["area_m2"] = "280"
    made = officer.post("/centers/new/", form)
    assert made.status_code == 302
    center_url = made["Location"]
    wrong = officer.post(
        center_url + "projects/new/",
        {"title": "达标建设", "deadline": str(days(30)), "milestones": "明天 完成改造"},
    )
    assert wrong.status_code == 400
    ok = officer.post(
        center_url + "projects/new/",
        {
            "title": "达标建设",
            "deadline": str(days(30)),
            "milestones": f"{days(10)} 完成改造\n{days(25)} 完成标识",
        },
    )
    assert ok.status_code == 302
    page = officer.get(center_url).content.decode()
    assert "完成改造" in page and "完成标识" in page
    assert login(world.users["branch_secretary"]).post("/centers/new/", form).status_code == 400  # no right


def test_api_ranks_centers_within_scope_and_reports_milestones(world, standards, centers, api):
    c3 = centers["c3"].organization
    inspect(world, standards, [world.c1, c3], fail_codes={"C3": ["C1", "D2", "F1"]})
    ranked = api(world.users["org_officer"]).get("/api/sites/centers/").json()["results"]
    assert [(c["organization_code"], c["below_standard"]) for c in ranked] == [
        ("C3", True),
        ("C1", False),
        ("C2", None),
    ]
    assert [
        c["organization_code"]
        for c in api(world.users["outsider"]).get("/api/sites/centers/").json()["results"]
    ] == ["C2"]
    project = services.project_create(
        by=world.users["org_officer"],
        center=centers["c1"],
        title="达标建设",
        deadline=days(20),
        milestones=[("完成改造", days(10))],
    )
    milestone = project.milestones.get()
    detail = api(world.users["street_secretary"]).get(f"/api/sites/centers/{centers['c1'].pk}/").json()
    assert [m["title"] for m in detail["projects"][0]["milestones"]] == ["完成改造"]
    url = f"/api/sites/milestones/{milestone.pk}/done/"
    assert api(world.users["outsider"]).post(url).status_code == 404
    assert api(world.users["street_secretary"]).post(url).status_code == 403
    milestone.refresh_from_db()
    assert milestone.done_at is None
