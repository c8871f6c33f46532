"""Member sheets for the import tests: valid rows made from a seed, written as .xlsx or CSV bytes."""

import csv
import io
import random
from datetime import date, timedelta

from django.core.files.base import ContentFile
from openpyxl import Workbook

from luoshi.members.validation import HEADERS
from luoshi.orgs.idcard import check_digit

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞"]


def national_id(birth: date, male: bool, seq: int = 1, area: str = "330106") -> str:
    first17 = f"{area}{birth:%Y%m%d}{(seq * 2 + (1 if male else 0)) % 1000:03d}"
    return first17 + check_digit(first17)


def row(n: int, org_code: str, *, rng=None) -> list:
    """One valid row: member n of a branch."""
    rng = rng or random.Random(n)
    male = n % 2 == 0
    birth = date(1960 + n % 30, 1 + n % 12, 1 + n % 28)
    joined = date(birth.year + 25, 7, 1)
    return [
        NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else str(n)),
        "男" if male else "女",
        "汉族",
        national_id(birth, male, seq=n),
        birth,
        "大学本科",
        "正式党员",
        org_code,
        joined,
        joined + timedelta(days=366),
        "社区工作者",
        f"139{rng.randrange(10**7, 10**8)}",
        "杭州市西湖区文三路1号",
        "否",
        "否",
        None,
    ]


def xlsx(rows: list[list]) -> ContentFile:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return ContentFile(out.getvalue(), name="党员名册.xlsx")


def csv_bytes(rows: list[list], encoding: str) -> ContentFile:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    for r in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in r])
    return ContentFile(text.getvalue().encode(encoding), name="党员名册.csv")
