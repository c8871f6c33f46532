"""Files of the assessment app: the ranking table as a sheet, and the results notice (考核结果通报) as a Word
document in the GB/T 9704 layout (luoshi.core.documents)."""

from collections import Counter

from django.utils.translation import gettext
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from luoshi.core.documents import chinese_date, heading, new_document, paragraph, title, to_bytes


def ranking_xlsx(run, results, leaves) -> bytes:
    """One row per unit: rank, unit, code, every leaf indicator's points, total, grade, veto."""
    import io

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(gettext("Ranking")[:31])
    headers = [gettext("Rank"), gettext("Unit"), gettext("Organization code")]
    headers += [f"{i.code} {i.name}（{i.weight}）" for i in leaves]
    headers += [gettext("Total"), gettext("Grade"), gettext("Red line breached")]
    for n, width in enumerate([6, 30, 16] + [14] * len(leaves) + [8, 8, 10], start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.append(headers)
    for r in results:
        ws.append(
            [r.rank, r.organization.name, r.organization.code]
            + [float(r.scores.get(i.code, ["0"])[0]) for i in leaves]
            + [float(r.total), r.grade, gettext("yes") if r.vetoed else ""]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def notice_docx(run, results) -> bytes:
    """考核结果通报: what was assessed and how, the grades counted, the list by grade, the red-line units, and the
    appeal window. Written in Chinese whatever the reader's interface language."""
    scheme = run.scheme
    doc = new_document()
    title(doc, f"关于{scheme.year}年度{scheme.name.removesuffix('考核')}考核结果的通报")
    paragraph(doc, "各有关党组织：", indent=False)
    paragraph(
        doc,
        f"根据《{scheme.name}》方案，{scheme.issuer.name}依据系统中记录的任务落实、检查整改、督办问责等情况，"
        f"对{len(results)}个单位{chinese_date(run.since)}至{chinese_date(run.until)}的工作进行了考核，"
        f"每项得分均可追溯到具体记录。现将考核结果通报如下。",
    )
    counts = Counter(r.grade for r in results)
    bands = [b.name for b in scheme.bands.order_by("order")]
    heading(doc, "一、考核等次")
    paragraph(doc, "；".join(f"“{b}”等次{counts.get(b, 0)}个" for b in bands) + "。")
    for n, band in enumerate(bands, start=1):
        names = [r.organization.name for r in results if r.grade == band]
        if names:
            paragraph(doc, f"（{n}）{band}：{'、'.join(names)}。")
    vetoed = [r.organization.name for r in results if r.vetoed]
    if vetoed:
        heading(doc, "二、一票否决")
        paragraph(
            doc, f"{'、'.join(vetoed)}触及责任状红线，实行一票否决，考核等次最高为“{scheme.veto_cap}”。"
        )
    heading(doc, "三、有关要求" if vetoed else "二、有关要求")
    appeal = (
        f"对考核结果有异议的，请于{chinese_date(run.appeal_until)}前通过系统提出申诉，并附相关佐证材料。"
        if run.appeal_until
        else ""
    )
    paragraph(doc, "各单位要对照考核发现的问题认真整改，考核结果与年终评先评优挂钩。" + appeal)
    paragraph(doc, "")
    paragraph(doc, scheme.issuer.name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    day = run.published_at.date() if run.published_at else run.until
    paragraph(doc, chinese_date(day), align=WD_ALIGN_PARAGRAPH.RIGHT)
    return to_bytes(doc)
