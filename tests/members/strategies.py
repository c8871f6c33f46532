"""Hypothesis strategies for the member sheet: valid national IDs and valid rows in the many shapes a sheet
gives them (str or date cells, every accepted date format, aliases, numbers where Excel makes numbers)."""

from datetime import date, datetime

from hypothesis import strategies as st

from luoshi.members.validation import EDUCATION, ETHNICITIES, OrgRef, add_years
from luoshi.orgs.idcard import check_digit

FIRST_BIRTH = date(1920, 1, 1)
LAST_BIRTH = date(2008, 12, 31)
EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 is 1900-03-01; every generated date is later than that

EDUCATION_ALIASES = {
    "研究生": ["研究生", "博士", "硕士", "博士研究生", "硕士研究生"],
    "大学本科": ["大学本科", "本科"],
    "大学专科": ["大学专科", "大专", "专科"],
    "中等专科": ["中等专科", "中专"],
    "高中": ["高中"],
    "初中及以下": ["初中及以下", "初中", "小学", "小学及以下"],
}
assert set(EDUCATION_ALIASES) == set(EDUCATION)

NAME_CHARS = "张王李赵刘陈杨黄周吴伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英欧阳司马古丽买提·"
TEXT_CHARS = NAME_CHARS + "街道社区路号栋单元室公司教师工程师退休务农0123456789-（）"


def id_with(first17: str) -> str:
    return first17 + check_digit(first17)


@st.composite
def national_ids(draw, sex=None, birth_dates=None):
    """A valid 18-character ID: area (first digit 1-8), birth date, sequence (odd for "M"), check digit."""
    area = draw(st.integers(1, 8).map(str)) + draw(st.text("0123456789", min_size=5, max_size=5))
    birth = draw(birth_dates if birth_dates is not None else st.dates(FIRST_BIRTH, LAST_BIRTH))
    sex = sex or draw(st.sampled_from("MF"))
    sequence = draw(st.integers(0, 499)) * 2 + (1 if sex == "M" else 0)
    return id_with(f"{area}{birth:%Y%m%d}{sequence:03d}")


def sex_of(national_id: str) -> str:
    return "M" if int(national_id[16]) % 2 else "F"


def date_cells(day: date):
    """The cell forms of a date: a date, a datetime, an Excel serial (int or float) or one of the strings."""
    serial = (day - EXCEL_EPOCH).days
    return st.sampled_from(
        [
            day,
            datetime(day.year, day.month, day.day),
            datetime(day.year, day.month, day.day, 13, 30),
            serial,
            float(serial),
            serial + 0.25,
            day.isoformat(),
            f"{day.year}-{day.month}-{day.day}",
            f"{day.year}/{day.month}/{day.day}",
            f"{day.year}.{day.month}.{day.day}",
            f"{day.year}/{day.month:02d}/{day.day:02d}",
            f"{day.year}年{day.month}月{day.day}日",
            f"{day:%Y%m%d}",
            f"  {day.isoformat()} ",
        ]
    )


def _padded(text: str):
    return st.sampled_from([text, f" {text}", f"{text}  ", f"\t{text} "])


def yes_no_cells(value: bool):
    if value:
        return st.sampled_from(["是", "Y", "y", "1", "TRUE", "true", True, 1, " 是 "])
    return st.sampled_from(["否", "N", "n", "0", "FALSE", "false", False, 0, "", None, "  "])


def empty_cells():
    return st.sampled_from([None, "", "  "])


class Row(list):
    """16 cells, and ``expected``: what check_row should return for them."""

    expected: dict


def org_codes(organizations):
    return sorted(code for code, org in organizations.items() if org.holds_members)


@st.composite
def valid_rows(draw, organizations: dict[str, OrgRef], today: date):
    """A valid row of the sheet (a ``Row``: a list of 16 cells that also carries the expected clean values)."""
    category = draw(st.sampled_from(["full", "probationary"]))
    sex = draw(st.sampled_from("MF"))
    last_birth = min(LAST_BIRTH, add_years(today, -19))
    national_id = draw(national_ids(sex=sex, birth_dates=st.dates(FIRST_BIRTH, last_birth)))
    birth = date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))

    adult = add_years(birth, 18)
    if category == "full":
        joined = draw(st.dates(adult, add_years(today, -1)))
        full_on = draw(st.dates(add_years(joined, 1), today))
    else:
        joined = draw(st.dates(adult, today))
        full_on = None
    lost_contact = draw(st.booleans())
    lost_since = draw(st.dates(joined, today)) if lost_contact else None

    name = draw(st.text(NAME_CHARS, min_size=1, max_size=60))
    ethnicity = draw(st.sampled_from(ETHNICITIES))
    education = draw(st.sampled_from(["", *EDUCATION]))
    code = draw(st.sampled_from(org_codes(organizations)))
    post = draw(st.text(TEXT_CHARS, max_size=100)).strip()
    residence = draw(st.text(TEXT_CHARS, max_size=200)).strip()
    phone = draw(
        st.one_of(st.just(""), st.text("0123456789", min_size=10, max_size=10).map(lambda s: "1" + s))
    )
    mobile = draw(st.booleans())

    id_cell = draw(st.sampled_from([national_id, national_id.lower(), f" {national_id} "]))
    if national_id[-1] == "X":
        id_cell = draw(st.sampled_from([id_cell, national_id[:-1] + "x"]))
    code_cells = [code, f" {code} "]
    if code.isdigit() and not code.startswith("0"):
        code_cells += [int(code), float(code)]
    if phone:
        phone_cells = [
            phone,
            int(phone),
            f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
            f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        ]
    else:
        phone_cells = [None, "", " "]
    sex_cells = {"M": ["男", "男性", " 男 "], "F": ["女", "女性", "女 "]}[sex]

    row = Row(
        [
            draw(_padded(name)),
            draw(st.sampled_from(sex_cells)),
            draw(st.sampled_from([ethnicity, ethnicity[:-1], f" {ethnicity}"])),
            id_cell,
            draw(date_cells(birth)),
            draw(st.sampled_from(EDUCATION_ALIASES[education])) if education else draw(empty_cells()),
            draw(_padded("正式党员" if category == "full" else "预备党员")),
            draw(st.sampled_from(code_cells)),
            draw(date_cells(joined)),
            draw(date_cells(full_on)) if full_on else draw(empty_cells()),
            draw(_padded(post)) if post else draw(empty_cells()),
            draw(st.sampled_from(phone_cells)),
            draw(_padded(residence)) if residence else draw(empty_cells()),
            draw(yes_no_cells(mobile)),
            draw(yes_no_cells(lost_contact)),
            draw(date_cells(lost_since)) if lost_since else draw(empty_cells()),
        ]
    )
    row.expected = {
        "name": name.strip(),
        "sex": sex,
        "ethnicity": ethnicity,
        "national_id": national_id,
        "birth_date": birth,
        "education": education,
        "category": category,
        "organization_id": organizations[code].id,
        "joined_on": joined,
        "full_on": full_on,
        "post": post,
        "phone": phone,
        "residence": residence,
        "mobile": mobile,
        "lost_contact": lost_contact,
        "lost_contact_since": lost_since,
    }
    return row
