"""整改: a finding's rectification misses its deadline and climbs every rung on its day; a confirmed circular
is recorded; a returned report reopens the obligation; an accepted one stops the ladder."""

import io
from datetime import date, timedelta

import pytest

from luoshi.core.errors import ServiceError
from luoshi.core.models import Escalation, Notification, ObligationState
from luoshi.core.obligations import escalation_decide, obligation_sweep
from luoshi.inspections import services

from .conftest import at

ORDERED = date(2026, 4, 1)
DEADLINE = ORDERED + timedelta(days=15)
pytestmark = pytest.mark.frozen(ORDERED - timedelta(days=14))  # the world and the visit before the order


def evidence(name="整改照片.png"):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    upload = io.BytesIO(png)
    upload.name = name
    upload.size = len(png)
    upload.chunks = lambda: [png]
    return upload


@pytest.fixture
def order(world, covert):
    with at(ORDERED):
        finding = services.finding_add(
            by=world.users["discipline_officer"],
            organization=world.b1,
            description="值班人员脱岗，群众办事无人接待",
        )
        return services.rectification_order(
            by=world.users["discipline_officer"],
            finding=finding,
            deadline=DEADLINE,
            evidence_required="整改情况报告及值班表照片",
        )


def rungs(rectification):
    return list(
        Escalation.objects.filter(obligation=rectification.obligation_id)
        .order_by("step_order")
        .values_list("action", "scheduled_on", "status")
    )


def test_missed_deadline_climbs_every_rung_on_its_day(world, order):
    expected = [
        (DEADLINE - timedelta(days=3), "remind"),
        (DEADLINE + timedelta(days=1), "warn"),
        (DEADLINE + timedelta(days=7), "circular"),
    ]
    for day, action in expected:
        with at(day - timedelta(days=1)):
            obligation_sweep()
        assert action not in [r[0] for r in rungs(order)]
        with at(day):
            obligation_sweep()
        assert (action, day) in [(r[0], r[1]) for r in rungs(order)]
    circular = Escalation.objects.get(obligation=order.obligation_id, action="circular")
    assert circular.status == "proposed"
    with at(DEADLINE + timedelta(days=8)):
        escalation_decide(
            escalation=circular, user=world.users["discipline_officer"], confirm=True, reason="逾期未整改"
        )
        with pytest.raises(ServiceError):  # confirming twice changes nothing
            escalation_decide(
                escalation=circular, user=world.users["discipline_officer"], confirm=True, reason="再次"
            )
    # the rest of the ladder follows once the proposal is decided
    for offset, action in ((14, "named_criticism"), (21, "admonishment"), (30, "accountability")):
        with at(DEADLINE + timedelta(days=offset)):
            obligation_sweep()
        last = rungs(order)[-1]
        assert last[0] == action and last[1] == DEADLINE + timedelta(days=offset)
        if action != "accountability":
            with at(DEADLINE + timedelta(days=offset)):
                escalation_decide(
                    escalation=Escalation.objects.get(obligation=order.obligation_id, action=action),
                    user=world.users["discipline_officer"],
                    confirm=False,
                    reason="先行督促",
                )


def test_returned_reopens_accepted_stops(world, order):
    branch = world.users["branch_secretary"]
    with at(ORDERED + timedelta(days=2)):
        with pytest.raises(ServiceError) as no_evidence:
            services.rectification_report(by=branch, rectification=order, text="已调整值班安排")
        assert no_evidence.value.field == "files"
        services.rectification_report(
            by=branch, rectification=order, text="已调整值班安排", uploads=[evidence()]
        )
        order.obligation.refresh_from_db()
        assert order.obligation.state == ObligationState.SUBMITTED
        services.rectification_verify(
            by=world.users["discipline_officer"], rectification=order, accept=False, reason="缺少值班表照片"
        )
        order.obligation.refresh_from_db()
        assert order.obligation.state == ObligationState.OPEN
        assert Notification.objects.filter(recipient=branch, body__contains="缺少值班表照片").exists()
    # a returned rectification is back on the ladder: reminded before the deadline
    with at(DEADLINE - timedelta(days=3)):
        obligation_sweep()
    assert [r[0] for r in rungs(order)] == ["remind"]
    with at(DEADLINE - timedelta(days=1)):
        services.rectification_report(
            by=branch, rectification=order, text="补充值班表照片", uploads=[evidence("值班表.png")]
        )
        first = services.rectification_verify(
            by=world.users["discipline_officer"], rectification=order, accept=True
        )
        again = services.rectification_verify(
            by=world.users["discipline_officer"], rectification=order, accept=True
        )
    assert first.verified_at == again.verified_at and first.on_time is True
    order.obligation.refresh_from_db()
    assert order.obligation.state == ObligationState.DONE
    with at(DEADLINE + timedelta(days=30)):
        obligation_sweep()
    assert [r[0] for r in rungs(order)] == ["remind"]  # the ladder stopped


def test_confirmed_circular_becomes_a_word_document(world, order, login):
    from docx import Document

    for day in (DEADLINE + timedelta(days=1), DEADLINE + timedelta(days=7)):
        with at(day):
            obligation_sweep()
    circular = Escalation.objects.get(obligation=order.obligation_id, action="circular")
    officer = login(world.users["discipline_officer"])
    with at(DEADLINE + timedelta(days=8)):
        # not yet confirmed: it cannot be carried out
        early = officer.post(
            f"/accountability/circulars/new/?finding={order.finding_id}&escalation={circular.pk}",
            {"title": "关于幸福第一支部整改不力的通报", "form": "form_1"},
        )
        assert early.status_code == 400
        escalation_decide(
            escalation=circular, user=world.users["discipline_officer"], confirm=True, reason="逾期未整改"
        )
        page = officer.get(f"/inspections/rectifications/{order.pk}/").content.decode()
        assert f"escalation={circular.pk}" in page
        issued = officer.post(
            f"/accountability/circulars/new/?finding={order.finding_id}&escalation={circular.pk}",
            {
                "title": "关于幸福第一支部整改不力的通报",
                "form": "form_1",
                "requirement": "限5个工作日内完成整改。",
            },
        )
        assert issued.status_code == 302
        word = officer.get(issued["Location"] + "?format=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "关于幸福第一支部整改不力的通报" in text
    assert "幸福第一支部" in text and "值班人员脱岗，群众办事无人接待" in text
    assert f"整改时限{DEADLINE:%Y年%m月%d日}" in text
    assert "已逾期8天未完成整改" in text
    assert "江城区委" in text and "特此通报" in text
    # the branch does not decide about itself, and a sibling street sees nothing
    assert (
        login(world.users["branch_secretary"])
        .get(f"/accountability/circulars/new/?finding={order.finding_id}")
        .status_code
        == 404
    )


def test_statistics_and_the_report_sentence(world, order, login, covert):
    from luoshi.accountability import services as accountability
    from luoshi.inspections.services import visit_record

    from .conftest import all_pass

    with at(ORDERED + timedelta(days=1)):
        visit_record(
            by=world.users["inspector"],
            inspection=covert,
            organization=world.b1,
            answers=all_pass(covert.standard),
        )
    with at(DEADLINE + timedelta(days=2)):
        accountability.talk_record(
            by=world.users["discipline_officer"],
            kind="individual",
            organization=world.b1,
            persons="b1书记、值班人员",
            persons_count=2,
            held_on=DEADLINE + timedelta(days=2),
            talker="区纪委监委 监督检查室",
            basis="整改逾期",
            record="指出问题，提出整改要求。",
            statement="接受批评，立即整改。",
        )
        with pytest.raises(ServiceError):  # a talk cannot be recorded before it is held
            accountability.talk_record(
                by=world.users["discipline_officer"],
                kind="individual",
                organization=world.b1,
                persons="x",
                held_on=DEADLINE + timedelta(days=5),
                talker="y",
                basis="z",
                record="r",
            )
        page = login(world.users["discipline_officer"]).get(
            f"/accountability/statistics/?since={ORDERED}&until={DEADLINE + timedelta(days=2)}"
        )
    f = page.context["f"]
    assert (f["inspections"], f["units"], f["secret"], f["findings"], f["due"], f["on_time"]) == (
        1,
        1,
        1,
        1,
        1,
        0,
    )
    assert (f["talks"], f["persons_talked"]) == (1, 2)
    assert "共开展检查1次" in page.context["text"] and "约谈2人" in page.context["text"]
    # per street: everything happened in 城关街道, nothing in 东城街道; a street opens to its communities
    rows = {org.code: (r["findings"], r["talks"], r["persons_talked"]) for org, r in page.context["by_unit"]}
    assert rows == {"S1": (1, 1, 2), "S2": (0, 0, 0)}
    with at(DEADLINE + timedelta(days=2)):
        street = login(world.users["discipline_officer"]).get(
            f"/accountability/statistics/?unit={world.s1.pk}&since={ORDERED}"
        )
    assert [org.code for org, _r in street.context["by_unit"]] == ["C1"]
    assert street.context["text"].startswith("城关街道党工委：")
    # the branch's own view counts only what it may see: the covert visit once recorded, its own talk
    with at(DEADLINE + timedelta(days=2)):
        mine = login(world.users["outsider"]).get(f"/accountability/statistics/?since={ORDERED}").context["f"]
    assert (mine["inspections"], mine["findings"], mine["talks"]) == (0, 0, 0)


def test_rectification_notice_as_word(world, order, login):
    from docx import Document

    word = login(world.users["branch_secretary"]).get(f"/inspections/rectifications/{order.pk}/notice.docx")
    assert word.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "整改通知书" in text and "幸福第一支部：" in text and "值班人员脱岗" in text
    assert f"请于{DEADLINE.year}年{DEADLINE.month}月{DEADLINE.day}日前完成整改" in text
    assert "整改情况报告及值班表照片" in text
    assert (
        login(world.users["outsider"]).get(f"/inspections/rectifications/{order.pk}/notice.docx").status_code
        == 404
    )


def test_talk_recorded_on_the_web_and_as_word(world, login):
    from docx import Document

    officer = login(world.users["discipline_officer"])
    form = {
        "kind": "admonishment",
        "organization": "B1",
        "persons": "b1书记",
        "persons_count": "1",
        "held_on": str(date.today() + timedelta(days=3)),
        "talker": "区纪委监委",
        "basis": "整改逾期",
        "record": "指出整改不力问题。",
        "statement": "接受诫勉，立即整改。",
        "form": "form_1",
    }
    assert officer.post("/accountability/talks/new/", form).status_code == 400  # not yet held
    form["held_on"] = "2026-01-05"
    made = officer.post("/accountability/talks/new/", form)
    assert made.status_code == 302
    word = officer.get(made["Location"] + "?format=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert (
        "诫勉谈话记录" in text and "b1书记（幸福第一支部，共1人）" in text and "接受诫勉，立即整改。" in text
    )
    branch = login(world.users["branch_secretary"])
    assert (
        branch.post("/accountability/talks/new/", {**form, "organization": "B1"}).status_code == 403
    )  # no right to decide about any unit: refused, not a form that can only fail


def test_confirmed_named_criticism_and_admonishment_are_carried_out(world, order, login):
    from luoshi.accountability.models import Decision, Talk

    officer_user = world.users["discipline_officer"]
    for offset in (1, 7):
        with at(DEADLINE + timedelta(days=offset)):
            obligation_sweep()
    with at(DEADLINE + timedelta(days=7)):
        escalation_decide(
            escalation=Escalation.objects.get(obligation=order.obligation_id, action="circular"),
            user=officer_user,
            confirm=False,
            reason="先行督促",
        )
    with at(DEADLINE + timedelta(days=14)):
        obligation_sweep()
    criticism = Escalation.objects.get(obligation=order.obligation_id, action="named_criticism")
    officer = login(officer_user)
    form = {
        "kind": "named_criticism",
        "organization": "B1",
        "persons": "b1书记",
        "decided_on": "2026-04-30",
        "basis": "整改逾期14天",
        "decision": "在全区范围内点名批评。",
        "form": "form_1",
    }
    with at(DEADLINE + timedelta(days=14)):
        assert (
            officer.post(f"/accountability/decisions/new/?escalation={criticism.pk}", form).status_code == 400
        )
        escalation_decide(escalation=criticism, user=officer_user, confirm=True, reason="屡督不改")
        page = officer.get(f"/inspections/rectifications/{order.pk}/").content.decode()
        assert f"decisions/new/?escalation={criticism.pk}" in page
        assert (
            officer.post(f"/accountability/decisions/new/?escalation={criticism.pk}", form).status_code == 302
        )
    assert Decision.objects.get().escalation == criticism
    with at(DEADLINE + timedelta(days=21)):
        obligation_sweep()
        talk = Escalation.objects.get(obligation=order.obligation_id, action="admonishment")
        escalation_decide(escalation=talk, user=officer_user, confirm=True, reason="仍未整改")
        made = officer.post(
            f"/accountability/talks/new/?escalation={talk.pk}",
            {
                "kind": "admonishment",
                "organization": "B1",
                "persons": "b1书记",
                "persons_count": "1",
                "held_on": str(DEADLINE + timedelta(days=21)),
                "talker": "区纪委监委",
                "basis": "整改逾期",
                "record": "诫勉谈话。",
                "form": "form_1",
            },
        )
        assert made.status_code == 302
    assert Talk.objects.get().escalation == talk
