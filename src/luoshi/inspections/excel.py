"""Standards as Excel: the template the app provides, a standard written out as that template (to edit and load
again as its next version), and the reading of such a file into the same data the YAML loader takes."""

import io

from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from luoshi.inspections.models import Scoring
from luoshi.inspections.selectors import standard_items

INFO_SHEET, ITEMS_SHEET = "标准信息", "检查项"
INFO = ["标准代码", "标准名称", "说明", "合格分"]
HEADERS = [
    "部分",
    "编号",
    "检查项",
    "评分方式",
    "最高分",
    "合格分",
    "标准值",
    "比较",
    "单位",
    "权重",
    "不合格即问题",
    "不合格须说明",
    "不合格须拍照",
]
SCORING = {"合格/不合格": Scoring.PASS_FAIL, "分值": Scoring.POINTS, "数值": Scoring.THRESHOLD}
SCORING_LABEL = {v: k for k, v in SCORING.items()}
YES = {"是", "Y", "y", "yes", "1", "TRUE", "True", "true"}


def _book(info: list, rows: list) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = INFO_SHEET
    for label, value in zip(INFO, info, strict=True):
        sheet.append([label, value])
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 12, 60
    items = wb.create_sheet(ITEMS_SHEET)
    items.append(HEADERS)
    for cell in items[1]:
        cell.font = Font(bold=True)
    for row in rows:
        items.append(row)
    for col, width in zip("ABCDEFGHIJKLM", (12, 6, 50, 12, 7, 7, 8, 7, 6, 6, 10, 10, 10), strict=True):
        items.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def standard_template() -> bytes:
    return _book(
        ["my-standard", "（标准名称）", "（适用范围和说明）", 80],
        [
            [
                "场所设置",
                "A1",
                "办公服务用房面积",
                "数值",
                None,
                None,
                300,
                "不低于",
                "平方米",
                10,
                "是",
                "否",
                "是",
            ],
            [
                "场所设置",
                "A2",
                "功能室布局合理、功能完备",
                "分值",
                10,
                6,
                None,
                None,
                None,
                10,
                "是",
                "是",
                "否",
            ],
            [
                "标识标牌",
                "B1",
                "外墙统一悬挂标识",
                "合格/不合格",
                None,
                None,
                None,
                None,
                None,
                8,
                "是",
                "否",
                "是",
            ],
        ],
    )


def standard_xlsx(standard) -> bytes:
    rows = []
    for item in standard_items(standard):
        rows.append(
            [
                item.section.title,
                item.code,
                item.text,
                SCORING_LABEL[item.scoring],
                item.max_points,
                item.pass_points if item.scoring == Scoring.POINTS else None,
                float(item.threshold) if item.threshold is not None else None,
                ("不低于" if item.at_least else "不高于") if item.scoring == Scoring.THRESHOLD else None,
                item.unit or None,
                float(item.weight),
                "是" if item.failure_is_finding else "否",
                "是" if item.note_on_failure else "否",
                "是" if item.photo_on_failure else "否",
            ]
        )
    return _book([standard.code, standard.name, standard.description, float(standard.pass_score)], rows)


def standard_data_from_xlsx(stream) -> dict:
    """The file as the loader's data; what cannot be read at all raises ValueError with the user's message.
    Item-level problems are left to the loader, which lists them all."""
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValueError(gettext("The file is not an Excel workbook (.xlsx).")) from None
    if INFO_SHEET not in wb.sheetnames or ITEMS_SHEET not in wb.sheetnames:
        raise ValueError(
            gettext("The workbook needs the sheets %(a)s and %(b)s.") % {"a": INFO_SHEET, "b": ITEMS_SHEET}
        )
    info = {
        str(row[0]).strip(): row[1] for row in wb[INFO_SHEET].iter_rows(values_only=True) if row and row[0]
    }
    rows = wb[ITEMS_SHEET].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    if header[: len(HEADERS)] != HEADERS:
        raise ValueError(gettext("The header row must be: %(headers)s") % {"headers": "、".join(HEADERS)})
    sections: dict[str, list] = {}
    for cells in rows:
        cells = (list(cells) + [None] * len(HEADERS))[: len(HEADERS)]
        if not any(c not in (None, "") for c in cells):
            continue
        section, code, text, scoring, top, pass_, threshold, compare, unit, weight, finding, note, photo = (
            cells
        )
        item = {
            "code": str(code).strip() if code is not None else "",
            "text": str(text).strip() if text else "",
            "scoring": SCORING.get(str(scoring).strip(), str(scoring or "").strip()),
            "weight": weight if weight is not None else 1,
            "finding": str(finding).strip() in YES if finding is not None else True,
            "note_on_failure": str(note).strip() in YES if note is not None else False,
            "photo_on_failure": str(photo).strip() in YES if photo is not None else False,
        }
        if top is not None:
            item["max"] = int(top) if isinstance(top, int | float) and float(top).is_integer() else top
        if pass_ is not None:
            item["pass"] = (
                int(pass_) if isinstance(pass_, int | float) and float(pass_).is_integer() else pass_
            )
        if threshold is not None:
            item["threshold"] = threshold
            item["at_least"] = str(compare or "不低于").strip() != "不高于"
        if unit:
            item["unit"] = str(unit).strip()
        sections.setdefault(str(section or "").strip() or gettext("Items"), []).append(item)
    wb.close()
    return {
        "code": str(info.get("标准代码") or "").strip(),
        "name": str(info.get("标准名称") or "").strip(),
        "description": str(info.get("说明") or "").strip(),
        "pass_score": info.get("合格分") or 80,
        "sections": [{"title": title, "items": items} for title, items in sections.items()],
    }
