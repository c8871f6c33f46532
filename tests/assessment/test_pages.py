"""Pages and scope: drafts only for the assessing office; a published run as its disclosure allows; the
explanation page; the files; bad input on the web keeps what was typed; the ranking's query count."""

import io
import re

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.assessment import services
from luoshi.assessment.models import Disclosure, Scheme

from ..test_query_counts import grow
from .conftest import SCHEME, period


def run_of(world, scheme):
    since, until = period()
    return services.run_compute(by=world.users["org_officer"], scheme=scheme, since=since, until=until)


def test_a_draft_is_seen_by_the_office_only(world, login, scheme, example):
    run = run_of(world, scheme)
    assert login(world.users["org_officer"]).get(run.get_absolute_url()).status_code == 200
    for persona in ("branch_secretary", "street_secretary", "outsider"):
        client = login(world.users[persona])
        assert client.get(run.get_absolute_url()).status_code == 404, persona
        assert run.get_absolute_url() not in client.get("/assessment/").content.decode()
        b1 = run.results.get(organization=world.b1)
        assert client.get(f"/assessment/results/{b1.pk}/").status_code == 404


def test_published_runs_show_what_the_office_allows(world, login, scheme, example):
    run = services.run_publish(
        by=world.users["org_officer"], run=run_of(world, scheme), disclosure=Disclosure.OWN
    )
    results = {r.organization.code: r for r in run.results.select_related("organization")}
    branch = login(world.users["branch_secretary"])
    page = branch.get(run.get_absolute_url())
    assert [r.organization.code for r in page.context["rows"]] == ["B1"]
    assert branch.get(f"/assessment/results/{results['B1'].pk}/").status_code == 200
    assert branch.get(f"/assessment/results/{results['B2'].pk}/").status_code == 404
    outsider = login(world.users["outsider"])
    assert [r.organization.code for r in outsider.get(run.get_absolute_url()).context["rows"]] == ["B3"]
    # peers' grades and ranks, not their totals or details
    run.disclosure = Disclosure.RANKS
    run.save()
    page = branch.get(run.get_absolute_url())
    assert [r.organization.code for r in page.context["rows"]] == ["B3", "B2", "B1"]
    assert not page.context["show_totals"] and "90.00" not in page.content.decode()
    assert branch.get(f"/assessment/results/{results['B2'].pk}/").status_code == 404
    assert branch.get(run.get_absolute_url() + "?format=xlsx").status_code == 404


def test_explanation_page_and_files(world, login, scheme, example):
    from docx import Document
    from openpyxl import load_workbook

    run = services.run_publish(by=world.users["org_officer"], run=run_of(world, scheme))
    officer = login(world.users["org_officer"])
    b1 = run.results.get(organization=world.b1)
    page = officer.get(f"/assessment/results/{b1.pk}/").content.decode()
    assert "15.00 / 30" in page and "述职评议得分" in page and "/inspections/rectifications/" in page
    sheet = load_workbook(io.BytesIO(officer.get(run.get_absolute_url() + "?format=xlsx").content)).active
    rows = list(sheet.values)
    assert rows[1][:3] == (1, world.b3.name, "B3") and rows[1][-3:] == (100.0, "一般", "是")
    word = Document(io.BytesIO(officer.get(run.get_absolute_url() + "?format=docx").content))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "考核结果的通报" in text and world.b2.name in text and "一票否决" in text and world.b3.name in text
    awards = officer.get(f"/assessment/runs/{run.pk}/awards/").content.decode()
    assert "先进党支部" in awards and "b2书记" in awards


def test_the_web_keeps_a_refused_scheme_and_says_why(world, login):
    officer = login(world.users["org_officer"])
    text = SCHEME.format(year=2026).replace(
        "points: 40, source: duty.tasks_on_time", "points: 30, source: duty.tasks_on_time"
    )
    page = officer.post("/assessment/schemes/new/", {"issuer": world.district.pk, "text": text})
    assert page.status_code == 400
    body = page.content.decode()
    assert "90" in body and "任务按期完成, points: 30" in body  # the problem, and the text as typed
    assert not Scheme.objects.exists()
    ok = officer.post(
        "/assessment/schemes/new/", {"issuer": world.district.pk, "text": SCHEME.format(year=2026)}
    )
    assert ok.status_code == 302 and Scheme.objects.count() == 1
    assert login(world.users["branch_secretary"]).get("/assessment/schemes/new/").status_code == 404


def test_entered_scores_all_or_nothing_on_the_web(world, login, scheme):
    officer = login(world.users["org_officer"])
    url = f"/assessment/schemes/{scheme.pk}/manual/D/"
    bad = officer.post(
        url,
        {
            f"points-{world.b1.pk}": "18",
            f"reason-{world.b1.pk}": "评议",
            f"points-{world.b2.pk}": "30",
            f"reason-{world.b2.pk}": "评议",
        },
    )
    assert bad.status_code == 400 and 'value="30"' in bad.content.decode()
    from luoshi.assessment.models import ManualScore

    assert not ManualScore.objects.exists()


def test_entered_scores_round_trip_through_a_sheet(world, login, scheme):
    """Download the sheet, fill it in, upload: a refused row saves nothing and is named by its number; the
    corrected sheet saves every row; the file is kept with its SHA-256."""
    from openpyxl import load_workbook

    from luoshi.assessment.models import ManualScore
    from luoshi.core.models import Attachment

    officer = login(world.users["org_officer"])
    url = f"/assessment/schemes/{scheme.pk}/manual/D/"
    sheet = officer.get(url + "sheet/")
    assert sheet.status_code == 200
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb.active
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    assert [c.value for c in ws[1]][:4] == ["组织代码", "单位名称", "分值", "理由"]
    assert set(rows) == {world.b1.code, world.b2.code, world.b3.code}
    rows[world.b1.code][2].value, rows[world.b1.code][3].value = 18, "述职评议会 23 票"
    rows[world.b2.code][2].value, rows[world.b2.code][3].value = 30, "超出分值"
    rows[world.b3.code][2].value = 15  # no reason
    ws.append(["NOPE", "不存在的支部", 10, "代码写错"])

    def upload(workbook):
        out = io.BytesIO()
        workbook.save(out)
        out.seek(0)
        out.name = "评议.xlsx"
        return officer.post(url, {"sheet": out})

    refused = upload(wb)
    assert refused.status_code == 400 and not ManualScore.objects.exists()
    table = refused.content.decode().split('id="sheet-errors"')[1].split("</table>")[0]
    numbers = sorted(int(n) for n in re.findall(r"<tr><td>(\d+)</td>", table))
    b2_row, b3_row = rows[world.b2.code][0].row, rows[world.b3.code][0].row
    assert numbers == sorted([b2_row, b3_row, ws.max_row]) and "NOPE" in table
    rows[world.b2.code][2].value = 20
    rows[world.b3.code][3].value = "民主测评 良好"
    ws.delete_rows(ws.max_row)
    saved = upload(wb)
    assert saved.status_code == 302
    points = dict(ManualScore.objects.values_list("organization__code", "points"))
    assert {k: float(v) for k, v in points.items()} == {
        world.b1.code: 18,
        world.b2.code: 20,
        world.b3.code: 15,
    }
    assert Attachment.objects.filter(filename="评议.xlsx").count() == 2  # both uploads kept, refused or not
    not_a_sheet = officer.post(url, {"sheet": io.BytesIO(b"not a workbook")})
    assert not_a_sheet.status_code == 400 and "Excel" in not_a_sheet.content.decode()


def test_ranking_page_queries_do_not_grow_with_the_units(world, login, scheme, example):
    officer = login(world.users["org_officer"])
    grow(world, 2)
    run_of(world, scheme)  # so that both runs measured have a previous run to compare with
    small = run_of(world, scheme)
    grow(world, 10, start=2)
    large = run_of(world, scheme)
    counts = []
    for run in (small, large):
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert officer.get(run.get_absolute_url()).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert large.results.count() > small.results.count() + 20
    assert counts[0] == counts[1]
