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


def talk_docx(talk) -> bytes:
    """谈话记录: kind, when, who talked to whom, the basis, the record and the person's own statement."""
    from django.utils import translation

    doc = new_document()
    with translation.override("zh-hans"):  # an official record is written in Chinese whatever the reader's UI
        kind = str(talk.get_kind_display())
    title(doc, f"{kind.split('（')[0].split('(')[0].strip()}记录")
    for label, value in (
        ("谈话时间", chinese_date(talk.held_on)),
        ("谈话对象", f"{talk.persons}（{talk.organization.name}，共{talk.persons_count}人）"),
        ("谈话人", talk.talker),
        ("谈话依据", talk.basis),
    ):
        paragraph(doc, f"{label}：{value}", indent=False)
    paragraph(doc, "谈话内容：", indent=False)
    for line in talk.record.splitlines():
        if line.strip():
            paragraph(doc, line.strip())
    paragraph(doc, "本人陈述：", indent=False)
    paragraph(doc, talk.statement or "（未作陈述）")
    paragraph(doc, "")
    paragraph(doc, "谈话对象签字：", indent=False)
    paragraph(doc, "谈话人签字：", indent=False)
    return to_bytes(doc)
