"""Excel files of the duty app: the work-plan template and its import (checked row by row, all or nothing),
and the supervision ledger export."""

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from luoshi.core.attachments import attachment_add, blob_path
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Attachment
from luoshi.duty import services
from luoshi.duty.models import ReportKind
from luoshi.duty.selectors import days_overdue
from luoshi.orgs.models import Organization, OrgKind
from luoshi.orgs.selectors import organization_pick_visible, organizations_of_kind_under

HEADERS = [
    "序号",
    "任务名称",
    "任务内容",
    "牵头单位",
    "完成时限",
    "报送方式",
    "计量单位",
    "清单项",
    "下达范围",
]
REPORT_KINDS = {"文字": ReportKind.TEXT, "数值": ReportKind.NUMBER, "清单": ReportKind.CHECKLIST}
LEVELS = {
    "全部街道": OrgKind.STREET,
    "全部社区": OrgKind.COMMUNITY,
    "全部村社区": OrgKind.COMMUNITY,
    "全部党总支": OrgKind.GENERAL_BRANCH,
    "全部支部": OrgKind.BRANCH,
    "全部党支部": OrgKind.BRANCH,
}
MAX_ROWS = 500
HEAD_FILL = PatternFill("solid", fgColor="F2DCDB")


def plan_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "工作要点"
    ws.append(HEADERS)
    ws.append(
        [
            1,
            "开展党纪学习教育",
            "各级党组织以读原文、学条例、开展警示教育等方式组织学习。",
            "区委组织部",
            date(timezone.localdate().year, 12, 31),
            "清单",
            "",
            "集中学习；警示教育；专题党课",
            "全部支部",
        ]
    )
    ws.append(
        [
            2,
            "报送廉政谈话人数",
            "",
            "区纪委监委",
            date(timezone.localdate().year, 12, 31),
            "数值",
            "人",
            "",
            "全部街道",
        ]
    )
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
    for col, width in zip("ABCDEFGHI", (6, 28, 40, 14, 12, 10, 10, 30, 24), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, max_row=3, min_col=5, max_col=5):
        row[0].number_format = "yyyy-mm-dd"
    choice = DataValidation(type="list", formula1='"文字,数值,清单"', allow_blank=True)
    ws.add_data_validation(choice)
    choice.add(f"F2:F{MAX_ROWS + 1}")
    notes = wb.create_sheet("填写说明")
    for line in (
        "每行一项任务；第一行为表头，请勿修改。",
        "完成时限：日期单元格，或 2026-06-30、2026/6/30、2026年6月30日；不得早于今天。",
        "报送方式：文字、数值或清单；数值须填计量单位（如 人、次、份）；清单须填清单项，用“；”分隔。",
        "下达范围：全部街道、全部社区、全部党总支或全部支部（本单位以下的全部该类组织），"
        "或组织代码，多个用“、”分隔；不填则只建任务，稍后在平台上下达。",
        "全部行检查无误后才会导入；有错误时逐行列出，一行也不会导入。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class RowResult:
    row: int
    spec: services.TaskSpec | None = None
    organizations: list = field(default_factory=list)
    title: str = ""
    messages: list = field(default_factory=list)

    @property
    def report_label(self):
        return ReportKind(self.spec.report_kind).label if self.spec else ""


@dataclass
class ImportResult:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    token: str = ""
    committed: bool = False


DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
]


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check_row(user, plan, number: int, cells: list) -> RowResult:
    cells = (list(cells) + [None] * len(HEADERS))[: len(HEADERS)]
    _seq, title, description, lead, deadline_raw, kind_raw, unit, items, scope = cells
    result = RowResult(row=number, title=_text(title))
    errors = result.messages
    if not result.title:
        errors.append(gettext("The task name is empty."))
    elif len(result.title) > 200:
        errors.append(gettext("The task name is longer than 200 characters."))
    deadline = parse_date(deadline_raw)
    if deadline is None:
        errors.append(
            gettext("The deadline “%(value)s” is not a date (e.g. 2026-06-30).")
            % {"value": _text(deadline_raw)}
        )
    elif deadline < timezone.localdate():
        errors.append(gettext("The deadline %(date)s is before today.") % {"date": deadline.isoformat()})
    kind_text = _text(kind_raw) or "文字"
    report_kind = REPORT_KINDS.get(kind_text)
    if report_kind is None:
        errors.append(
            gettext("The report type must be 文字, 数值 or 清单, not “%(value)s”.") % {"value": kind_text}
        )
    checklist = [part.strip() for part in re.split(r"[；;\n]", _text(items)) if part.strip()]
    if report_kind == ReportKind.NUMBER and not _text(unit):
        errors.append(gettext("A numeric report needs its unit (e.g. 人, 次, 份)."))
    if report_kind == ReportKind.CHECKLIST and not checklist:
        errors.append(gettext("A checklist report needs its items, separated by ；."))
    result.organizations = _scope(user, plan, _text(scope), errors)
    if not errors:
        result.spec = services.TaskSpec(
            title=result.title,
            deadline=deadline,
            description=_text(description),
            lead_office=_text(lead)[:100],
            report_kind=report_kind,
            unit=_text(unit)[:20],
            checklist=checklist,
        )
    return result


def _scope(user, plan, text: str, errors: list) -> list[Organization]:
    if not text:
        return []
    if text in LEVELS:
        return organizations_of_kind_under(plan.organization, LEVELS[text])
    orgs = []
    for code in (part.strip() for part in re.split(r"[、,，;；\s]+", text)):
        if not code:
            continue
        org = organization_pick_visible(user, code)
        if org is None or not org.path.startswith(plan.organization.path) or org.pk == plan.organization_id:
            errors.append(
                gettext("No organization “%(code)s” below the plan's organization in your scope.")
                % {"code": code}
            )
        else:
            orgs.append(org)
    return orgs


def _read(user, plan, stream) -> ImportResult:
    result = ImportResult()
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        result.errors.append(
            RowResult(row=0, messages=[gettext("The file is not an Excel workbook (.xlsx).")])
        )
        return result
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_text(c) for c in next(rows, ())]
    if header[: len(HEADERS)] != HEADERS:
        result.errors.append(
            RowResult(
                row=1,
                messages=[gettext("The header row must be: %(headers)s") % {"headers": "、".join(HEADERS)}],
            )
        )
        return result
    for number, cells in enumerate(rows, start=2):
        if not any(_text(c) for c in cells):
            continue
        if len(result.rows) + len(result.errors) >= MAX_ROWS:
            result.errors.append(
                RowResult(row=number, messages=[gettext("At most %(n)d tasks per file.") % {"n": MAX_ROWS}])
            )
            break
        row = _check_row(user, plan, number, cells)
        (result.errors if row.messages else result.rows).append(row)
    if not result.rows and not result.errors:
        result.errors.append(RowResult(row=2, messages=[gettext("The sheet has no tasks.")]))
    wb.close()
    return result


def plan_import_check(user, plan, upload) -> ImportResult:
    """Check every row of an uploaded plan. The file is kept (by SHA-256, attached to the plan) so that the
    confirmation imports exactly what was checked."""
    try:
        stored = attachment_add(upload=upload, user=user, subject=plan)
    except ServiceError as exc:
        return ImportResult(errors=[RowResult(row=0, messages=[str(exc.message)])])
    with open(blob_path(stored.blob.sha256), "rb") as stream:
        result = _read(user, plan, stream)
    result.token = str(stored.pk)
    return result


def plan_import_stored(user, plan, token: str) -> ImportResult:
    """Import a checked file: every row again, then all tasks in one transaction, or none."""
    stored = (
        Attachment.objects.filter(
            pk=token if str(token).isdigit() else 0,
            subject_type=ContentType.objects.get_for_model(plan),
            subject_id=str(plan.pk),
            uploaded_by=user,
        )
        .select_related("blob")
        .first()
    )
    if stored is None:
        return ImportResult(errors=[RowResult(row=0, messages=[gettext("Upload the file again.")])])
    with open(blob_path(stored.blob.sha256), "rb") as stream:
        result = _read(user, plan, stream)
    result.token = str(stored.pk)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for row in result.rows:
                task = services.task_create(by=user, plan=plan, spec=row.spec)
                if row.organizations:
                    services.task_assign(by=user, task=task, organizations=row.organizations)
    except (ServiceError, NotPermitted) as exc:
        message = (
            exc.message
            if isinstance(exc, ServiceError)
            else gettext("You cannot send tasks from this organization.")
        )
        result.errors.append(RowResult(row=row.row, title=row.title, messages=[str(message)]))
        return result
    result.committed = True
    return result


def ledger_xlsx(assignments) -> bytes:
    """督办台账 as a sheet, in write-only mode so a province's ledger streams out row by row."""
    from luoshi.duty.models import NodeState

    today = timezone.localdate()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("督办台账")
    headers = [
        gettext("Task"),
        gettext("Lead office"),
        gettext("Responsible unit"),
        gettext("Organization code"),
        gettext("Deadline"),
        gettext("State"),
        gettext("Last report"),
        gettext("Last report text"),
        gettext("Days overdue"),
    ]
    widths = (36, 14, 30, 18, 12, 14, 12, 40, 10)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append(headers)
    labels = dict(NodeState.choices)
    for a in assignments.iterator(chunk_size=2000):
        days = days_overdue(a, today)
        ws.append(
            [
                a.task.title,
                a.task.lead_office,
                a.organization.name,
                a.organization.code,
                a.deadline,
                str(labels.get(a.node_state, a.node_state)),
                timezone.localtime(a.last_report_at).date() if a.last_report_at else None,
                a.last_report_text,
                days,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
