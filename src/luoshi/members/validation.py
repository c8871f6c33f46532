"""One row of the member sheet (党员名册导入表), checked: pure functions, no database.

``check_row`` takes the 16 raw cells of a row as read from Excel (str, int, float, date/datetime, bool, None) or
CSV (str) and returns either the clean values or every problem of the row, each message starting with the
column's header as the user sees it in the sheet. It runs on files of 100,000 rows, so it does no database access
(the caller passes the organizations in scope as a mapping) and keeps the happy path free of gettext calls.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from luoshi.orgs.idcard import birth_date_of, national_id_errors

HEADERS = [
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生日期",
    "学历",
    "人员类别",
    "所在党组织代码",
    "入党日期",
    "转正日期",
    "工作岗位",
    "手机号码",
    "现居住地",
    "是否流动党员",
    "是否失联",
    "失联日期",
]
(
    NAME,
    SEX,
    ETHNICITY,
    NATIONAL_ID,
    BIRTH_DATE,
    EDUCATION_COL,
    CATEGORY,
    ORGANIZATION,
    JOINED_ON,
    FULL_ON,
    POST,
    PHONE,
    RESIDENCE,
    MOBILE,
    LOST_CONTACT,
    LOST_CONTACT_SINCE,
) = range(16)

NAME_MAX = 60
POST_MAX = 100
RESIDENCE_MAX = 200

# The 56 ethnic groups, in the order of GB/T 3304.
ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
_ETHNICITY = {name: name for name in ETHNICITIES} | {name[:-1]: name for name in ETHNICITIES}

EDUCATION = ["研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下"]
_EDUCATION = {name: name for name in EDUCATION} | {
    "博士": "研究生",
    "硕士": "研究生",
    "博士研究生": "研究生",
    "硕士研究生": "研究生",
    "本科": "大学本科",
    "大专": "大学专科",
    "专科": "大学专科",
    "中专": "中等专科",
    "初中": "初中及以下",
    "小学": "初中及以下",
    "小学及以下": "初中及以下",
}

_SEX = {"男": "M", "男性": "M", "女": "F", "女性": "F"}
_CATEGORY = {"正式党员": "full", "预备党员": "probationary"}

# Keys are lower-cased; bool and numeric cells are handled in ``yes_no``.
YES_NO = {"是": True, "否": False, "y": True, "n": False, "1": True, "0": False, "true": True, "false": False}

EXCEL_SERIAL_MAX = 2958465  # 9999-12-31
_MIDNIGHT = time()

_DATE_RE = re.compile(r"(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日|(\d{2})(\d{2}))")
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_PHONE_RE = re.compile(r"1[0-9]{10}")
_PHONE_JUNK = str.maketrans("", "", " -\u3000\t")
# Full-width digits and Ｘ/ｘ, as a Chinese input method types them.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


@dataclass(frozen=True)
class OrgRef:
    """What the checker needs to know of an organization code."""

    id: int
    holds_members: bool


def parse_date(value) -> date | None:
    """A cell as a date: date/datetime, an Excel serial number or a string in one of the usual Chinese forms.

    None and blank strings are None; anything else raises ValueError."""
    kind = type(value)
    if kind is date:
        return value
    if value is None:
        return None
    if kind is str:
        text = value.strip()
        if not text:
            return None
        match = _DATE_RE.fullmatch(text)
        if match is None:
            raise ValueError(f"not a date: {value!r}")
        y, _sep, m1, d1, m2, d2, m3, d3 = match.groups()
        return date(int(y), int(m1 or m2 or m3), int(d1 or d2 or d3))  # ValueError for 2020-02-30
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if kind is bool or not isinstance(value, int | float):
        raise ValueError(f"not a date: {value!r}")
    if not 1 <= value <= EXCEL_SERIAL_MAX:  # also refuses NaN
        raise ValueError(f"not an Excel date serial: {value!r}")
    if int(value) == 60:  # 1900-02-29, which Excel counts but never was
        raise ValueError("Excel serial 60 is 1900-02-29, which does not exist")
    try:
        return from_excel(value).date()
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not an Excel date serial: {value!r}") from exc


def yes_no(value) -> bool | None:
    """是/否 and its spellings as a bool; blank is False; None for anything else."""
    if value is None:
        return False
    if type(value) is bool:
        return value
    if type(value) is str:
        text = value.strip()
        return YES_NO.get(text.lower()) if text else False
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def add_years(day: date, years: int) -> date:
    """The same month and day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _text(value) -> str:
    """A cell as stripped text; integral numbers without the ".0" Excel gives them."""
    kind = type(value)
    if kind is str:
        return value.strip()
    if value is None:
        return ""
    if kind is float and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == _MIDNIGHT else value.isoformat(sep=" ")
    return str(value).strip()


def _first(pair):
    return pair[0]


def _msg(message: str, column: int, **params) -> tuple[int, str]:
    return column, message % {"column": HEADERS[column], **params}


def check_row(
    cells: Sequence, *, organizations: Mapping[str, OrgRef], today: date
) -> tuple[dict | None, list[str]]:
    """``(clean, [])`` for a valid row, ``(None, errors)`` with every problem of the row otherwise."""
    if len(cells) != 16:
        cells = (list(cells) + [None] * 16)[:16]
    (
        c_name,
        c_sex,
        c_ethnicity,
        c_id,
        c_birth,
        c_education,
        c_category,
        c_org,
        c_joined,
        c_full,
        c_post,
        c_phone,
        c_residence,
        c_mobile,
        c_lost,
        c_lost_since,
    ) = cells
    errors = []

    name = _text(c_name)
    if not name:
        errors.append(_msg(_("%(column)s: required."), NAME))
    elif len(name) > NAME_MAX:
        errors.append(_msg(_("%(column)s: at most %(max)d characters."), NAME, max=NAME_MAX))

    sex = _SEX.get(_text(c_sex))
    if sex is None:
        if not _text(c_sex):
            errors.append(_msg(_("%(column)s: required."), SEX))
        else:
            errors.append(_msg(_("%(column)s: write 男 or 女."), SEX))

    ethnicity_text = _text(c_ethnicity)
    ethnicity = _ETHNICITY.get(ethnicity_text)
    if ethnicity is None:
        if not ethnicity_text:
            errors.append(_msg(_("%(column)s: required."), ETHNICITY))
        else:
            errors.append(
                _msg(_("%(column)s: not one of the 56 ethnic groups (write it as, e.g., 汉族)."), ETHNICITY)
            )

    # National ID. ``id_birth`` is set only when the ID is valid as a whole.
    national_id = ""
    id_birth = None
    if type(c_id) is not str and isinstance(c_id, int | float) and not isinstance(c_id, bool):
        errors.append(
            _msg(
                _(
                    "%(column)s: the cell is a number; Excel keeps only 15 digits of a number. "
                    "Format the column as text and type the ID again."
                ),
                NATIONAL_ID,
            )
        )
    else:
        national_id = "".join(_text(c_id).split()).upper()
        if not national_id.isascii():
            national_id = national_id.translate(_FULL_WIDTH)
        if not national_id:
            errors.append(_msg(_("%(column)s: required."), NATIONAL_ID))
        else:
            # national_id_errors relies on str.isdigit, which also holds for non-ASCII digits; an ID that is not
            # 17 ASCII digits and a digit or X gets its "18 characters" message from an empty string.
            problems = national_id_errors(national_id if _ID_RE.fullmatch(national_id) else "")
            if problems:
                for problem in problems:
                    errors.append(_msg(_("%(column)s: %(problem)s"), NATIONAL_ID, problem=problem))
            else:
                id_birth = birth_date_of(national_id)
                if id_birth > today:
                    errors.append(
                        _msg(_("%(column)s: the birth date in the ID is after today."), NATIONAL_ID)
                    )
                    id_birth = None
                elif sex is not None and sex != ("M" if int(national_id[16]) % 2 else "F"):
                    errors.append(
                        _msg(
                            _("%(column)s: the national ID says %(sex)s."),
                            SEX,
                            sex="男" if sex == "F" else "女",
                        )
                    )

    birth = None
    try:
        birth = parse_date(c_birth)
    except ValueError:
        errors.append(_msg(_("%(column)s: not a date (write it as 2020-01-05)."), BIRTH_DATE))
    else:
        if birth is None:
            errors.append(_msg(_("%(column)s: required."), BIRTH_DATE))
        elif id_birth is not None and birth != id_birth:
            errors.append(
                _msg(
                    _("%(column)s: differs from the birth date in the national ID (%(date)s)."),
                    BIRTH_DATE,
                    date=id_birth.isoformat(),
                )
            )
        elif birth > today:
            errors.append(_msg(_("%(column)s: is after today."), BIRTH_DATE))
            birth = None
    born = id_birth or birth

    education_text = _text(c_education)
    education = _EDUCATION.get(education_text, "") if education_text else ""
    if education_text and not education:
        errors.append(
            _msg(_("%(column)s: write one of %(choices)s."), EDUCATION_COL, choices="、".join(EDUCATION))
        )

    category_text = _text(c_category)
    category = _CATEGORY.get(category_text)
    if category is None:
        if not category_text:
            errors.append(_msg(_("%(column)s: required."), CATEGORY))
        else:
            errors.append(_msg(_("%(column)s: write 正式党员 or 预备党员."), CATEGORY))

    organization_id = None
    code = _text(c_org)
    if not code:
        errors.append(_msg(_("%(column)s: required."), ORGANIZATION))
    else:
        org = organizations.get(code)
        if org is None:
            errors.append(_msg(_("%(column)s: no organization with this code in your scope."), ORGANIZATION))
        elif not org.holds_members:
            errors.append(
                _msg(
                    _("%(column)s: this organization does not hold members (choose its branch)."),
                    ORGANIZATION,
                )
            )
        else:
            organization_id = org.id

    joined = None
    try:
        joined = parse_date(c_joined)
    except ValueError:
        errors.append(_msg(_("%(column)s: not a date (write it as 2020-01-05)."), JOINED_ON))
    else:
        if joined is None:
            errors.append(_msg(_("%(column)s: required."), JOINED_ON))
        elif joined > today:
            errors.append(_msg(_("%(column)s: is after today."), JOINED_ON))
            joined = None  # not also "转正 within a year" of a date that is wrong anyway
        elif born is not None and add_years(born, 18) > joined:
            errors.append(_msg(_("%(column)s: the member was not yet 18 on that day."), JOINED_ON))

    full_on = None
    try:
        full_on = parse_date(c_full)
    except ValueError:
        errors.append(_msg(_("%(column)s: not a date (write it as 2020-01-05)."), FULL_ON))
    else:
        if category == "full":
            if full_on is None:
                errors.append(_msg(_("%(column)s: required for a full member."), FULL_ON))
            elif full_on > today:
                errors.append(_msg(_("%(column)s: is after today."), FULL_ON))
            elif joined is not None and full_on < add_years(joined, 1):
                errors.append(
                    _msg(
                        _("%(column)s: must be at least one year after joining (%(date)s or later)."),
                        FULL_ON,
                        date=add_years(joined, 1).isoformat(),
                    )
                )
        elif category == "probationary" and full_on is not None:
            errors.append(_msg(_("%(column)s: must be empty for a probationary member."), FULL_ON))

    post = _text(c_post)
    if len(post) > POST_MAX:
        errors.append(_msg(_("%(column)s: at most %(max)d characters."), POST, max=POST_MAX))

    phone = _text(c_phone)
    if phone:
        phone = phone.translate(_PHONE_JUNK)
        if not phone.isascii():
            phone = phone.translate(_FULL_WIDTH)
        if not _PHONE_RE.fullmatch(phone):
            errors.append(_msg(_("%(column)s: a mobile number has 11 digits and starts with 1."), PHONE))

    residence = _text(c_residence)
    if len(residence) > RESIDENCE_MAX:
        errors.append(_msg(_("%(column)s: at most %(max)d characters."), RESIDENCE, max=RESIDENCE_MAX))

    mobile = yes_no(c_mobile)
    if mobile is None:
        errors.append(_msg(_("%(column)s: write 是 or 否."), MOBILE))
    lost_contact = yes_no(c_lost)
    if lost_contact is None:
        errors.append(_msg(_("%(column)s: write 是 or 否."), LOST_CONTACT))

    lost_since = None
    try:
        lost_since = parse_date(c_lost_since)
    except ValueError:
        errors.append(_msg(_("%(column)s: not a date (write it as 2020-01-05)."), LOST_CONTACT_SINCE))
    else:
        if lost_contact:
            if lost_since is None:
                errors.append(
                    _msg(
                        _("%(column)s: required when %(other)s is 是."),
                        LOST_CONTACT_SINCE,
                        other=HEADERS[LOST_CONTACT],
                    )
                )
            elif lost_since > today:
                errors.append(_msg(_("%(column)s: is after today."), LOST_CONTACT_SINCE))
        elif lost_contact is False and lost_since is not None:
            errors.append(
                _msg(
                    _("%(column)s: must be empty when %(other)s is 否."),
                    LOST_CONTACT_SINCE,
                    other=HEADERS[LOST_CONTACT],
                )
            )

    if errors:
        errors.sort(key=_first)  # column order; the sort is stable
        return None, [message for _column, message in errors]
    return {
        "name": name,
        "sex": sex,
        "ethnicity": ethnicity,
        "national_id": national_id,
        "birth_date": birth,
        "education": education,
        "category": category,
        "organization_id": organization_id,
        "joined_on": joined,
        "full_on": full_on,
        "post": post,
        "phone": phone,
        "residence": residence,
        "mobile": mobile,
        "lost_contact": lost_contact,
        "lost_contact_since": lost_since,
    }, []
