"""Read an uploaded member sheet (.xlsx or .csv) and write the sheet of refused rows back.

What a file is, is decided by its content: a ZIP is a workbook, whatever its name; an OLE container is an old
.xls (or an encrypted workbook) and is refused; anything else named like a workbook is refused; the rest is read
as CSV (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030, which covers GBK), comma- or tab-separated.

``read_rows`` refuses the file at once (``FileRefused``) when it is too large, empty, unreadable or when its
first row is not the 16 headers of ``validation.HEADERS`` (optionally followed by the "错误" column of an error
sheet). The row limit is only known while reading: the iterator it returns raises ``FileRefused`` when the data
rows pass ``max_rows`` (and when a CSV turns out to be malformed further down), so a caller consumes the rows
inside the same ``try``.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from luoshi.members.validation import HEADERS

ERRORS_HEADER = "错误"
MAX_BYTES = 50 * 2**20
MAX_ROWS = 200_000
COLUMNS = len(HEADERS)
SHEET_TITLE = "党员信息"
# Widths of the 16 columns and of the error column, in characters.
WIDTHS = [10, 6, 8, 22, 12, 12, 10, 18, 12, 12, 16, 14, 30, 12, 10, 12]
ERRORS_WIDTH = 80
# Formatted as text in Excel, where a number would lose digits (an ID) or leading zeros (a code).
TEXT_COLUMNS = ("公民身份号码", "所在党组织代码", "手机号码")
EXCEL_CELL_MAX = 32767
EXCEL_ROWS = 2**20

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".et", ".ods")
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f]")
_MIDNIGHT = time()
# Workbooks smaller than this are counted row by row: their recorded size may be far off (a template formatted
# for 2,000 rows records 2,000 rows), and reading them is quick.
_EXACT_COUNT_BELOW = 2**20


class FileRefused(Exception):
    """The file as a whole cannot be imported; ``message`` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:g} MB"
    if n >= 2**10:
        return f"{n / 2**10:g} KB"
    return f"{n} B"


def _unreadable() -> FileRefused:
    return FileRefused(
        _(
            "The file is not a readable Excel workbook (.xlsx) or CSV file. Save it as .xlsx and upload it again."
        )
    )


def _read_bytes(fileobj, max_bytes: int) -> bytes:
    seekable = getattr(fileobj, "seekable", None)
    if seekable is not None and seekable():
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise FileRefused(_("The file is larger than %(size)s.") % {"size": _size(max_bytes)})
    if not data:
        raise FileRefused(_("The file is empty."))
    return data


def _blank(row) -> bool:
    for cell in row:
        if cell is not None and (type(cell) is not str or cell.strip()):
            return False
    return True


def _workbook_rows(data: bytes, max_bytes: int):
    """(numbered rows, close, worksheet) of the first worksheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _unreadable() from exc
    if unpacked > max(25 * max_bytes, 100 * 2**20):  # a ZIP bomb, not a member sheet
        raise _unreadable()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a ZIP that is not a workbook
        raise _unreadable() from exc
    if not workbook.worksheets:
        workbook.close()
        raise _unreadable()
    sheet = workbook.worksheets[0]
    # Enough columns to see the 16, the error column and a stray one after them (formatting can make a sheet
    # 16,384 columns wide); an explicit max_row, as a sheet without a recorded dimension has none.
    rows = enumerate(sheet.iter_rows(max_row=EXCEL_ROWS, max_col=COLUMNS + 8, values_only=True), start=1)
    return rows, workbook.close, sheet


def _decode(data: bytes) -> str:
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
            return data.decode("utf-16")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _unreadable() from exc


def _csv_rows(data: bytes):
    text = _decode(data).rstrip("\x1a")  # an old DOS end-of-file mark
    if _BINARY.search(text, 0, 65536):
        raise _unreadable()
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if "," not in first_line and "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return enumerate(reader, start=1)


def _open(fileobj, filename: str, max_bytes: int):
    """(numbered raw rows, close, worksheet or None, the file's bytes)."""
    data = _read_bytes(fileobj, max_bytes)
    if data.startswith(_ZIP):
        return (*_workbook_rows(data, max_bytes), data)
    if data.startswith(_OLE):
        raise FileRefused(
            _(
                "This is an old Excel file (.xls) or a workbook with a password. "
                "Save it as an Excel workbook (.xlsx) without a password and upload it again."
            )
        )
    if filename.lower().endswith(_WORKBOOK_SUFFIXES):
        raise _unreadable()
    return _csv_rows(data), _nothing, None, data


def _nothing():
    pass


def _header_cell(value) -> str:
    if value is None:
        return ""
    return "".join(str(value).split())  # "姓　名" is 姓名


def _check_header(header: list[str], headers: list[str] = HEADERS) -> None:
    columns = len(headers)
    if header == headers or header == [*headers, ERRORS_HEADER]:
        return
    problems = []
    for i, expected in enumerate(headers):
        letter = get_column_letter(i + 1)
        if i >= len(header) or not header[i]:
            problems.append(
                _("Column %(letter)s should be “%(expected)s” and is missing.")
                % {"letter": letter, "expected": expected}
            )
            break
        if header[i] != expected:
            problems.append(
                _("Column %(letter)s is “%(found)s” and should be “%(expected)s”.")
                % {"letter": letter, "found": header[i], "expected": expected}
            )
            break
    else:
        extra = columns + 1 if header[columns] == ERRORS_HEADER else columns
        problems.append(
            _("Column %(letter)s “%(found)s” is not one of these columns.")
            % {"letter": get_column_letter(extra + 1), "found": header[extra]}
        )
    missing = [name for name in headers if name not in header]
    if missing:
        problems.append(_("Missing: %(names)s.") % {"names": "、".join(missing)})
    raise FileRefused(
        _("The first row must hold exactly these %(count)d column headers, in this order: %(headers)s.")
        % {"count": columns, "headers": "、".join(headers)}
        + " "
        + " ".join(problems)
    )


def _cell(value):
    if type(value) is datetime and value.time() == _MIDNIGHT:
        return value.date()
    return value


def _data_rows(
    rows, close, max_rows: int, header_number: int, columns: int = COLUMNS
) -> Iterator[tuple[int, list]]:
    count = 0
    number = header_number
    try:
        for number, row in rows:
            if _blank(row):
                continue
            count += 1
            if count > max_rows:
                raise FileRefused(
                    _("The file has more than %(max)d member rows; split it into smaller files.")
                    % {"max": max_rows}
                )
            cells = [_cell(value) for value in row[:columns]]
            if len(cells) < columns:
                cells.extend([None] * (columns - len(cells)))
            yield number, cells
    except FileRefused:
        raise
    except Exception as exc:  # csv.Error, a broken XML part further down the workbook
        raise FileRefused(_("The file cannot be read after row %(row)d.") % {"row": number}) from exc
    finally:
        close()


def _start(fileobj, filename: str, max_bytes: int, headers: list[str] = HEADERS):
    rows, close, sheet, data = _open(fileobj, filename, max_bytes)
    try:
        for number, row in rows:
            if not _blank(row):
                header = [_header_cell(value) for value in row]
                while header and not header[-1]:
                    header.pop()
                _check_header(header, headers)
                return header, number, rows, close, sheet, data
    except FileRefused:
        close()
        raise
    except Exception as exc:
        close()
        raise _unreadable() from exc
    close()
    raise FileRefused(_("The file is empty."))


def read_rows(
    fileobj,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    headers: list[str] = HEADERS,
) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """The header row and an iterator of (row number as Excel shows it, the 16 cells) over the non-empty rows.

    The header is the first non-empty row (row 1 in a well-made sheet); a trailing "错误" column is accepted and
    its cells are left out. Cells come as the file has them: str, int, float, bool, date (a date cell at
    midnight) or datetime from a workbook, str from a CSV; missing cells are None. ``fileobj`` is read from its
    start. The iterator raises FileRefused past ``max_rows`` data rows. ``headers``: another sheet's columns
    (the dues payments), checked the same way."""
    header, number, rows, close, _sheet, _data = _start(fileobj, filename, max_bytes, headers)
    return header, _data_rows(rows, close, max_rows, number, len(headers))


def count_rows(fileobj, filename: str, *, max_bytes: int = MAX_BYTES) -> int:
    """How many data rows the file has, for a progress bar. Exact for CSV and for workbooks under 1 MB; for a
    larger workbook an estimate that reads no cell (the rows the worksheet records, blank ones included).
    Raises FileRefused as ``read_rows`` does, and leaves ``fileobj`` at its start."""
    try:
        _header, number, rows, close, sheet, data = _start(fileobj, filename, max_bytes)
        if sheet is not None and len(data) >= _EXACT_COUNT_BELOW:
            # Counting <row> tags reads no cell; max_row parses the whole sheet when no dimension is recorded.
            recorded = _row_tags(data, getattr(sheet, "_worksheet_path", None)) or sheet.max_row
            if recorded:
                close()
                return max(recorded - number, 0)
        return sum(1 for _row in _data_rows(rows, close, 2**62, number))
    finally:
        seekable = getattr(fileobj, "seekable", None)
        if seekable is not None and seekable():
            fileobj.seek(0)


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _row_tags(data: bytes, path: str | None) -> int | None:
    """The number of <row> elements of a worksheet part."""
    if not path:
        return None
    count, tail = 0, b""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path.lstrip("/")) as part:
            while chunk := part.read(2**20):
                block = tail + chunk
                count += len(_ROW_TAG.findall(block))
                tail = block[-16:]
                count -= len(_ROW_TAG.findall(tail))  # counted again with the next block
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    return count + len(_ROW_TAG.findall(tail))


def _text_cell(sheet, value: str):
    value = ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_MAX]
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # "=…" stays text, never a formula
    return cell


def error_sheet(
    header: list[str], rows: list[tuple[int, list, list[str]]], *, errors_column: bool = True
) -> bytes:
    """An .xlsx of the refused rows: the 16 columns as given plus "错误" with each row's messages.

    Fixed in Excel, it is uploaded again as it is (``read_rows`` ignores the error column). With no rows and
    ``errors_column=False`` it is the blank import template. The ID, organization code and phone columns are
    formatted as text so that what is typed there keeps every digit."""
    columns = [name for name in (header or HEADERS) if name != ERRORS_HEADER][:COLUMNS] or list(HEADERS)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    text_at = {i for i, name in enumerate(columns) if name in TEXT_COLUMNS}
    for i in range(len(columns)):
        dimension = sheet.column_dimensions[get_column_letter(i + 1)]
        dimension.width = WIDTHS[i] if i < len(WIDTHS) else 12
        if i in text_at:
            dimension.number_format = "@"
    if errors_column:
        sheet.column_dimensions[get_column_letter(len(columns) + 1)].width = ERRORS_WIDTH
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    titles = [*columns, ERRORS_HEADER] if errors_column else columns
    heading = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)

    red = Font(color="C00000")
    wrap = Alignment(wrap_text=True, vertical="top")
    for _number, cells, messages in rows:
        out = []
        for i in range(len(columns)):
            value = cells[i] if i < len(cells) else None
            if isinstance(value, date):
                is_day = type(value) is date or value.time() == _MIDNIGHT
                cell = WriteOnlyCell(
                    sheet, value=value.date() if type(value) is datetime and is_day else value
                )
                cell.number_format = "yyyy-mm-dd" if is_day else "yyyy-mm-dd hh:mm:ss"
                value = cell
            elif type(value) is str:
                value = _text_cell(sheet, value)
                if i in text_at:
                    value.number_format = "@"
            elif i in text_at and value is not None:
                value = WriteOnlyCell(sheet, value=value)
                value.number_format = "@"
            out.append(value)
        if errors_column:
            cell = _text_cell(sheet, "；".join(messages))
            cell.font, cell.alignment = red, wrap
            out.append(cell)
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
