"""责任状: drafted, issued to the streets, signed by each street's secretary through their own login, targets
reported, and the signed letter as a Word document with the parties, the targets and the dates."""

import io
from decimal import Decimal

import pytest
from docx import Document

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Obligation, ObligationState
from luoshi.duty import services
from luoshi.duty.models import LetterCopy, TargetProgress, TargetStatus
from luoshi.duty.services import TargetSpec

from ..conftest import days


def specs():
    return [
        TargetSpec(
            "落实全面从严治党主体责任，每季度专题研究党风廉政建设",
            "principal",
            "会议记录4次",
            Decimal("30"),
            days(60),
        ),
        TargetSpec(
            "支持纪检监察机构履行监督责任", "supervisory", "配合开展监督检查", Decimal("20"), days(90)
        ),
        TargetSpec(
            "不发生违反中央八项规定精神问题", "principal", "全年零发生", Decimal("50"), days(120), True
        ),
    ]


@pytest.fixture
def letter(world):
    officer = world.users["org_officer"]
    draft = services.letter_draft(
        by=officer,
        issuer=world.district,
        year=2026,
        title="2026年度党风廉政建设目标管理责任状",
        sign_by=days(10),
        targets=specs(),
        preamble="为深入推进全面从严治党，特签订本责任状。",
    )
    services.letter_issue(by=officer, letter=draft, organizations=[world.s1, world.s2])
    return draft


def test_issue_sign_report_and_word(world, letter, login):
    copy = LetterCopy.objects.get(letter=letter, organization=world.s1)
    assert copy.signing_obligation.state == ObligationState.OPEN
    street = login(world.users["street_secretary"])

    page = street.get(f"/duty/copies/{copy.pk}/")
    assert "签署" in page.content.decode() or "Sign" in page.content.decode()
    response = street.post(f"/duty/copies/{copy.pk}/sign/", HTTP_USER_AGENT="Mozilla/5.0 test")
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.signed_by == world.users["street_secretary"]
    assert copy.signatory == world.people["s1"]
    assert "Mozilla/5.0 test" in copy.signed_from
    first_signature = copy.signed_at
    street.post(f"/duty/copies/{copy.pk}/sign/")  # twice: nothing changes
    copy.refresh_from_db()
    assert copy.signed_at == first_signature
    assert TargetProgress.objects.filter(copy=copy).count() == 3
    copy.signing_obligation.refresh_from_db()
    assert copy.signing_obligation.state == ObligationState.DONE
    target_obligations = Obligation.objects.filter(policy__kind="duty.letter_target", organization=world.s1)
    assert target_obligations.count() == 3

    # The other street's secretary cannot sign S1's copy (and does not even see it).
    assert login(world.users["outsider"]).post(f"/duty/copies/{copy.pk}/sign/").status_code == 404

    progress = TargetProgress.objects.get(copy=copy, target__order=1)
    empty = street.post(f"/duty/progress/{progress.pk}/report/", {"status": "met", "report": "  "})
    assert empty.status_code == 400
    progress.refresh_from_db()
    assert progress.status == TargetStatus.NOT_STARTED
    ok = street.post(
        f"/duty/progress/{progress.pk}/report/", {"status": "met", "report": "已召开4次专题会议。"}
    )
    assert ok.status_code == 302
    progress.refresh_from_db()
    assert progress.status == TargetStatus.MET
    assert progress.obligation.state == ObligationState.DONE

    # The issuer sees who has not signed.
    officer = login(world.users["org_officer"])
    unsigned = officer.get(f"/duty/letters/{letter.pk}/?show=unsigned").content.decode()
    assert "东城街道党工委" in unsigned and "城关街道党工委</a>" not in unsigned

    word = street.get(f"/duty/copies/{copy.pk}/letter.docx")
    assert word.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "2026年度党风廉政建设目标管理责任状" in text
    assert "甲方（责任书下达单位）：江城区委" in text
    assert "乙方（责任单位）：城关街道党工委" in text
    assert "s1书记" in text
    for spec in specs():
        assert spec.text in text
    signed = copy.signed_at.astimezone()
    assert f"签署日期：{signed.year}年{signed.month}月{signed.day}日" in text
    due = specs()[0].due_date
    assert f"{due.year}年{due.month}月{due.day}日前完成" in text
    assert "一票否决" in text


def test_letter_rules(world, letter):
    officer = world.users["org_officer"]
    with pytest.raises(ServiceError):  # a target due before today
        services.letter_draft(
            by=officer,
            issuer=world.district,
            year=2026,
            title="x",
            sign_by=days(3),
            targets=[TargetSpec("x", "principal", "y", Decimal(1), days(-1))],
        )
    with pytest.raises(ServiceError):  # outside the issuer's subtree
        services.letter_issue(by=officer, letter=letter, organizations=[world.x])
    with pytest.raises(NotPermitted):  # a branch secretary cannot issue letters
        services.letter_issue(by=world.users["branch_secretary"], letter=letter, organizations=[world.b1])
    with pytest.raises(ServiceError):  # issued letters do not change
        services.letter_draft(
            by=officer,
            issuer=world.district,
            year=2026,
            title="y",
            sign_by=days(3),
            targets=specs(),
            letter=letter,
        )
    again = services.letter_issue(by=officer, letter=letter, organizations=[world.s1])
    assert again == [] and letter.copies.count() == 2
    copy = LetterCopy.objects.get(letter=letter, organization=world.s2)
    with pytest.raises(ServiceError):  # not the sitting secretary of S2
        services.letter_sign(user=world.users["street_secretary"], copy=copy)


def test_letter_drafted_and_issued_on_the_web(world, login):
    officer = login(world.users["org_officer"])
    form = {
        "title": "2026年度责任状",
        "year": "2026",
        "issuer": str(world.district.pk),
        "sign_by": str(days(7)),
        "preamble": "",
        "t-TOTAL_FORMS": "1",
        "t-INITIAL_FORMS": "0",
        "t-MIN_NUM_FORMS": "1",
        "t-MAX_NUM_FORMS": "40",
        "t-0-text": "每季度研究党风廉政建设",
        "t-0-category": "principal",
        "t-0-measure": "4次",
        "t-0-weight": "40",
        "t-0-due_date": str(days(-2)),
    }
    bad = officer.post("/duty/letters/new/", form)
    assert bad.status_code == 400
    assert "每季度研究党风廉政建设" in bad.content.decode()  # what was typed stays
    form["t-0-due_date"] = str(days(30))
    made = officer.post("/duty/letters/new/", form)
    assert made.status_code == 302
    letter_url = made["Location"]
    sent = officer.post(f"{letter_url}issue/", {"mode": "kind", "kind": "street", "under": "", "codes": ""})
    assert sent.status_code == 302
    page = officer.get(letter_url).content.decode()
    assert "城关街道党工委" in page and "东城街道党工委" in page
