"""Generated documents of the accountability app, in the GB/T 9704 layout (luoshi.core.documents)."""

from docx.enum.text import WD_ALIGN_PARAGRAPH

from luoshi.core.documents import chinese_date, new_document, paragraph, title, to_bytes


def circular_docx(circular) -> bytes:
    """通报: title, the unit named, the findings with their dates, what is required, issuer and date."""
    doc = new_document()
    title(doc, circular.title)
    paragraph(doc, f"各{'单位' if circular.public else '党组织'}：", indent=False)
    for line in circular.body.splitlines():
        paragraph(doc, line)
    if circular.persons_named:
        paragraph(doc, f"相关责任人：{circular.persons_named}。")
    if circular.requirement:
        paragraph(doc, circular.requirement)
    paragraph(doc, "特此通报。")
    paragraph(doc, "")
    paragraph(doc, circular.issuer.name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph(doc, chinese_date(circular.issued_on), align=WD_ALIGN_PARAGRAPH.RIGHT)
    return to_bytes(doc)
