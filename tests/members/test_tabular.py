"""Reading member sheets (.xlsx and .csv) and writing the sheet of refused rows back."""

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from luoshi.members.tabular import FileRefused, count_rows, error_sheet, read_rows
from luoshi.members.validation import HEADERS, OrgRef, check_row
from tests.members.strategies import id_with, valid_rows

TODAY = date(2025, 6, 15)
ORGS = {"B1": OrgRef(11, True), "B2": OrgRef(12, True), "10203": OrgRef(13, True), "C1": OrgRef(2, False)}
ID_1 = id_with("11010519800229001")
ID_2 = id_with("44030419920315002")
ROWS = [
    ["王芳", "男", "汉族", ID_1, date(1980, 2, 29), "本科", "正式党员", "B1", date(2000, 2, 29), date(2001, 2, 28),
     "教师", "13812345678", "幸福路1号", "否", "否", None],
    ["李娜", "女", "壮族", ID_2, date(1992, 3, 15), None, "预备党员", "10203", date(2024, 12, 1), None,
     None, None, None, "是", "是", date(2025, 3, 1)],
]  # fmt: skip


def check(cells):
    return check_row(cells, organizations=ORGS, today=TODAY)


def xlsx(rows, header=HEADERS, *, title=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_text(rows, header=HEADERS, delimiter=",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else c.isoformat() if isinstance(c, date) else c for c in row])
    return out.getvalue()


def read(data: bytes, filename="members.xlsx", **limits):
    header, rows = read_rows(io.BytesIO(data), filename, **limits)
    return header, list(rows)


def refused(data: bytes, filename="members.xlsx", **limits) -> str:
    with translation.override("en"), pytest.raises(FileRefused) as caught:
        read(data, filename, **limits)
    return caught.value.message


# --- reading -------------------------------------------------------------------------------------------------


def test_xlsx_round_trip_with_dates_as_dates():
    header, rows = read(xlsx(ROWS))
    assert header == HEADERS
    assert [number for number, _cells in rows] == [2, 3]
    assert [cells for _number, cells in rows] == ROWS
    assert type(rows[0][1][4]) is date  # an Excel date cell comes back a date, not a datetime at midnight
    for _number, cells in rows:
        clean, errors = check(cells)
        assert errors == [], errors
    assert check(rows[0][1])[0]["full_on"] == date(2001, 2, 28)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(valid_rows(ORGS, TODAY), min_size=1, max_size=6))
def test_generated_rows_survive_a_workbook(rows):
    _header, read_back = read(xlsx(rows))
    assert len(read_back) == len(rows)
    for (_number, cells), row in zip(read_back, rows, strict=True):
        assert check(cells) == (row.expected, [])


def test_a_datetime_with_a_time_stays_a_datetime():
    row = [*ROWS[0]]
    row[15] = datetime(2024, 1, 2, 8, 30)
    _header, rows = read(xlsx([row]))
    assert rows[0][1][15] == datetime(2024, 1, 2, 8, 30)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b""), ("utf-16", b"")],
)
def test_csv_encodings(encoding, prefix):
    data = prefix + csv_text(ROWS).encode(encoding)
    header, rows = read(data, "members.csv")
    assert header == HEADERS
    assert [number for number, _cells in rows] == [2, 3]
    assert rows[0][1][:4] == ["王芳", "男", "汉族", ID_1]
    assert all(type(cell) is str for _number, cells in rows for cell in cells)
    for _number, cells in rows:
        assert check(cells)[1] == []


def test_tab_separated_text():
    header, rows = read(csv_text(ROWS, delimiter="\t").encode(), "members.txt")
    assert header == HEADERS and len(rows) == 2 and check(rows[1][1])[1] == []


def test_content_decides_not_the_name():
    header, rows = read(xlsx(ROWS), "members.csv")
    assert header == HEADERS and len(rows) == 2
    header, rows = read(csv_text(ROWS).encode(), "members.dat")
    assert header == HEADERS and len(rows) == 2


def test_empty_rows_are_skipped_and_numbers_are_excel_rows():
    blank = [None] * 16
    spaces = ["  "] + [None] * 15
    _header, rows = read(xlsx([blank, ROWS[0], spaces, blank, ROWS[1], blank]))
    assert [number for number, _cells in rows] == [3, 6]
    text = (
        csv_text([ROWS[0]]) + "\r\n,,,,\r\n" + csv_text([ROWS[1]]).split("\r\n", 1)[1]
    )  # rows 3 and 4 blank
    _header, rows = read(text.encode(), "members.csv")
    assert [number for number, _cells in rows] == [2, 5]


def test_short_and_long_rows_come_as_sixteen_cells():
    data = ",".join(HEADERS) + "\n张三,男\n" + ",".join(["x"] * 20) + "\n"
    _header, rows = read(data.encode(), "members.csv")
    assert [len(cells) for _number, cells in rows] == [16, 16]
    assert rows[0][1][:3] == ["张三", "男", None]


def test_header_cells_are_read_without_spaces():
    header, rows = read(
        xlsx(ROWS, header=[f" {h}" if i % 2 else h.replace("", "　")[1:-1] for i, h in enumerate(HEADERS)])
    )
    assert header == HEADERS and len(rows) == 2


def test_a_trailing_error_column_is_accepted_and_left_out():
    header, rows = read(xlsx([[*ROWS[0], "姓名: required."]], header=[*HEADERS, "错误"]))
    assert header == [*HEADERS, "错误"]
    assert rows[0][1] == ROWS[0]


def test_the_iterator_raises_past_max_rows():
    header, rows = read_rows(io.BytesIO(xlsx(ROWS * 3)), "m.xlsx", max_rows=6)
    assert header == HEADERS and len(list(rows)) == 6
    header, rows = read_rows(io.BytesIO(xlsx(ROWS * 3)), "m.xlsx", max_rows=5)
    assert len([next(rows) for _ in range(5)]) == 5
    with translation.override("en"), pytest.raises(FileRefused, match="more than 5 member rows"):
        next(rows)
    assert "more than 2" in refused(csv_text(ROWS * 2).encode(), "m.csv", max_rows=2)


def test_count_rows():
    assert count_rows(io.BytesIO(xlsx(ROWS * 3)), "m.xlsx") == 6
    assert count_rows(io.BytesIO(csv_text(ROWS * 2).encode()), "m.csv") == 4
    stream = io.BytesIO(xlsx([ROWS[0], [None] * 16, ROWS[1]]))
    assert count_rows(stream, "m.xlsx") == 2
    header, rows = read_rows(stream, "m.xlsx")  # the stream is read again from its start
    assert header == HEADERS and len(list(rows)) == 2


# --- refused files -------------------------------------------------------------------------------------------


def test_too_large():
    data = xlsx(ROWS)
    assert "larger than" in refused(data, max_bytes=len(data) - 1)
    assert read(data, max_bytes=len(data))[0] == HEADERS
    with translation.override("en"):
        assert refused(b"x" * (50 * 2**20 + 1), "m.csv") == "The file is larger than 50 MB."


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b",,,\n,,\n"],
)
def test_empty(data):
    assert refused(data, "m.csv") == "The file is empty."


def test_an_empty_workbook():
    assert refused(xlsx([], header=[])) == "The file is empty."


def _zip_of(name, content):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "members.xlsx"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "members.csv"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00\x01stream", "members.csv"),
        (_zip_of("word/document.xml", "<w:document/>"), "members.xlsx"),
        (b"PK\x03\x04 truncated", "members.xlsx"),
        ("<html><table><tr><td>姓名</td></tr></table></html>".encode(), "members.xls"),
        (",".join(HEADERS).encode() + b"\n", "members.xlsx"),
    ],
    ids=["png as xlsx", "png as csv", "pdf as csv", "docx", "broken zip", "html as xls", "csv named xlsx"],
)
def test_a_file_that_is_not_a_sheet(data, filename):
    assert "not a readable Excel workbook" in refused(data, filename)


def test_an_old_xls_or_a_workbook_with_a_password():
    assert ".xls" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "members.xls")


def test_undecodable_text():
    assert "not a readable" in refused(b"abc\x80\xff\x80\xff", "m.csv")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            HEADERS[:3] + [HEADERS[4], HEADERS[3]] + HEADERS[5:],
            "Column D is “出生日期” and should be “公民身份号码”.",
        ),
        (HEADERS[:-1], "Column P should be “失联日期” and is missing. Missing: 失联日期."),
        (
            [h for h in HEADERS if h != "民族"],
            "Column C is “公民身份号码” and should be “民族”. Missing: 民族.",
        ),
        (["序号", *HEADERS], "Column A is “序号” and should be “姓名”."),
        ([*HEADERS, "备注"], "Column Q “备注” is not one of these columns."),
        ([*HEADERS, "错误", "备注"], "Column R “备注” is not one of these columns."),
        (["姓名", "性别", None, "公民身份号码"], "Column C should be “民族” and is missing."),
    ],
)
def test_headers_must_be_the_sixteen_in_order(header, expected):
    message = refused(xlsx(ROWS, header=header))
    assert message.startswith(
        "The first row must hold exactly these 16 column headers, in this order: 姓名、性别、"
    )
    assert expected in message
    assert refused(csv_text(ROWS, header=[h or "" for h in header]).encode(), "m.csv") == message


def test_a_title_row_above_the_headers_is_refused():
    assert refused(xlsx(ROWS, title="党员名册")).endswith(
        "Column A is “党员名册” and should be “姓名”. Missing: 姓名、性别、民族、公民身份号码、出生日期、学历、人员类别、所在党组织代码、入党日期、转正日期、工作岗位、手机号码、现居住地、是否流动党员、是否失联、失联日期."
    )


# --- the error sheet -----------------------------------------------------------------------------------------


def test_the_error_sheet_reads_back_and_passes_once_fixed():
    bad_1 = [*ROWS[0]]
    bad_1[3] = ID_1[:17] + ("1" if ID_1[17] != "1" else "2")
    bad_1[11] = 1381234567
    bad_2 = [*ROWS[1]]
    bad_2[7] = "C1"
    bad_2[15] = "2025-02-30"
    refused_rows = []
    for number, cells in enumerate([bad_1, bad_2], start=2):
        clean, errors = check(cells)
        assert clean is None
        refused_rows.append((number, cells, errors))

    content = error_sheet(HEADERS, refused_rows)
    header, rows = read(content, "errors.xlsx")
    assert header == [*HEADERS, "错误"]
    assert [cells for _number, cells in rows] == [bad_1, bad_2]
    assert type(rows[0][1][4]) is date

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]] == [*HEADERS, "错误"]
    assert all(c.font.b for c in sheet[1])
    assert sheet["Q2"].value == "；".join(refused_rows[0][2])
    assert sheet["Q3"].value.count("；") == len(refused_rows[1][2]) - 1
    assert sheet["D2"].number_format == "@" and sheet["D2"].data_type == "s"
    assert sheet.column_dimensions["D"].width >= 20 and sheet.column_dimensions["Q"].width >= 40

    fixed_1, fixed_2 = rows[0][1], rows[1][1]
    fixed_1[3], fixed_1[11] = ID_1, "13812345678"
    fixed_2[7], fixed_2[15] = "B2", "2025-02-28"
    assert check(fixed_1)[1] == [] and check(fixed_2)[1] == []


def test_the_error_sheet_survives_being_fixed_and_saved_in_excel():
    """Fix the rows in the workbook itself (as a user would), drop nothing, save, upload again."""
    bad = [*ROWS[1]]
    bad[0] = ""
    content = error_sheet(HEADERS, [(3, bad, check(bad)[1])])
    workbook = load_workbook(io.BytesIO(content))
    workbook.worksheets[0]["A2"] = "李娜"
    out = io.BytesIO()
    workbook.save(out)
    _header, rows = read(out.getvalue())
    assert check(rows[0][1])[1] == []


def test_the_error_sheet_keeps_text_that_looks_like_a_formula_as_text():
    row = [*ROWS[0]]
    row[10] = "=1+1"
    row[12] = "bad\x01char"
    content = error_sheet(HEADERS, [(2, row, ["工作岗位: x"])])
    _header, rows = read(content)
    assert rows[0][1][10] == "=1+1" and rows[0][1][12] == "badchar"


def test_the_error_sheet_writes_numbers_and_csv_text_as_given():
    text_row = [str(c) if c is not None else "" for c in ROWS[0]]
    number_row = [*ROWS[0]]
    number_row[3] = 1.10105198002291e17
    number_row[7] = 10203
    content = error_sheet(HEADERS, [(2, text_row, ["a"]), (3, number_row, ["b"])])
    _header, rows = read(content)
    assert rows[0][1][:4] == ["王芳", "男", "汉族", ID_1]
    assert rows[0][1][4] == "1980-02-29"
    assert rows[1][1][3] == 1.10105198002291e17 and rows[1][1][7] == 10203


def test_the_blank_template():
    content = error_sheet(HEADERS, [], errors_column=False)
    header, rows = read(content)
    assert header == HEADERS and list(rows) == []
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.column_dimensions["D"].number_format == "@"


def test_count_rows_of_a_large_workbook_is_an_estimate_without_reading_cells(monkeypatch):
    from luoshi.members import tabular

    monkeypatch.setattr(tabular, "_EXACT_COUNT_BELOW", 0)
    assert count_rows(io.BytesIO(xlsx(ROWS * 3)), "m.xlsx") == 6  # the recorded dimension
    workbook = Workbook(write_only=True)  # records no dimension: the <row> elements are counted
    sheet = workbook.create_sheet()
    for row in [HEADERS, *ROWS * 1000]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    assert load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets[0].max_row is None
    assert count_rows(out, "m.xlsx") == 2000
    header, rows = read_rows(out, "m.xlsx")
    assert len(list(rows)) == 2000
