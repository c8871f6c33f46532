"""Word documents in the layout of official documents (GB/T 9704-2012, 党政机关公文格式): A4, margins
37/35/28/26 mm, the title in 2号 小标宋, the body in 3号 仿宋 at 22 lines a page, first-level headings in 黑体.
The fonts are named, not embedded: Word on an office machine has them; elsewhere a fallback font shows."""

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_SIZE = Pt(22)  # 2号
BODY_SIZE = Pt(16)  # 3号
LINE = Pt(28.95)  # 22 lines in the 225 mm text block


def new_document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _font(normal.font, normal.element, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = fmt.space_after = Pt(0)
    return doc


def _font(font, element, name: str, size) -> None:
    font.name = name
    font.size = size
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def paragraph(doc, text: str = "", *, font=BODY_FONT, size=BODY_SIZE, align=None, indent=True, bold=False):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent and align is None:
        p.paragraph_format.first_line_indent = Pt(32)  # two characters
    run = p.add_run(text)
    run.bold = bold
    _font(run.font, run._element, font, size)
    return p


def title(doc, text: str) -> None:
    p = paragraph(doc, text, font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.line_spacing = Pt(36)
    paragraph(doc, "")


def heading(doc, text: str) -> None:
    paragraph(doc, text, font=HEADING_FONT)


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def to_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


NUMERALS = "一二三四五六七八九十"


OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def office_file_response(content: bytes, name: str):
    """A generated Word or Excel file as a download named `name` (any characters: RFC 6266 filename*)."""
    from pathlib import PurePath
    from urllib.parse import quote

    from django.http import HttpResponse

    response = HttpResponse(content, content_type=OFFICE_TYPES[PurePath(name).suffix])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
