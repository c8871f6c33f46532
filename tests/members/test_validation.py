"""The member-sheet row checker and the national-ID rules it relies on, as properties over generated data."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.members.validation import (
    EDUCATION,
    ETHNICITIES,
    HEADERS,
    OrgRef,
    add_years,
    check_row,
    parse_date,
    yes_no,
)
from luoshi.orgs.idcard import birth_date_of, check_digit, national_id_errors
from tests.members.strategies import id_with, national_ids, sex_of, valid_rows

TODAY = date(2025, 6, 15)
ORGS = {
    "B1": OrgRef(11, True),
    "B2": OrgRef(12, True),
    "10203": OrgRef(13, True),
    "C1": OrgRef(2, False),
}
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COL = {name: i for i, name in enumerate(HEADERS)}


def column_of(message: str) -> str:
    """The column a message names: "公民身份号码: …" in English, "公民身份号码：…" in Chinese."""
    return re.split(r": |：", message, maxsplit=1)[0]


def check(cells, today=TODAY):
    return check_row(cells, organizations=ORGS, today=today)


def columns_of(errors):
    return {column_of(message) for message in errors}


# --- national IDs ------------------------------------------------------------------------------------------


@PROPERTY
@given(national_ids())
def test_every_generated_id_is_valid(national_id):
    assert national_id_errors(national_id) == []
    assert 1 <= int(national_id[0]) <= 8
    assert date(1920, 1, 1) <= birth_date_of(national_id) <= date(2008, 12, 31)


@PROPERTY
@given(st.sampled_from("MF").flatmap(lambda sex: st.tuples(st.just(sex), national_ids(sex=sex))))
def test_generated_ids_have_the_sequence_parity_of_the_sex(sex_and_id):
    sex, national_id = sex_and_id
    assert sex_of(national_id) == sex


@PROPERTY
@given(national_ids(), st.integers(0, 17), st.data())
def test_one_character_changed_is_caught(national_id, position, data):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != national_id[position]]))
    broken = national_id[:position] + new + national_id[position + 1 :]
    assert national_id_errors(broken)


@PROPERTY
@given(national_ids(), st.integers(0, 16))
def test_two_adjacent_different_characters_swapped_are_caught(national_id, position):
    a, b = national_id[position], national_id[position + 1]
    if a == b:
        # Find the next adjacent pair that differs (an ID is never one repeated character).
        pairs = [i for i in range(17) if national_id[i] != national_id[i + 1]]
        position = pairs[position % len(pairs)]
        a, b = national_id[position], national_id[position + 1]
    broken = national_id[:position] + b + a + national_id[position + 2 :]
    assert broken != national_id
    assert national_id_errors(broken)


@PROPERTY
@given(
    national_ids(),
    st.integers(-17, 5).filter(lambda n: n != 0),
    st.text("0123456789X", min_size=5, max_size=5),
)
def test_a_wrong_length_is_caught(national_id, change, filler):
    broken = national_id[:change] if change < 0 else national_id + filler[:change]
    assert len(broken) != 18
    with translation.override("en"):
        assert national_id_errors(broken) == ["A national ID has 18 characters: 17 digits and a digit or X."]


@PROPERTY
@given(national_ids(), st.integers(0, 17), st.characters(min_codepoint=ord("A"), max_codepoint=ord("Z")))
def test_a_letter_inside_is_caught(national_id, position, letter):
    if position == 17 and letter == "X":
        letter = "Y"
    broken = national_id[:position] + letter + national_id[position + 1 :]
    assert national_id_errors(broken)


@PROPERTY
@given(
    st.integers(1, 8),
    st.integers(1920, 2008),
    st.sampled_from(
        [(13, 1), (0, 10), (2, 30), (2, 31), (4, 31), (6, 31), (1, 32), (12, 0), (9, 31), (11, 31)]
    ),
    st.integers(0, 999),
)
def test_an_impossible_birth_date_is_caught(area, year, month_day, sequence):
    month, day = month_day
    national_id = id_with(f"{area}10105{year:04d}{month:02d}{day:02d}{sequence:03d}")
    with translation.override("en"):
        assert national_id_errors(national_id) == ["The birth date in the national ID is not a real date."]


@PROPERTY
@given(national_ids(), st.dates(date.today() + timedelta(days=1), date(2999, 12, 31)))
def test_a_birth_date_in_the_future_is_caught(national_id, born):
    broken = id_with(f"{national_id[:6]}{born:%Y%m%d}{national_id[14:17]}")
    with translation.override("en"):
        assert national_id_errors(broken) == ["The birth date in the national ID is out of range."]


@PROPERTY
@given(national_ids())
def test_a_29_february_id_is_valid_only_in_a_leap_year(national_id):
    leap = id_with(f"{national_id[:6]}20000229{national_id[14:17]}")
    common = id_with(f"{national_id[:6]}19000229{national_id[14:17]}")
    assert national_id_errors(leap) == [] and national_id_errors(common)


# --- valid rows ----------------------------------------------------------------------------------------------


@PROPERTY
@given(valid_rows(ORGS, TODAY))
def test_every_generated_row_passes_with_the_clean_values_of_its_cells(row):
    clean, errors = check(row)
    assert errors == []
    assert clean == row.expected


@PROPERTY
@given(valid_rows(ORGS, TODAY), st.lists(st.sampled_from(["x", None, 1, date(2020, 1, 1)]), max_size=5))
def test_cells_past_the_sixteenth_are_ignored(row, extra):
    clean, errors = check([*row, *extra])
    assert errors == [] and clean == row.expected


def test_a_short_row_is_padded_with_empty_cells():
    clean, errors = check(["张三"])
    assert clean is None
    assert columns_of(errors) == {
        "性别",
        "民族",
        "公民身份号码",
        "出生日期",
        "人员类别",
        "所在党组织代码",
        "入党日期",
    }


def test_the_lists_are_complete():
    assert len(ETHNICITIES) == len(set(ETHNICITIES)) == 56
    assert all(name.endswith("族") for name in ETHNICITIES) and "穿青人" not in ETHNICITIES
    assert EDUCATION == ["研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下"]


# --- each rule, broken alone ---------------------------------------------------------------------------------


def _set(column, value):
    def breaker(row, data):
        row[COL[column]] = value

    return breaker


def _id_birth(row):
    return birth_date_of(row.expected["national_id"])


def _other_sex(row, data):
    row[COL["性别"]] = "女" if row.expected["sex"] == "M" else "男"


def _id_as_number(row, data):
    row[COL["公民身份号码"]] = data.draw(
        st.sampled_from([float(row.expected["national_id"][:17] + "0"), 11010519491231002])
    )


def _id_check_digit(row, data):
    national_id = row.expected["national_id"]
    row[COL["公民身份号码"]] = national_id[:17] + data.draw(
        st.sampled_from([c for c in "0123456789X" if c != national_id[17]])
    )


def _birth_not_the_ids(row, data):
    row[COL["出生日期"]] = _id_birth(row) + timedelta(days=data.draw(st.sampled_from([-1, 1, 365])))


def _joined_under_18(row, data):
    row[COL["入党日期"]] = add_years(_id_birth(row), 18) - timedelta(days=data.draw(st.integers(1, 400)))


def _full_without_date(row, data):
    row[COL["人员类别"]] = "正式党员"
    row[COL["转正日期"]] = data.draw(st.sampled_from([None, "", " "]))


def _full_too_early(row, data):
    row[COL["人员类别"]] = "正式党员"
    earliest = add_years(row.expected["joined_on"], 1)
    row[COL["转正日期"]] = min(earliest - timedelta(days=data.draw(st.integers(1, 400))), TODAY)


def _full_in_future(row, data):
    row[COL["人员类别"]] = "正式党员"
    row[COL["转正日期"]] = TODAY + timedelta(days=data.draw(st.integers(1, 400)))


def _probationary_with_full_date(row, data):
    row[COL["人员类别"]] = "预备党员"
    row[COL["转正日期"]] = row.expected["joined_on"].isoformat()


def _lost_without_date(row, data):
    row[COL["是否失联"]] = "是"
    row[COL["失联日期"]] = None


def _not_lost_with_date(row, data):
    row[COL["是否失联"]] = data.draw(st.sampled_from(["否", None, "N"]))
    row[COL["失联日期"]] = "2024-01-01"


def _lost_in_future(row, data):
    row[COL["是否失联"]] = "是"
    row[COL["失联日期"]] = TODAY + timedelta(days=1)


RULES = [
    ("name missing", "姓名", _set("姓名", "   ")),
    ("name too long", "姓名", _set("姓名", "张" * 61)),
    ("sex missing", "性别", _set("性别", None)),
    ("sex not 男/女", "性别", _set("性别", "M")),
    ("sex against the ID", "性别", _other_sex),
    ("ethnicity missing", "民族", _set("民族", "")),
    ("ethnicity unknown", "民族", _set("民族", "火星族")),
    ("穿青人 is not an ethnic group", "民族", _set("民族", "穿青人")),
    ("ID missing", "公民身份号码", _set("公民身份号码", None)),
    ("ID as a number", "公民身份号码", _id_as_number),
    ("ID check digit", "公民身份号码", _id_check_digit),
    ("ID too short", "公民身份号码", _set("公民身份号码", "11010519491231002")),
    ("ID with a letter", "公民身份号码", _set("公民身份号码", "1101051949123A002X")),
    ("ID birth date impossible", "公民身份号码", _set("公民身份号码", id_with("11010519490230002"))),
    ("birth date missing", "出生日期", _set("出生日期", None)),
    ("birth date not a date", "出生日期", _set("出生日期", "去年")),
    ("birth date impossible", "出生日期", _set("出生日期", "1980-02-30")),
    ("birth date not the ID's", "出生日期", _birth_not_the_ids),
    ("education unknown", "学历", _set("学历", "文盲")),
    ("category missing", "人员类别", _set("人员类别", None)),
    ("category unknown", "人员类别", _set("人员类别", "党员")),
    ("organization missing", "所在党组织代码", _set("所在党组织代码", " ")),
    ("organization out of scope", "所在党组织代码", _set("所在党组织代码", "X9")),
    ("organization holds no members", "所在党组织代码", _set("所在党组织代码", "C1")),
    ("joined missing", "入党日期", _set("入党日期", None)),
    ("joined not a date", "入党日期", _set("入党日期", "2020-13-01")),
    ("joined after today", "入党日期", _set("入党日期", TODAY + timedelta(days=1))),
    ("joined before 18", "入党日期", _joined_under_18),
    ("full without date", "转正日期", _full_without_date),
    ("full within a year", "转正日期", _full_too_early),
    ("full after today", "转正日期", _full_in_future),
    ("probationary with a full date", "转正日期", _probationary_with_full_date),
    ("full date not a date", "转正日期", _set("转正日期", "明年")),
    ("post too long", "工作岗位", _set("工作岗位", "岗" * 101)),
    ("phone too short", "手机号码", _set("手机号码", "1381234567")),
    ("phone too long", "手机号码", _set("手机号码", 138123456789)),
    ("phone not starting with 1", "手机号码", _set("手机号码", "238-1234-5678")),
    ("phone with letters", "手机号码", _set("手机号码", "138l2345678")),
    ("residence too long", "现居住地", _set("现居住地", "住" * 201)),
    ("mobile not yes/no", "是否流动党员", _set("是否流动党员", "可能")),
    ("mobile a number", "是否流动党员", _set("是否流动党员", 2)),
    ("lost contact not yes/no", "是否失联", _set("是否失联", "不详")),
    ("lost contact without a date", "失联日期", _lost_without_date),
    ("not lost with a date", "失联日期", _not_lost_with_date),
    ("lost contact after today", "失联日期", _lost_in_future),
    ("lost contact date not a date", "失联日期", _set("失联日期", "2024-02-30")),
]


@pytest.mark.parametrize(("column", "breaker"), [rule[1:] for rule in RULES], ids=[rule[0] for rule in RULES])
@FEW
@given(row=valid_rows(ORGS, TODAY), data=st.data())
def test_each_rule_broken_alone_is_refused_in_its_column(column, breaker, row, data):
    breaker(row, data)
    clean, errors = check(row)
    assert clean is None
    assert columns_of(errors) == {column}, errors


# Rules that touch only their own column and do not change what the others are checked against.
INDEPENDENT = [
    rule
    for rule in RULES
    if rule[1]
    not in ("性别", "出生日期", "公民身份号码", "人员类别", "入党日期", "转正日期", "是否失联", "失联日期")
] + [
    rule
    for rule in RULES
    if rule[0] in ("ID check digit", "birth date not a date", "lost contact without a date")
]


@PROPERTY
@given(
    row=valid_rows(ORGS, TODAY),
    rules=st.lists(st.sampled_from(INDEPENDENT), min_size=2, max_size=8, unique_by=lambda rule: rule[1]),
    data=st.data(),
)
def test_every_problem_of_a_row_is_reported_together(row, rules, data):
    for _name, _column, breaker in rules:
        breaker(row, data)
    clean, errors = check(row)
    assert clean is None
    assert columns_of(errors) == {column for _name, column, _breaker in rules}
    order = [COL[column_of(message)] for message in errors]
    assert order == sorted(order)  # in the order of the columns


def test_every_message_names_its_column_in_english_too():
    row = [
        "",
        "x",
        "火星",
        110105194912310020,
        "昨天",
        "文盲",
        "党员",
        "C1",
        None,
        None,
        "",
        "123",
        "",
        "可能",
        "是",
        None,
    ]
    with translation.override("en"):
        clean, errors = check(row)
    assert clean is None
    assert errors == [
        "姓名: required.",
        "性别: write 男 or 女.",
        "民族: not one of the 56 ethnic groups (write it as, e.g., 汉族).",
        "公民身份号码: the cell is a number; Excel keeps only 15 digits of a number. "
        "Format the column as text and type the ID again.",
        "出生日期: not a date (write it as 2020-01-05).",
        "学历: write one of 研究生、大学本科、大学专科、中等专科、高中、初中及以下.",
        "人员类别: write 正式党员 or 预备党员.",
        "所在党组织代码: this organization does not hold members (choose its branch).",
        "入党日期: required.",
        "手机号码: a mobile number has 11 digits and starts with 1.",
        "是否流动党员: write 是 or 否.",
        "失联日期: required when 是否失联 is 是.",
    ]


def test_the_id_messages_of_national_id_errors_are_kept():
    first17 = "11010519490230001"
    wrong = "1" if check_digit(first17) != "1" else "2"
    row = ["张三", "男", "汉族", first17 + wrong, "1949-02-28"] + [None] * 11
    with translation.override("en"):
        _clean, errors = check(row)
    assert "公民身份号码: The birth date in the national ID is not a real date." in errors
    assert "公民身份号码: The check digit of the national ID is wrong." in errors


# --- particular cases ----------------------------------------------------------------------------------------


def _row(**changes):
    national_id = id_with("11010519800229001")
    cells = {
        "姓名": "王芳",
        "性别": "男",
        "民族": "汉族",
        "公民身份号码": national_id,
        "出生日期": "1980-02-29",
        "学历": "本科",
        "人员类别": "正式党员",
        "所在党组织代码": "B1",
        "入党日期": "2000-02-29",
        "转正日期": "2001-02-28",
        "工作岗位": "",
        "手机号码": None,
        "现居住地": None,
        "是否流动党员": None,
        "是否失联": None,
        "失联日期": None,
    }
    cells.update(changes)
    return [cells[h] for h in HEADERS]


def test_29_february_rolls_to_28_february():
    assert add_years(date(2000, 2, 29), 1) == date(2001, 2, 28)
    assert add_years(date(2000, 2, 29), 4) == date(2004, 2, 29)
    clean, errors = check(_row())
    assert errors == [] and clean["full_on"] == date(2001, 2, 28) and clean["joined_on"] == date(2000, 2, 29)
    _clean, errors = check(_row(转正日期="2001-02-27"))
    assert columns_of(errors) == {"转正日期"}


def test_eighteenth_birthday_is_the_first_day_one_may_join():
    assert check(_row(入党日期="1998-02-28", 转正日期="1999-02-28"))[1] == []
    assert columns_of(check(_row(入党日期="1998-02-27", 转正日期="1999-02-28"))[1]) == {"入党日期"}


def test_the_age_rule_uses_the_birth_date_cell_when_the_id_is_unusable():
    _clean, errors = check(_row(公民身份号码="", 入党日期="1990-01-01", 转正日期="1991-01-01"))
    assert columns_of(errors) == {"公民身份号码", "入党日期"}


def test_the_same_day_is_the_last_day_in_the_past():
    assert check(_row(入党日期=TODAY.replace(year=TODAY.year - 1), 转正日期=TODAY))[1] == []
    assert check(_row(人员类别="预备党员", 入党日期=TODAY, 转正日期=None))[1] == []


def test_id_spaces_and_lowercase_x():
    national_id = id_with("11010519800229001")
    variants = [national_id, national_id.lower(), " ".join(national_id), f"\u3000{national_id}"]
    for variant in variants:
        clean, errors = check(_row(公民身份号码=variant))
        assert errors == [] and clean["national_id"] == national_id


def test_full_width_digits_are_read_as_digits():
    national_id = id_with("11010519800229001")
    full_width = national_id.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    clean, errors = check(_row(公民身份号码=full_width, 手机号码="１３８１２３４５６７８"))
    assert errors == [] and clean["national_id"] == national_id and clean["phone"] == "13812345678"


def test_odd_digits_in_an_id_are_refused_without_crashing():
    clean, errors = check(_row(公民身份号码="1101051980022900²X"))
    assert clean is None and columns_of(errors) == {"公民身份号码"}


@pytest.mark.parametrize(
    ("cell", "code"),
    [("B1", "B1"), (" B2 ", "B2"), (10203, "10203"), (10203.0, "10203"), ("10203", "10203")],
)
def test_organization_codes_from_numbers(cell, code):
    clean, errors = check(_row(所在党组织代码=cell))
    assert errors == [] and clean["organization_id"] == ORGS[code].id


@pytest.mark.parametrize(
    ("cell", "normalized"),
    [
        ("博士", "研究生"),
        ("硕士研究生", "研究生"),
        ("本科", "大学本科"),
        ("大专", "大学专科"),
        ("专科", "大学专科"),
        ("中专", "中等专科"),
        ("高中", "高中"),
        ("小学", "初中及以下"),
        ("小学及以下", "初中及以下"),
        ("初中", "初中及以下"),
        (None, ""),
        ("  ", ""),
    ],
)
def test_education_aliases(cell, normalized):
    clean, errors = check(_row(学历=cell))
    assert errors == [] and clean["education"] == normalized


@pytest.mark.parametrize("name", ETHNICITIES)
def test_every_ethnicity_with_and_without_the_last_character(name):
    for cell in (name, name[:-1], f" {name} "):
        clean, errors = check(_row(民族=cell))
        assert errors == [] and clean["ethnicity"] == name


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        (1.0, True),
        (True, True),
        (False, False),
        ("TRUE", True),
        ("False", False),
        (None, False),
        ("", False),
        ("可能", None),
        (2, None),
        (date(2020, 1, 1), None),
    ],
)
def test_yes_no(cell, value):
    assert yes_no(cell) is value


def test_name_keeps_inner_spaces_and_loses_outer_ones():
    clean, _errors = check(_row(姓名="  阿依古丽 买买提 "))
    assert clean["name"] == "阿依古丽 买买提"
    assert check(_row(姓名="张" * 60))[1] == []


def test_phone_forms():
    for cell in (13812345678, 13812345678.0, "138 1234 5678", "138-1234-5678", " 13812345678 "):
        clean, errors = check(_row(手机号码=cell))
        assert errors == [] and clean["phone"] == "13812345678"


# --- dates ---------------------------------------------------------------------------------------------------


@PROPERTY
@given(st.dates(date(1, 1, 1), date(9999, 12, 31)))
def test_parse_date_reads_every_string_form(day):
    for text in (
        day.isoformat() if day.year >= 1000 else None,
        f"{day.year:04d}-{day.month}-{day.day}",
        f"{day.year:04d}/{day.month}/{day.day}",
        f"{day.year:04d}.{day.month:02d}.{day.day}",
        f"{day.year:04d}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}" if day.year >= 1000 else None,
        f"  {day.year:04d}-{day.month:02d}-{day.day:02d}\t",
    ):
        if text is not None:
            assert parse_date(text) == day, text
    assert parse_date(day) == day
    assert parse_date(datetime(day.year, day.month, day.day, 23, 59)) == day


@PROPERTY
@given(st.dates(date(1900, 3, 1), date(9999, 12, 31)), st.floats(0, 0.999))
def test_parse_date_reads_excel_serials_after_the_1900_bug(day, fraction):
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(serial + fraction) == day


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (2, date(1900, 1, 2)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (61.5, date(1900, 3, 1)),
        (43831, date(2020, 1, 1)),
        (45658, date(2025, 1, 1)),
        (2958465, date(9999, 12, 31)),
    ],
)
def test_excel_serials(serial, expected):
    assert parse_date(serial) == expected


@pytest.mark.parametrize(
    "value", [60, 60.0, 60.5, 0, 0.5, -1, 2958466, float("nan"), float("inf"), True, False]
)
def test_impossible_excel_serials_are_refused(value):
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize("value", [None, "", "   ", "\t"])
def test_empty_is_no_date(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "2020-02-30",
        "2021-02-29",
        "2020-13-01",
        "2020-00-10",
        "2020-1-0",
        "20201301",
        "2020013",
        "202001050",
        "2020/1-5",
        "2020-01-05T00:00",
        "2020-01-05 10:00",
        "1/5/2020",
        "05/01/2020",
        "2020年1月",
        "2020年13月1日",
        "2020-1",
        "二〇二〇年一月五日",
        "昨天",
        "abc",
        "43831",
        [2020, 1, 5],
        object(),
    ],
)
def test_parse_date_refuses(value):
    with pytest.raises(ValueError):
        parse_date(value)
