"""统一归档 — a branch's archive of a year, generated from its meeting records (nothing is typed for it).

The ZIP holds, in the order an archive office files them (selectors.year_meetings: by kind, then by date):

    00_目录.docx                     卷内目录: the numbered entries, the branch, the year, the generation time
    01_2025-03-05_支部党员大会.docx  a meeting's record: kind, time, place, presider, the plan it answered, the
                                     agenda, the record text, attendance, who recorded it and when (补录)
    01_附件/签到表.pdf               the meeting's attached files, under their original names
    ...
    manifest.csv                     every file of the ZIP with its SHA-256 and size

The papers are written in Chinese whatever the reader's interface language: they are filed, not read on screen.

Deterministic: the same records and the same `generated_at` give the same bytes. Every ZIP entry (and every
part inside the Word files, which python-docx stamps with the clock) carries a time taken from the records —
the meeting's recording, the file's upload, `generated_at` for the index and the manifest — never the clock."""

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.utils import timezone
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from luoshi.core.attachments import attach_files, blob_path
from luoshi.core.documents import chinese_date, heading, new_document, paragraph, title, to_bytes
from luoshi.orglife.models import AbsenceReason, AgendaItem, Meeting
from luoshi.orglife.selectors import year_meetings
from luoshi.orgs.models import Organization

# AbsenceReason's labels carry no Chinese beside the English; the filed paper needs it.
ABSENCE_NAMES = {
    AbsenceReason.SICK: "病假",
    AbsenceReason.WORK: "因公",
    AbsenceReason.MOBILE: "外出（流动党员）",
    AbsenceReason.FAMILY: "事假",
    AbsenceReason.OTHER: "其他原因",
    AbsenceReason.UNEXCUSED: "未说明原因",
}
INDEX_HEADERS = ("序号", "日期", "类别", "主题", "出席（实到/应到）", "文件", "备注")
INDEX_WIDTHS = (Mm(11), Mm(24), Mm(22), Mm(36), Mm(17), Mm(34), Mm(12))  # the 156 mm of the text block
TABLE_SIZE = Pt(10.5)  # 五号
MANIFEST_HEADERS = ("文件", "SHA-256", "字节数", "原文件名", "上传人", "上传时间", "状态")
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]')  # what Windows refuses in a file name, and path separators


CHUNK = 2**20


@dataclass
class _File:
    """One attachment of a meeting as it goes into the ZIP (copied from storage in chunks when written: a
    year of photos is not held in memory at once)."""

    name: str  # path inside the ZIP
    original: str
    uploaded_by: str
    uploaded_at: datetime
    path: Path | None  # None: the stored file is missing
    sha256: str
    size: int | None
    status: str = "完整"


@dataclass
class _Entry:
    number: str
    meeting: Meeting
    document: str  # path inside the ZIP of the meeting's record
    files: list = field(default_factory=list)
    office: str = ""  # the office whose plan the meeting answered
    corrections: list = field(default_factory=list)  # (when, who)


def year_zip(branch: Organization, year: int, *, generated_at: datetime | None = None) -> bytes:
    """The branch's archive of `year` as ZIP bytes: every meeting held (withdrawn ones left out) with its record,
    attendance and files, an index and a manifest. A fixed number of queries whatever the number of meetings.

    `generated_at` (default: now) is printed in the index and dates the index and the manifest: pass the same
    value to get the same bytes from the same records. The caller checks that the user may see the branch."""
    generated_at = generated_at or timezone.now()
    entries = _entries(branch, year)
    listing: list[tuple[str, str, int | None, _File | None]] = []  # name, SHA-256, size, the attachment

    def put(name: str, content: bytes, when: datetime) -> None:
        _put(archive, name, content, when)
        listing.append((name, hashlib.sha256(content).hexdigest(), len(content), None))

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        put(
            f"{0:0{_width(entries)}d}_目录.docx",
            _index_docx(branch, year, entries, generated_at),
            generated_at,
        )
        for entry in entries:
            recorded = entry.corrections[-1][0] if entry.corrections else entry.meeting.recorded_at
            put(entry.document, _meeting_docx(branch, entry), recorded)
            for f in entry.files:
                if f.path is not None:
                    with (
                        f.path.open("rb") as source,
                        archive.open(_info(f.name, f.uploaded_at), "w") as target,
                    ):
                        while chunk := source.read(CHUNK):
                            target.write(chunk)
                listing.append((f.name, f.sha256, f.size, f))
        _put(archive, "manifest.csv", _manifest(listing), generated_at)
    return out.getvalue()


# --- what goes in --------------------------------------------------------------------------------------------


def _entries(branch, year) -> list[_Entry]:
    meetings = attach_files(year_meetings(branch, year))
    width = _width(meetings)
    offices = dict(
        Organization.objects.filter(pk__in={m.plan.organization_id for m in meetings if m.plan}).values_list(
            "pk", "name"
        )
    )
    corrections: dict = {}
    for row in (
        Meeting.history.filter(id__in=[m.pk for m in meetings], history_type="~")
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        corrections.setdefault(row.id, []).append((row.history_date, str(row.history_user or "")))
    entries = []
    for n, meeting in enumerate(meetings, start=1):
        number = f"{n:0{width}d}"
        day = timezone.localtime(meeting.starts_at).date()
        entries.append(
            _Entry(
                number=number,
                meeting=meeting,
                document=f"{number}_{day.isoformat()}_{_chinese(meeting.get_kind_display())}.docx",
                files=_files(number, meeting.files),
                office=offices.get(meeting.plan.organization_id, "") if meeting.plan else "",
                corrections=corrections.get(meeting.pk, []),
            )
        )
    return entries


def _files(number: str, attachments) -> list[_File]:
    out, taken = [], set()
    for attachment in sorted(attachments, key=lambda a: a.pk):
        name = _unique(_safe(attachment.filename) or "附件", taken)
        path = blob_path(attachment.blob.sha256)
        item = _File(
            name=f"{number}_附件/{name}",
            original=attachment.filename,
            uploaded_by=str(attachment.uploaded_by),
            uploaded_at=attachment.uploaded_at,
            path=path if path.exists() else None,
            sha256=attachment.blob.sha256,
            size=None,
        )
        if item.path is None:
            item.status = "缺失：存储中找不到该文件"
        else:
            item.sha256, item.size = _digest(path)
            if item.sha256 != attachment.blob.sha256:
                # the stored bytes changed since upload: filed as they are, with the hash they have now
                item.status = f"校验不符：上传时为 {attachment.blob.sha256}"
        out.append(item)
    return out


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _width(items) -> int:
    return max(2, len(str(len(items))))


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip().lstrip(".")


def _unique(name: str, taken: set) -> str:
    """`name`, or `name (2)`, `name (3)`... if a file of the same meeting already has it."""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        path = PurePosixPath(name)
        candidate = f"{path.stem} ({n}){path.suffix}"
    taken.add(candidate.casefold())
    return candidate


def _chinese(label) -> str:
    """The Chinese name a choice's label carries beside the English one: "Theme day (主题党日)" -> "主题党日" (a
    label already translated to Chinese is kept as it is)."""
    text = str(label)
    _english, sep, chinese = text.rpartition(" (")
    return chinese[:-1] if sep and chinese.endswith(")") else text


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{chinese_date(local)} {local:%H:%M}"


def _names(people) -> str:
    return "、".join(people) or "无"


# --- the papers ----------------------------------------------------------------------------------------------


def _index_docx(branch, year, entries: list[_Entry], generated_at) -> bytes:
    """卷内目录: one row per meeting, in filing order."""
    doc = new_document()
    title(doc, "卷内目录")
    paragraph(doc, f"{branch.name}　{year}年度组织生活档案", align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(doc, f"组织代码：{branch.code}", indent=False)
    files = sum(len(e.files) for e in entries)
    paragraph(doc, f"本卷共收会议记录{len(entries)}件、附件{files}份。", indent=False)
    table = doc.add_table(rows=1, cols=len(INDEX_HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, INDEX_HEADERS, strict=True):
        _cell(cell, text, bold=True)
    header = OxmlElement("w:tblHeader")  # repeated at the top of every page of a long index
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    for entry in entries:
        m = entry.meeting
        names = [entry.document] + [f.name.split("/", 1)[1] for f in entry.files]
        remark = f"补录（{_when(m.recorded_at)}）" if m.late else ""
        row = (
            entry.number,
            chinese_date(timezone.localtime(m.starts_at)),
            _chinese(m.get_kind_display()),
            m.topic,
            f"{m.present}/{m.roll}",
            "\n".join(names),
            remark,
        )
        for cell, text in zip(table.add_row().cells, row, strict=True):
            _cell(cell, text)
    for row in table.rows:
        for cell, width in zip(row.cells, INDEX_WIDTHS, strict=True):
            cell.width = width
    paragraph(doc, "")
    paragraph(
        doc,
        "本目录及各件会议记录由系统依据支部录入的会议记录自动生成，未另行填写。"
        "各文件的SHA-256校验值见manifest.csv。",
    )
    paragraph(doc, f"生成时间：{_when(generated_at)}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _stable(doc, f"{branch.name}{year}年度组织生活档案卷内目录", generated_at)


def _cell(cell, text: str, *, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.line_spacing = 1.0  # single: the body's exact 22-lines-a-page spacing is for prose
    for n, line in enumerate(text.split("\n")):
        run = p.add_run()
        run.bold, run.font.size = bold, TABLE_SIZE
        if n:
            run.add_break()
        run.add_text(line)


def _meeting_docx(branch, entry: _Entry) -> bytes:
    """The record of one meeting, as recorded."""
    m = entry.meeting
    kind = _chinese(m.get_kind_display())
    doc = new_document()
    title(doc, f"{branch.name}{kind}记录")

    def line(text: str) -> None:
        paragraph(doc, text, indent=False)

    line(f"档号：{branch.code}-{timezone.localtime(m.starts_at).year}-{entry.number}")
    heading(doc, "一、基本情况")
    line(f"会议类别：{kind}")
    line(f"会议时间：{_when(m.starts_at)}")
    line(f"会议地点：{m.place}")
    presider = m.presider.name if m.presider else "未记录"
    line(f"主持人：{presider}" + (f"（受书记委托，原因：{m.delegation}）" if m.delegation else ""))
    line(f"会议主题：{m.topic}")
    if m.plan is not None:
        plan = m.plan
        items = "、".join(_chinese(label) for label in plan.required_labels()) or "无"
        line(
            f"对应计划：{entry.office}{plan.month.year}年{plan.month.month}月主题党日计划，"
            f"主题“{plan.theme}”，统一时间{chinese_date(plan.window_start)}至{chinese_date(plan.window_end)}，"
            f"规定议程：{items}"
        )
    heading(doc, "二、会议议程")
    labels = dict(AgendaItem.choices)
    held = [_chinese(labels.get(code, code)) for code in m.agenda]
    for n, item in enumerate(held, start=1):
        paragraph(doc, f"{n}. {item}")
    if not held:
        paragraph(doc, "未记录议程。")
    if m.omission_note:
        paragraph(doc, f"未开展事项说明：{m.omission_note}")
    heading(doc, "三、会议记录")
    for text in m.record.splitlines():
        if text.strip():
            paragraph(doc, text.strip())
    heading(doc, "四、出席情况")
    rows = sorted(m.attendance.all(), key=lambda a: a.member_id)
    present = [a.member.name for a in rows if a.present]
    absent = [
        f"{a.member.name}（{ABSENCE_NAMES.get(a.reason, '未说明原因')}）" for a in rows if not a.present
    ]
    confirmed = [f"{a.member.name}（{_when(a.confirmed_at)}）" for a in rows if a.confirmed_at]
    line(f"应到{m.roll}人，实到{m.present}人。")
    line(f"出席：{_names(present)}")
    line(f"缺席：{_names(absent)}")
    if len(rows) < m.roll:
        line(f"另有{m.roll - len(rows)}人未登记出席情况。")
    line(f"本人扫码确认出席：{_names(confirmed)}")
    heading(doc, "五、记录情况")
    line(f"记录人：{m.recorded_by}")
    line(f"录入时间：{_when(m.recorded_at)}")
    if m.late:
        line(f"补录：本记录于{_when(m.recorded_at)}录入，晚于规定的录入期限。")
    for when, who in entry.corrections:
        line(f"更正：{_when(when)}" + (f"，{who}" if who else ""))
    if entry.files:
        heading(doc, "六、附件")
        for n, f in enumerate(entry.files, start=1):
            filed = f.name.split("/", 1)[1]
            note = [f"原文件名：{f.original}"] if filed != f.original else []
            note += [f.status] if f.status != "完整" else []
            line(f"{n}. {filed}" + (f"（{'；'.join(note)}）" if note else ""))
    recorded = entry.corrections[-1][0] if entry.corrections else m.recorded_at
    return _stable(doc, f"{branch.name}{chinese_date(timezone.localtime(m.starts_at))}{kind}记录", recorded)


# --- bytes that do not depend on the clock -------------------------------------------------------------------


def _stable(doc, name: str, when: datetime) -> bytes:
    """The Word file's bytes with its properties and every part's time taken from `when`."""
    moment = when.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = name, "落实", "落实"
    props.created = props.modified = moment
    props.revision = 1
    source = zipfile.ZipFile(io.BytesIO(to_bytes(doc)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as repacked:
        for info in source.infolist():
            _put(repacked, info.filename, source.read(info), when)
    return out.getvalue()


def _put(archive: zipfile.ZipFile, name: str, content: bytes, when: datetime) -> None:
    archive.writestr(_info(name, when), content)


def _info(name: str, when: datetime) -> zipfile.ZipInfo:
    local = timezone.localtime(when)
    info = zipfile.ZipInfo(name, date_time=(max(local.year, 1980), *local.timetuple()[1:6]))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # the same bytes on every platform (ZipInfo takes it from the running one)
    info.external_attr = 0o644 << 16
    return info


def _manifest(listing) -> bytes:
    """manifest.csv: every file of the ZIP with its SHA-256 and size, and the attachments missing from storage.
    UTF-8 with a BOM, so Excel on a Chinese Windows opens it as it is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MANIFEST_HEADERS)
    for name, sha256, size, f in listing:
        about = [f.original, f.uploaded_by, _when(f.uploaded_at), f.status] if f else ["", "", "", "完整"]
        writer.writerow([name, sha256, "" if size is None else size, *about])
    return out.getvalue().encode("utf-8-sig")
