"""统一归档: a branch's archive of a year, generated from its records. Everything happens in the year before the
frozen day, so that no date depends on today's."""

import csv
import hashlib
import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document

from luoshi.core.attachments import blob_path
from luoshi.core.models import Attachment
from luoshi.orglife import services
from luoshi.orglife.archive import year_zip
from luoshi.orglife.models import AbsenceReason, AgendaItem, MeetingKind
from luoshi.orgs.models import Position, PositionKind

YEAR = 2025  # the archived year; the tests and their fixtures live in the spring after it
pytestmark = pytest.mark.frozen(date(YEAR + 1, 3, 10))
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
GENERATED = timezone.make_aware(datetime(YEAR + 1, 1, 5, 10, 30))


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def year(life):
    """b1's year: a general meeting recorded late by someone the secretary delegated, then corrected; a
    committee meeting; a theme day answering May's plan, with absences, a QR confirmation and three files; a
    committee meeting withdrawn; a meeting of the year before; b2's meeting of the same year."""
    w = life.world
    secretary, officer = w.users["branch_secretary"], w.users["org_officer"]
    plan = services.plan_save(
        by=officer,
        organization=w.district,
        data=services.PlanInput(
            month=date(YEAR, 5, 1),
            window_start=date(YEAR, 5, 1),
            window_end=date(YEAR, 5, 10),
            theme="学习党纪处分条例",
            required_items=(AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT),
        ),
    )
    services.plan_publish(plan=plan, by=officer)
    # the world's secretaries took office 400 days ago: b1's has sat since before the years archived here
    Position.objects.filter(organization=w.b1, kind=PositionKind.SECRETARY).update(
        start_date=date(YEAR - 1, 1, 1)
    )
    zhang, li, wang, liu = life.members["b1"]

    def record(day, hour=9, *, now=None, meeting=None, files=(), **overrides):
        values = dict(plan=None, agenda=(AgendaItem.DISCUSSION,), day=day) | overrides
        values["starts_at"] = life.at(values.pop("day"), hour)
        data = life.data("b1", **values)
        return services.meeting_record(
            by=secretary, branch=w.b1, data=data, now=now, meeting=meeting, files=files
        )

    general = dict(
        kind=MeetingKind.GENERAL_MEETING,
        topic="讨论接收预备党员",
        presider=w.people["c1"],
        delegation="书记外出参加培训",
    )
    general_meeting = record(date(YEAR, 6, 10), **general)  # recorded now: months late
    general_meeting = record(
        date(YEAR, 6, 10),
        meeting=general_meeting,
        record="讨论了接收预备党员事项，表决通过。",
        **general,
    )
    committee = record(
        date(YEAR, 2, 1),
        kind=MeetingKind.COMMITTEE_MEETING,
        topic="研究年度工作计划",
        now=life.at(date(YEAR, 2, 1), 18),
    )
    may = date(YEAR, 5, 8)
    files = {"签到表.pdf": PDF, "说明.txt": "会前通知".encode(), "说明.txt ": "会后小结".encode()}
    theme_day = record(
        may,
        kind=MeetingKind.THEME_DAY,
        plan=plan,
        topic=plan.theme,
        agenda=tuple(plan.required_items),
        attendance={
            zhang.pk: (False, AbsenceReason.WORK),
            li.pk: (False, AbsenceReason.SICK),
            wang.pk: (True, ""),
            liu.pk: (True, ""),
        },
        now=life.at(may, 20),
        files=[upload(name.strip(), content) for name, content in files.items()],
    )
    services.attendance_confirm(token=theme_day.checkin_token, user=w.users["member"], now=life.at(may, 12))
    # recorded absent, 张伟's confirmation waited for the secretary, who accepted it
    conflict = theme_day.attendance.get(member=zhang).checkin_conflict
    services.checkin_conflict_decide(by=secretary, conflict=conflict, accept=True)
    withdrawn = record(date(YEAR, 3, 2), kind=MeetingKind.COMMITTEE_MEETING, topic="误录的会议")
    services.meeting_withdraw(meeting=withdrawn, by=secretary, reason="重复录入")
    before = record(date(YEAR - 1, 11, 5), kind=MeetingKind.GROUP_MEETING, topic="上一年度的小组会")
    services.meeting_record(
        by=officer,
        branch=w.b2,
        data=life.data("b2", day=date(YEAR, 4, 1), plan=None, agenda=(), topic="第二支部的会", presider=None),
    )
    return {
        "plan": plan,
        "files": {name.strip() if name != "说明.txt " else "说明 (2).txt": c for name, c in files.items()},
        "order": [general_meeting, committee, theme_day],
        "withdrawn": withdrawn,
        "before": before,
    }


def unzip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def paragraphs(archive, name) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(archive.read(name))).paragraphs)


def test_the_archive_holds_every_record_of_the_year_in_filing_order(life, year):
    archive = unzip(year_zip(life.world.b1, YEAR, generated_at=GENERATED))
    general, committee, theme_day = year["order"]
    assert archive.namelist() == [
        "00_目录.docx",
        f"01_{YEAR}-06-10_支部党员大会.docx",
        f"02_{YEAR}-02-01_支委会.docx",
        f"03_{YEAR}-05-08_主题党日.docx",
        "03_附件/签到表.pdf",
        "03_附件/说明.txt",
        "03_附件/说明 (2).txt",
        "manifest.csv",
    ]
    assert archive.testzip() is None

    index = Document(io.BytesIO(archive.read("00_目录.docx")))
    text = "\n".join(p.text for p in index.paragraphs)
    assert "卷内目录" in text and f"{life.world.b1.name}　{YEAR}年度组织生活档案" in text
    assert "本卷共收会议记录3件、附件3份" in text
    assert f"生成时间：{YEAR + 1}年1月5日 10:30" in text
    rows = [[cell.text for cell in row.cells] for row in index.tables[0].rows]
    assert rows[0] == ["序号", "日期", "类别", "主题", "出席（实到/应到）", "文件", "备注"]
    late = timezone.localtime(general.recorded_at)
    assert rows[1:] == [
        [
            "01",
            f"{YEAR}年6月10日",
            "支部党员大会",
            "讨论接收预备党员",
            "4/4",
            f"01_{YEAR}-06-10_支部党员大会.docx",
            f"补录（{late.year}年{late.month}月{late.day}日 {late:%H:%M}）",
        ],
        ["02", f"{YEAR}年2月1日", "支委会", "研究年度工作计划", "4/4", f"02_{YEAR}-02-01_支委会.docx", ""],
        [
            "03",
            f"{YEAR}年5月8日",
            "主题党日",
            "学习党纪处分条例",
            "3/4",  # 张伟 confirmed by QR after the secretary recorded him absent
            f"03_{YEAR}-05-08_主题党日.docx\n签到表.pdf\n说明.txt\n说明 (2).txt",
            "",
        ],
    ]


def test_each_record_says_what_was_recorded(life, year):
    archive = unzip(year_zip(life.world.b1, YEAR, generated_at=GENERATED))
    theme_day = paragraphs(archive, f"03_{YEAR}-05-08_主题党日.docx")
    assert f"会议时间：{YEAR}年5月8日 09:00" in theme_day
    assert "会议地点：社区党群服务中心" in theme_day
    assert f"主持人：{life.world.people['b1'].name}\n" in theme_day
    assert f"江城区委{YEAR}年5月主题党日计划，主题“学习党纪处分条例”" in theme_day
    assert f"统一时间{YEAR}年5月1日至{YEAR}年5月10日" in theme_day
    assert "1. 集中学习\n2. 交纳党费" in theme_day
    assert "应到4人，实到3人。" in theme_day
    assert "出席：张伟、王芳、刘洋" in theme_day
    assert "缺席：李娜（病假）" in theme_day
    assert f"本人扫码确认出席：张伟（{YEAR}年5月8日 12:00）" in theme_day
    assert "记录人：branch_secretary" in theme_day
    assert "补录" not in theme_day
    assert "1. 签到表.pdf\n2. 说明.txt\n3. 说明 (2).txt（原文件名：说明.txt）" in theme_day

    general = paragraphs(archive, f"01_{YEAR}-06-10_支部党员大会.docx")
    assert "主持人：c1书记（受书记委托，原因：书记外出参加培训）" in general
    assert "讨论了接收预备党员事项，表决通过。" in general
    assert "补录：本记录于" in general and "晚于规定的录入期限" in general
    assert "更正：" in general
    assert "对应计划" not in general


def test_files_are_filed_with_their_sha256(life, year):
    archive = unzip(year_zip(life.world.b1, YEAR, generated_at=GENERATED))
    stored = set(Attachment.objects.values_list("blob__sha256", flat=True))
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    by_name = {row["文件"]: row for row in manifest}
    assert list(by_name) == [n for n in archive.namelist() if n != "manifest.csv"]
    for name, content in year["files"].items():
        path = f"03_附件/{name}"
        digest = hashlib.sha256(content).hexdigest()
        assert archive.read(path) == content
        assert by_name[path]["SHA-256"] == digest
        assert by_name[path]["字节数"] == str(len(content))
        assert by_name[path]["状态"] == "完整"
        assert digest in stored
    assert by_name["03_附件/说明 (2).txt"]["原文件名"] == "说明.txt"
    for name in archive.namelist()[:-1]:
        assert by_name[name]["SHA-256"] == hashlib.sha256(archive.read(name)).hexdigest()


def test_the_same_records_give_the_same_bytes(life, year):
    first = year_zip(life.world.b1, YEAR, generated_at=GENERATED)
    # another day on the clock: nothing of it gets into the ZIP or into the Word files in it
    with time_machine.travel(timezone.now() + timedelta(days=3, hours=5), tick=False):
        second = year_zip(life.world.b1, YEAR, generated_at=GENERATED)
    assert first == second
    later = year_zip(life.world.b1, YEAR, generated_at=GENERATED + timedelta(hours=1))
    assert later != first
    assert [i.filename for i in unzip(later).infolist()] == [i.filename for i in unzip(first).infolist()]


def test_other_years_branches_and_withdrawn_records_stay_out(life, year):
    archive = unzip(year_zip(life.world.b1, YEAR, generated_at=GENERATED))
    names = "\n".join(archive.namelist())
    assert "党小组会" not in names and f"{YEAR}-03-02" not in names and "04-01" not in names
    everything = "\n".join(paragraphs(archive, n) for n in archive.namelist() if n.endswith(".docx"))
    assert "误录的会议" not in everything and "第二支部的会" not in everything

    before = unzip(year_zip(life.world.b1, YEAR - 1, generated_at=GENERATED))
    assert before.namelist() == ["00_目录.docx", f"01_{YEAR - 1}-11-05_党小组会.docx", "manifest.csv"]
    empty = unzip(year_zip(life.world.b3, YEAR, generated_at=GENERATED))
    assert empty.namelist() == ["00_目录.docx", "manifest.csv"]
    assert "本卷共收会议记录0件" in paragraphs(empty, "00_目录.docx")


def test_queries_do_not_grow_with_the_meetings(life, year):
    year_zip(life.world.b1, YEAR, generated_at=GENERATED)  # content types cached
    with CaptureQueriesContext(connection) as before:
        year_zip(life.world.b1, YEAR, generated_at=GENERATED)
    services.meeting_record(
        by=life.world.users["branch_secretary"],
        branch=life.world.b1,
        data=life.data(
            "b1",
            kind=MeetingKind.PARTY_LECTURE,
            starts_at=life.at(date(YEAR, 9, 1)),
            plan=None,
            agenda=(AgendaItem.LECTURE,),
        ),
        files=[upload("讲稿.pdf", PDF + b"%lecture\n")],
    )
    with CaptureQueriesContext(connection) as after:
        year_zip(life.world.b1, YEAR, generated_at=GENERATED)
    assert len(after) == len(before)


def test_a_file_missing_from_storage_is_named_not_fatal(life, year):
    sha256 = hashlib.sha256(PDF).hexdigest()
    blob_path(sha256).unlink()
    archive = unzip(year_zip(life.world.b1, YEAR, generated_at=GENERATED))
    assert "03_附件/签到表.pdf" not in archive.namelist()
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    row = next(r for r in manifest if r["文件"] == "03_附件/签到表.pdf")
    assert (row["SHA-256"], row["字节数"]) == (sha256, "") and row["状态"].startswith("缺失")
    assert "1. 签到表.pdf（缺失" in paragraphs(archive, f"03_{YEAR}-05-08_主题党日.docx")
