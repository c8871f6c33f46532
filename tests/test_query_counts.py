"""A page's query count must not grow with the data: the tree page, the home page and /api/orgs/."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luoshi.core.obligations import obligation_create, obligation_sweep
from luoshi.orgs.models import OrgKind, Person, PositionKind
from luoshi.orgs.services import organization_create, position_assign, term_start


def grow(world, n: int, start: int = 0) -> None:
    """Add n communities with branches, secretaries, terms and obligations in every state."""
    today = timezone.localdate()
    for i in range(start, start + n):
        street = world.s1 if i % 2 else world.s2
        community = organization_create(
            name=f"新增社区{i}", kind=OrgKind.COMMUNITY, code=f"G{street.code}{i}", parent=street
        )
        for j in range(3):
            branch = organization_create(
                name=f"新增社区{i}第{j}支部",
                kind=OrgKind.BRANCH,
                code=f"G{street.code}{i}-{j}",
                parent=community,
            )
            term_start(organization=branch, start_date=today - timedelta(days=100))
            position_assign(
                organization=branch,
                person=Person.objects.create(name=f"书记{i}{j}"),
                kind=PositionKind.SECRETARY,
                start_date=today - timedelta(days=100),
            )
            obligation_create(
                kind="core.supervision_item",
                title=f"任务{i}-{j}",
                organization=branch,
                due_date=today + timedelta(days=(j * 9) - 12),
            )
    obligation_create(
        kind="core.supervision_item",
        title="书记本人事项",
        organization=world.b1,
        due_date=today - timedelta(days=2),
    )
    obligation_sweep()


def count(client, url) -> int:
    """Queries of a page computed afresh (the cached figures are dropped first)."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["district_admin", "street_secretary", "branch_secretary"])
def test_pages_do_not_grow_with_the_data(world, login, persona):
    client = login(world.users[persona])
    root = {"district_admin": world.district, "street_secretary": world.s1, "branch_secretary": world.b1}[
        persona
    ]
    third = f"/orgs/{world.c1.pk}/" if persona != "branch_secretary" else "/inbox/"
    urls = ["/", f"/orgs/{root.pk}/", third, "/obligations/"]
    grow(world, 2)  # every kind of row exists once, so no query is skipped for want of rows
    before = {url: count(client, url) for url in urls}
    grow(world, 12, start=2)
    after = {url: count(client, url) for url in urls}
    assert after == before


def test_api_orgs_does_not_grow(world, api):
    client = api(world.users["district_admin"])
    grow(world, 2)
    with CaptureQueriesContext(connection) as small:
        client.get("/api/orgs/?limit=100")
    grow(world, 10, start=2)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/api/orgs/?limit=100")
    assert response.json()["count"] > 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_home_shows_counts_by_street_for_district_roles(world, login):
    grow(world, 4)
    response = login(world.users["district_admin"]).get("/")
    units = {unit.name: counts for unit, counts in response.context["home"].units}
    assert set(units) == {world.s1.name, world.s2.name}
    assert units[world.s1.name]["open"] >= 1 and units[world.s2.name]["overdue"] >= 1


def test_cached_home_follows_every_change(world, login):
    """The home page is cached, yet a change shows at once, and a repeat costs fewer queries."""
    client = login(world.users["branch_secretary"])
    first = client.get("/")
    with CaptureQueriesContext(connection) as again:
        client.get("/")
    with CaptureQueriesContext(connection) as cold:
        cache.clear()
        client.get("/")
    assert len(again.captured_queries) < len(cold.captured_queries)
    assert first.context["home"].counts["overdue"] == 0
    obligation_create(
        kind="core.supervision_item",
        title="刚刚逾期",
        organization=world.b1,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    after = client.get("/")
    assert after.context["home"].counts["overdue"] == 1 and "刚刚逾期" in after.content.decode()


def test_cached_tree_page_follows_changes(world, login):
    client = login(world.users["street_secretary"])
    assert "新建的支部" not in client.get(f"/orgs/{world.c1.pk}/").content.decode()
    organization_create(name="新建的支部", kind=OrgKind.BRANCH, code="NEWB", parent=world.c1)
    assert "新建的支部" in client.get(f"/orgs/{world.c1.pk}/").content.decode()


def test_supervision_figures_per_unit_do_not_grow_with_the_units(world, login):
    """The per-community table of a street: more communities, the same grouped queries."""
    client = login(world.users["discipline_officer"])
    urls = ["/accountability/statistics/", f"/accountability/statistics/?unit={world.s1.pk}"]
    grow(world, 2)
    before = {url: count(client, url) for url in urls}
    grow(world, 12, start=2)
    after = {url: count(client, url) for url in urls}
    assert after == before
    page = client.get(urls[1])
    assert len(page.context["by_unit"]) == 1 + 7  # 幸福社区 and the seven added to 城关街道
