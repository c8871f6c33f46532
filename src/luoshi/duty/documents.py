"""Word documents in the layout of official documents (GB/T 9704-2012, 党政机关公文格式): A4, margins
37/35/28/26 mm, the title in 2号 小标宋, the body in 3号 仿宋 at 22 lines a page, first-level headings in 黑体.
The fonts are named, not embedded: Word on an office machine has them; elsewhere a fallback font shows."""

import io

from django.utils import timezone
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


def letter_docx(copy, progress) -> bytes:
    """One signed copy of a responsibility letter: title, the two parties, the targets by category, the
    red lines, and the signature block with the dates of issue and of the recorded signature."""
    letter = copy.letter
    doc = new_document()
    title(doc, letter.title)
    paragraph(doc, f"甲方（责任书下达单位）：{letter.issuer.name}", indent=False)
    paragraph(doc, f"乙方（责任单位）：{copy.organization.name}", indent=False)
    secretary = copy.signatory.name if copy.signatory else ""
    paragraph(doc, f"乙方第一责任人：{secretary}", indent=False)
    if letter.preamble:
        for line in letter.preamble.splitlines():
            if line.strip():
                paragraph(doc, line.strip())
    paragraph(
        doc,
        f"为落实{letter.year}年度党风廉政建设主体责任和监督责任，经甲乙双方确认，乙方承诺完成以下目标任务。",
    )
    groups = {}
    for item in progress:
        groups.setdefault(item.target.get_category_display(), []).append(item.target)
    for number, (category, targets) in enumerate(groups.items()):
        heading(doc, f"{NUMERALS[number % 10]}、{category.split('（')[0].split('(')[0].strip()}")
        for target in targets:
            red = "【红线，一票否决】" if target.red_line else ""
            paragraph(
                doc,
                f"{target.order}. {target.text}{red}完成标准：{target.measure}。"
                f"权重{target.weight}分，{chinese_date(target.due_date)}前完成。",
            )
    red_lines = [item.target for item in progress if item.target.red_line]
    if red_lines:
        heading(doc, f"{NUMERALS[len(groups) % 10]}、红线")
        paragraph(
            doc,
            "第" + "、".join(str(t.order) for t in red_lines) + "项为红线目标，出现违反情形的，"
            "年度考核实行一票否决。",
        )
    paragraph(doc, "本责任状一式两份，甲乙双方各执一份，自签署之日起生效，有效期至当年12月31日。")
    paragraph(doc, "")
    issued = timezone.localtime(letter.issued_at) if letter.issued_at else None
    signed = timezone.localtime(copy.signed_at)
    paragraph(doc, f"甲方：{letter.issuer.name}", indent=False)
    paragraph(doc, f"下达日期：{chinese_date(issued) if issued else ''}", indent=False)
    paragraph(doc, "")
    paragraph(doc, f"乙方：{copy.organization.name}", indent=False)
    paragraph(doc, f"第一责任人：{secretary}", indent=False)
    paragraph(doc, f"签署日期：{chinese_date(signed)}", indent=False)
    paragraph(
        doc,
        f"（于{signed:%Y-%m-%d %H:%M}通过落实平台账号“{copy.signed_by.username}”签署，签署记录存档备查。）",
        indent=False,
        size=Pt(12),
    )
    return to_bytes(doc)
