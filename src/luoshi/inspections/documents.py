"""The rectification notice (整改通知书) as a Word document, in the GB/T 9704 layout (luoshi.core.documents)."""

from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH

from luoshi.core.documents import chinese_date, new_document, paragraph, title, to_bytes


def rectification_notice_docx(rectification, issuer_name: str) -> bytes:
    finding = rectification.finding
    doc = new_document()
    title(doc, "整改通知书")
    paragraph(doc, f"{rectification.organization.name}：", indent=False)
    found = (
        timezone.localtime(finding.visit.visited_at).date()
        if finding.visit
        else timezone.localtime(finding.created_at).date()
    )
    source = f"在{finding.visit.inspection.title}中" if finding.visit else ""
    paragraph(doc, f"{chinese_date(found)}，{source}发现你单位存在以下问题：")
    paragraph(doc, finding.description)
    paragraph(
        doc,
        f"请于{chinese_date(rectification.deadline)}前完成整改，并报送整改佐证材料：{rectification.evidence_required}。"
        "逾期未完成整改的，将按督办规则予以通报、点名批评直至问责。",
    )
    if rectification.responsible:
        paragraph(doc, f"整改责任人：{rectification.responsible.name}。")
    paragraph(doc, "")
    paragraph(doc, issuer_name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph(
        doc, chinese_date(timezone.localtime(rectification.created_at).date()), align=WD_ALIGN_PARAGRAPH.RIGHT
    )
    return to_bytes(doc)
