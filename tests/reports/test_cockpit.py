"""The district cockpit: scope, figures equal to the selectors', every link answering, grade colours from a
published run, and a query count that does not grow with the tree."""

import json
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luoshi.accountability.selectors import supervision_figures
from luoshi.assessment.models import Result
from luoshi.core.selectors import obligation_list_visible
from luoshi.duty.selectors import work_summary
from luoshi.reports import selectors
from tests.test_query_counts import grow

from .conftest import publish_run

URL = "/cockpit/"


def get(client, url=URL):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def json_data(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def figure(html: str, name: str) -> str:
    match = re.search(rf'id="fig-{name}" href="([^"]*)"><b>([^<]*)</b>', html)
    assert match, name
    return match.group(2)


def figure_url(html: str, name: str) -> str:
    return unescape(re.search(rf'id="fig-{name}" href="([^"]*)"', html).group(1))


def cockpit_part(html: str) -> str:
    """The page's own part: the cockpit block, without the base layout's navigation."""
    start = html.index('<div class="cockpit')
    return html[start : html.index('<script id="cockpit-tree"', start)]


def names_in_tree(nodes) -> set[str]:
    out = set()
    for node in nodes:
        out.add(node["name"])
        out |= names_in_tree(node.get("children", []))
    return out


def nodes_by_name(nodes, out=None) -> dict:
    out = {} if out is None else out
    for node in nodes:
        out[node["name"]] = node
        nodes_by_name(node.get("children", []), out)
    return out


@pytest.mark.parametrize(
    ("persona", "root"),
    [("district_admin", "district"), ("org_officer", "district"), ("street_secretary", "s1")],
)
def test_the_cockpit_answers_for_the_top_of_ones_scope(world, login, persona, root):
    html = get(login(world.users[persona]))
    assert f"<h1>{getattr(world, root).name} " in html
    tree = json_data(html, "cockpit-tree")
    assert tree[0]["name"] == getattr(world, root).name
    assert 'src="/static/vendor/echarts.min.js"' in html and "cdn" not in html.lower()


def test_a_street_secretary_sees_only_the_street(records, login):
    world = records
    html = get(login(world.users["street_secretary"]))
    names = names_in_tree(json_data(html, "cockpit-tree"))
    assert names == {world.s1.name, world.c1.name, world.b1.name, world.b2.name}
    assert world.s2.name not in html and world.c2.name not in html and world.b3.name not in html
    table = re.search(r'<table id="obligations-table">(.*?)</table>', html, re.S).group(1)
    assert world.c1.name in table and world.s2.name not in table
    assert json_data(html, "cockpit-obligations")["names"] == [world.c1.name]
    # another street's cockpit is not found, as any record outside the scope
    assert login(world.users["street_secretary"]).get(f"{URL}?org={world.s2.pk}").status_code == 404


def test_an_office_opens_a_street(records, login):
    world = records
    client = login(world.users["org_officer"])
    html = get(client, f"{URL}?org={world.s2.pk}")
    assert names_in_tree(json_data(html, "cockpit-tree")) == {world.s2.name, world.c2.name, world.b3.name}
    assert f'href="?org={world.district.pk}&amp;year=' in html  # the way back up
    # the duty figures are the street's: the task reached both streets, this page counts this one's
    assert (figure(html, "tasks-issued"), figure(html, "assignments")) == ("1", "1")
    assert figure(get(client), "assignments") == "2"
    ledger = get(client, figure_url(html, "assignments"))
    assert world.s2.name in ledger and world.s1.name not in ledger


def test_the_figures_are_the_selectors(records, login):
    world = records
    grow(world, 2)  # obligations overdue and escalated in both streets
    user = world.users["org_officer"]
    html = get(login(user))
    today = timezone.localdate()
    since, until = selectors.period_of(today.year, today)

    duty = work_summary(user, since=since, until=until, under=world.district)
    assert duty == work_summary(user, since=since, until=until)  # the whole scope, narrowed to nothing less
    assert duty.tasks_issued == 1 and duty.assignments == 2
    for name, value in [
        ("letters-signed", duty.letters_signed),
        ("tasks-issued", duty.tasks_issued),
        ("assignments", duty.assignments),
        ("on-time", duty.on_time),
        ("late", duty.late),
        ("reminders", duty.reminders),
    ]:
        assert figure(html, name) == str(value), name

    s = supervision_figures(user, since=since, until=until, under=world.district)
    assert s["findings"] == 2
    assert figure(html, "findings") == str(s["findings"])
    assert figure(html, "rectified") == f"{s['on_time']}/{s['due']}"
    assert figure(html, "open-late") == str(s["open_late"])
    assert figure(html, "inspections") == str(s["inspections"])
    assert figure(html, "circulars") == str(s["circulars"])
    assert figure(html, "talks") == f"{s['talks']} / {s['persons_talked']}"

    # per street: the chart's numbers, the table's, and the obligation list each links to agree
    chart = json_data(html, "cockpit-obligations")
    assert chart["names"] == [world.s1.name, world.s2.name]
    for i, street in enumerate([world.s1, world.s2]):
        overdue = obligation_list_visible(user, state="overdue", org=street).count()
        escalated = obligation_list_visible(user, state="escalated", org=street).count()
        assert (chart["overdue"][i], chart["escalated"][i]) == (overdue, escalated)
        assert chart["overdue_urls"][i] == f"/obligations/?state=overdue&org={street.pk}"
        assert chart["escalated_urls"][i] == f"/obligations/?state=escalated&org={street.pk}"
    assert sum(chart["escalated"]) > 0 and sum(chart["overdue"]) > 0
    whole = obligation_list_visible(user, state="overdue", org=world.district).count()
    assert figure(html, "overdue") == str(whole)
    assert figure(html, "escalated") == str(
        obligation_list_visible(user, state="escalated", org=world.district).count()
    )


@pytest.mark.parametrize("persona", ["org_officer", "street_secretary"])
def test_every_link_answers(records, published, login, persona):
    world = records
    client = login(world.users[persona])
    html = get(client)
    hrefs = {unescape(h) for h in re.findall(r'href="([^"]+)"', cockpit_part(html))}
    hrefs |= {node["url"] for node in nodes_by_name(json_data(html, "cockpit-tree")).values()}
    chart = json_data(html, "cockpit-obligations")
    hrefs |= set(chart["overdue_urls"]) | set(chart["escalated_urls"])
    assert any(h.startswith("/assessment/results/") for h in hrefs)
    assert any(h.startswith("/assessment/runs/") for h in hrefs)
    assert any(h.startswith("/duty/ledger/?state=late") for h in hrefs)
    assert any(h.startswith("/accountability/statistics/") for h in hrefs)
    for href in sorted(hrefs):
        url = URL + href if href.startswith("?") else href
        assert client.get(url).status_code == 200, url


def test_a_published_grade_colours_the_tree(records, published, login):
    world, run = records, published
    html = get(login(world.users["org_officer"]))
    nodes = nodes_by_name(json_data(html, "cockpit-tree"))
    c1, c2 = nodes[world.c1.name], nodes[world.c2.name]
    assert (c1["grade"], c2["grade"]) == ("好", "一般")
    result = Result.objects.get(run=run, organization=world.c1)
    assert c1["url"] == f"/assessment/results/{result.pk}/"
    assert c1["rank"] == 1
    # colours from the scheme's bands, best green to worst red; a unit without a grade grey
    scale = {band["name"]: band["color"] for band in selectors.grade_scale([run])}
    assert list(scale) == ["好", "较好", "一般", "差"]
    assert scale["好"] == selectors.GRADE_STOPS[0] and scale["差"] == selectors.GRADE_STOPS[-1]
    assert c1["itemStyle"]["color"] == scale["好"] and c2["itemStyle"]["color"] == scale["一般"]
    assert nodes[world.s1.name]["itemStyle"]["color"] == selectors.NO_GRADE
    assert nodes[world.s1.name]["url"] == f"/orgs/{world.s1.pk}/"
    # the legend and the latest run, with its grades counted over the tree
    assert re.search(r'<ul class="legend".*?好 <b>1</b>.*?一般 <b>1</b>', html, re.S)
    assert f'href="/assessment/runs/{run.pk}/"' in html
    summary = selectors.run_summaries(world.district, [run], selectors.grade_scale([run]))
    assert [(g["name"], g["count"]) for g in summary[0]["grades"]] == [("好", 1), ("一般", 1)]


def test_the_big_screen(world, login):
    html = get(login(world.users["org_officer"]), f"{URL}?screen=1")
    assert 'class="cockpit screen"' in html
    assert 'nav class="main"' not in html


def test_a_past_year(world, login):
    year = timezone.localdate().year - 1
    html = get(login(world.users["org_officer"]), f"{URL}?year={year}")
    assert f"{year}-01-01" in html and f"{year}-12-31" in html
    assert f"since={year}-01-01&amp;until={year}-12-31" in html


def count(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["org_officer", "street_secretary"])
def test_the_query_count_does_not_grow_with_the_tree(records, login, persona):
    world = records
    client = login(world.users[persona])
    grow(world, 2)
    publish_run(world)
    before = count(client, URL)
    grow(world, 12, start=2)
    assert count(client, URL) == before
    cache.clear()  # and the figures are kept: a second visit reads them from the cache
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL)
    assert len(ctx.captured_queries) < before
