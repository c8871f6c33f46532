"""The entered scores (述职评议, 民主评议) of one manual indicator as a sheet: written with every unit of the
scheme, its code and its current entry; read back all or nothing, every refused row named by its number."""

import io

from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from luoshi.assessment import services
from luoshi.core.errors import ServiceError

HEADERS = ["组织代码", "单位名称", "分值", "理由"]
MAX_ROWS = 100_000
HEAD_FILL = PatternFill("solid", fgColor="F2DCDB")


def manual_scores_xlsx(scheme, indicator) -> bytes:
    from luoshi.assessment.models import ManualScore

    entered = {m.organization_id: m for m in ManualScore.objects.filter(indicator=indicator)}
    wb = Workbook()
    ws = wb.active
    ws.title = indicator.code[:31]
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    for n, width in enumerate([18, 34, 10, 60], start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    for unit in services.assessed_units(scheme).order_by("path"):
        m = entered.get(unit.pk)
        ws.append([unit.code, unit.name, float(m.points) if m else None, m.reason if m else ""])
    ws.freeze_panes = "A2"
    ws.cell(
        row=1,
        column=6,
        value=f"{indicator.code} {indicator.name}：分值 0–{indicator.weight}，每行须写明理由。",
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def manual_scores_import(user, scheme, indicator, upload) -> list[tuple[int, str, str]]:
    """Saves the sheet's scores, all or none; returns the refused rows as (row number, unit code, message).
    The file is kept (SHA-256) with the scheme whether or not it was accepted."""
    from luoshi.core.attachments import attachment_add

    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ServiceError(gettext("The file is not an Excel workbook (.xlsx).")) from None
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = [_text(c) for c in next(rows, ())][: len(HEADERS)]
    if header != HEADERS:
        wb.close()
        raise ServiceError(gettext("The header row must be: %(headers)s") % {"headers": "、".join(HEADERS)})
    units = {u.code: u for u in services.assessed_units(scheme)}
    entries, numbers = [], {}
    for number, cells in enumerate(rows, start=2):
        cells = list(cells) + [None] * 4
        code, _name, points, reason = (_text(c) for c in cells[:4])
        if not any((code, points, reason)):
            continue
        if len(entries) >= MAX_ROWS:
            wb.close()
            raise ServiceError(gettext("At most %(n)d rows per file.") % {"n": MAX_ROWS})
        entries.append((number, units.get(code), points, reason))
        numbers[number] = code
    wb.close()
    if not entries:
        raise ServiceError(gettext("The sheet has no rows."))
    upload.seek(0)
    attachment_add(upload=upload, user=user, subject=scheme)
    errors = services.manual_scores_set(by=user, indicator=indicator, entries=entries)
    return sorted((number, numbers[number], message) for number, message in errors.items())
