"""The task pages as their users meet them: the cascade view, the ledger and its Excel export, the per-street
table, the summary sentence, the Excel plan import, scope (404 outside it) and query counts."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from luoshi.core.obligations import obligation_sweep
from luoshi.duty import services
from luoshi.duty.models import Assignment, Task
from luoshi.orgs.models import OrgKind
from luoshi.orgs.services import organization_create

from ..conftest import days
from .conftest import BRANCH_DEADLINE, START, at

pytestmark = pytest.mark.frozen(START)  # the world is built on the scenario's first day too


def late_day():
    return at(BRANCH_DEADLINE + timedelta(days=8))


def reported(w):
    a1, a2 = w.assignment[w.b1.pk], w.assignment[w.b2.pk]
    with at(START + timedelta(days=3)):
        services.report_add(
            by=w.users["branch_secretary"], assignment=a1, text="已组织观看警示片。", completion=True
        )
        services.report_add(by=w.users["branch2_secretary"], assignment=a2, text="讨论安排中。")
        services.assignment_accept(by=w.users["street_secretary"], assignment=a1)
    for offset in (-3, 1, 7):
        with at(BRANCH_DEADLINE + timedelta(days=offset)):
            obligation_sweep()
    return w


def test_cascade_page_shows_silent_and_overdue_first(cascade, login):
    w = reported(cascade)
    with late_day():
        page = login(w.users["org_officer"]).get(f"/duty/tasks/{w.task.pk}/").content.decode()
    rows = page.split('<table class="cascade">')[1]
    order = [rows.index(name) for name in ("幸福第四支部", "幸福第二支部", "城关街道党工委", "幸福第一支部")]
    assert order == sorted(order)
    assert "node-silent" in rows and "1/3" in rows
    with late_day():
        silent = login(w.users["org_officer"]).get(f"/duty/tasks/{w.task.pk}/?state=silent").content.decode()
    table = silent.split('<table class="cascade">')[1]
    assert "幸福第四支部" in table and "幸福第二支部" not in table


def test_ledger_and_export(cascade, login):
    w = reported(cascade)
    officer = login(w.users["org_officer"])
    with late_day():
        page = officer.get("/duty/ledger/?state=late").content.decode()
        export = officer.get("/duty/ledger/?format=xlsx")
    assert "幸福第四支部" in page and "幸福第二支部" in page and "幸福第一支部" not in page
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    units = {row[2]: row for row in rows[1:]}
    assert set(units) == {"城关街道党工委", "幸福第一支部", "幸福第二支部", "幸福第四支部"}
    assert units["幸福第四支部"][8] == 8 and units["幸福第一支部"][8] == 0
    assert units["幸福第二支部"][7] == "讨论安排中。"
    # the page is cached until the data changes: a new report shows at the next load
    a2 = w.assignment[w.b2.pk]
    with late_day():
        services.report_add(by=w.users["branch2_secretary"], assignment=a2, text="已补课。", completion=True)
        again = officer.get("/duty/ledger/?state=awaiting").content.decode()
    assert "幸福第二支部" in again


def test_scope(cascade, login, api):
    w = cascade
    a2 = w.assignment[w.b2.pk]
    branch = login(w.users["branch_secretary"])
    assert branch.get(f"/duty/assignments/{a2.pk}/").status_code == 404
    assert branch.get(f"/duty/assignments/{w.assignment[w.b1.pk].pk}/").status_code == 200
    # The branch sees its own part of the child task, and nothing of its sibling's.
    page = branch.get(f"/duty/tasks/{w.child.pk}/").content.decode()
    assert "幸福第一支部" in page and "幸福第二支部" not in page
    assert branch.get("/duty/ledger/").content.decode().count("/duty/assignments/") == 1
    # The other street's secretary sees none of this street's tasks.
    outsider = login(w.users["outsider"])
    assert outsider.get(f"/duty/tasks/{w.child.pk}/").status_code == 404
    assert outsider.get(f"/duty/assignments/{w.top.pk}/").status_code == 404
    # A street secretary sees only their street in a district-wide task.
    with at(START):
        services.task_assign(by=w.users["org_officer"], task=w.task, organizations=[w.s2])
    street_page = login(w.users["street_secretary"]).get(f"/duty/tasks/{w.task.pk}/").content.decode()
    assert "城关街道党工委" in street_page and "东城街道党工委" not in street_page
    # The district's plan is visible to the street it reached, with the street's part only.
    plan_page = login(w.users["street_secretary"]).get(f"/duty/plans/{w.plan.pk}/")
    assert plan_page.status_code == 200 and "开展廉政警示教育" in plan_page.content.decode()
    assert login(w.users["branch_secretary"]).get(f"/duty/plans/{w.plan.pk}/").status_code == 200
    own = outsider.get(f"/duty/tasks/{w.task.pk}/").content.decode()
    assert "东城街道党工委" in own and "城关街道党工委" not in own
    # The API the same way.
    assert api(w.users["branch_secretary"]).get(f"/api/duty/assignments/{a2.pk}/").status_code == 404
    listed = api(w.users["outsider"]).get("/api/duty/assignments/").json()
    assert {row["organization"]["code"] for row in listed["results"]} == {"S2"}


def test_assigning_outside_scope_is_refused_and_keeps_the_form(cascade, login):
    w = cascade
    street = login(w.users["street_secretary"])
    top = w.top
    with at(START + timedelta(days=1)):
        response = street.post(
            f"/duty/assignments/{top.pk}/split/",
            {
                "split-title": "越权下达",
                "split-deadline": str(START + timedelta(days=5)),
                "split-report_kind": "text",
                "to-mode": "list",
                "to-codes": "B3",
            },
        )
    assert response.status_code == 400
    body = response.content.decode()
    assert "越权下达" in body
    assert not Task.objects.filter(title="越权下达").exists()


def test_queries_do_not_grow_with_organizations(cascade, login):
    w = reported(cascade)
    officer = login(w.users["org_officer"])

    def measure():
        with late_day():
            counts = []
            for url in (f"/duty/tasks/{w.task.pk}/", "/duty/ledger/", "/duty/streets/"):
                with CaptureQueriesContext(connection) as ctx:
                    assert officer.get(url).status_code == 200
                counts.append(len(ctx))
            return counts

    before = measure()
    with at(START):
        more = [
            organization_create(name=f"新支部{i}", kind=OrgKind.BRANCH, code=f"NB{i}", parent=w.c1)
            for i in range(12)
        ]
        extra = services.task_split(
            by=w.users["street_secretary"],
            assignment=w.top,
            spec=services.TaskSpec(title="补充任务", deadline=BRANCH_DEADLINE),
            organizations=more,
        )
    assert extra.assignments.count() == 12
    assert measure() == before


def test_summary_sentence_counts_and_links(cascade, login):
    w = reported(cascade)
    with late_day():
        page = login(w.users["org_officer"]).get(
            f"/duty/summary/?since={START}&until={BRANCH_DEADLINE + timedelta(days=8)}"
        )
    text = page.context["text"]
    s = page.context["s"]
    assert (s.tasks_issued, s.assignments, s.on_time, s.late) == (1, 4, 1, 3)
    assert (
        s.reminders == 5
    )  # reminder and warning for B2 and B4; the street warned the day after its deadline
    assert f"{s.on_time}" in text and "按期完成" in text
    with late_day():
        on_time = login(w.users["org_officer"]).get(page.context["links"]["on_time"]).content.decode()
    assert on_time.count("/duty/assignments/") == 1 and "幸福第一支部" in on_time


def _plan_file(rows):
    from luoshi.duty.excel import HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.name = "plan.xlsx"
    out.seek(0)
    return out


def test_excel_import_all_or_nothing(world, login):
    officer = login(world.users["org_officer"])
    plan = services.plan_create(
        by=world.users["org_officer"], organization=world.district, year=2026, title="要点"
    )
    template = officer.get("/duty/plans/template.xlsx")
    assert load_workbook(io.BytesIO(template.content)).active["B1"].value == "任务名称"
    bad = _plan_file(
        [
            [1, "开展警示教育", "", "区纪委监委", days(30), "文字", "", "", "全部街道"],
            [2, "", "", "", "2020/1/5", "数值", "", "", "ZZZ"],
            [3, "报送谈话人数", "", "", "明年", "清单", "", "", ""],
        ]
    )
    response = officer.post(f"/duty/plans/{plan.pk}/import/", {"file": bad})
    assert response.status_code == 400
    errors = {e.row: e.messages for e in response.context["result"].errors}
    assert set(errors) == {3, 4}
    assert len(errors[3]) == 4  # no name, date in the past, numeric without unit, unknown organization
    assert Task.objects.filter(plan=plan).count() == 0

    good = _plan_file(
        [
            [1, "开展警示教育", "观看警示片", "区纪委监委", days(30), "文字", "", "", "全部街道"],
            [
                2,
                "报送谈话人数",
                "",
                "区纪委监委",
                f"{days(40).year}年{days(40).month}月{days(40).day}日",
                "数值",
                "人",
                "",
                "S1、S2",
            ],
        ]
    )
    preview = officer.post(f"/duty/plans/{plan.pk}/import/", {"file": good})
    assert preview.status_code == 200 and Task.objects.filter(plan=plan).count() == 0
    token = preview.context["result"].token
    done = officer.post(f"/duty/plans/{plan.pk}/import/", {"confirm": token})
    assert done.status_code == 302
    assert list(Task.objects.filter(plan=plan).order_by("number").values_list("title", flat=True)) == [
        "开展警示教育",
        "报送谈话人数",
    ]
    assert Assignment.objects.filter(task__plan=plan).count() == 4


def test_report_needs_content_and_file_limits(cascade, login, settings):
    w = cascade
    a1 = w.assignment[w.b1.pk]
    branch = login(w.users["branch_secretary"])
    with at(START + timedelta(days=1)):
        empty = branch.post(f"/duty/assignments/{a1.pk}/report/", {"text": "  ", "completion": "1"})
        assert empty.status_code == 400
        settings.UPLOAD_MAX_BYTES = 10
        big = io.BytesIO(b"a" * 100)
        big.name = "big.txt"
        too_big = branch.post(f"/duty/assignments/{a1.pk}/report/", {"text": "已完成", "files": big})
        assert too_big.status_code == 400 and "已完成" in too_big.content.decode()
        exe = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200)
        exe.name = "x.pdf"
        settings.UPLOAD_MAX_BYTES = 10_000
        refused = branch.post(f"/duty/assignments/{a1.pk}/report/", {"text": "已完成", "files": exe})
        assert refused.status_code == 400
    assert a1.reports.count() == 0
