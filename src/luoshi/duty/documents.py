"""The responsibility letter as a Word document (layout: luoshi.core.documents, GB/T 9704)."""

from django.utils import timezone
from docx.shared import Pt

from luoshi.core.documents import NUMERALS, chinese_date, heading, new_document, paragraph, title, to_bytes


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
