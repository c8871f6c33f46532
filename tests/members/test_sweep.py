"""The sweep (集中排查) with a frozen clock: each rule finds what it should and says "no data" where the system
cannot judge; the findings go to the member's branch; removal and persuasion are refused until the member's
statement, the branch meeting's decision and the higher organization's approval are recorded, in that order."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members import dues, services, sweeps
from luoshi.members.models import Member, SweepFinding

from .test_register import register

TODAY = date(2026, 11, 25)
pytestmark = pytest.mark.frozen(TODAY, hour=10)  # the world is built on that day too


@pytest.fixture
def frozen():
    with time_machine.travel(
        datetime(2026, 11, 25, 10, 0, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        yield


@pytest.fixture
def register_with_problems(world, frozen):
    """Six members; each problem placed on one of them."""
    register(world)
    ms = {m.name: m for m in Member.objects.all()}
    officer = world.users["org_officer"]
    lost, recent = ms["张伟"], ms["王芳"]
    Member.objects.filter(pk=lost.pk).update(lost_contact=True, lost_contact_since=date(2026, 4, 1))
    Member.objects.filter(pk=recent.pk).update(lost_contact=True, lost_contact_since=date(2026, 7, 1))
    # dues: one paid to March (8 months without), one paid to October, one never assessed (no data)
    stopped, paying = ms["李娜"], ms["刘洋"]
    for m in (stopped, paying):
        dues.assess(by=officer, member=m, year=2026, basis="student")
    for month in range(1, 4):
        dues.pay(
            by=officer, member=stopped, month=f"2026-{month:02d}", amount="0.2", paid_on=date(2026, month, 5)
        )
    for month in range(1, 11):
        dues.pay(
            by=officer, member=paying, month=f"2026-{month:02d}", amount="0.2", paid_on=date(2026, month, 5)
        )
    Member.objects.filter(pk=ms["陈静"].pk).update(phone="", organization=world.c1)  # 空挂 and no phone
    letter = services.transfer_issue(
        by=officer,
        member=ms["杨帆"],
        to_organization=world.b2,
        reason="搬家",
        days=30,
        today=TODAY - timedelta(days=40),
    )
    return {"ms": ms, "letter": letter}


def open_sweep(world):
    sweep = sweeps.sweep_open(by=world.users["org_officer"], organization=world.district, queue=False)
    return sweeps.sweep_run(sweep.pk)


def test_each_rule_finds_what_it_should(world, register_with_problems):
    ms = register_with_problems["ms"]
    sweep = open_sweep(world)
    found = {(f.member.name, f.rule): f.facts for f in SweepFinding.objects.filter(sweep=sweep)}
    assert set(found) == {
        ("张伟", "lost_contact"),  # lost since April: more than six months
        ("李娜", "no_dues"),  # nothing paid since March
        ("陈静", "unattached"),
        ("陈静", "invalid_data"),
        ("杨帆", "pocket_member"),
    }
    assert found[("李娜", "no_dues")]["last_paid"] == "2026-03"
    assert found[("陈静", "invalid_data")]["problems"] == ["phone_missing"]
    assert found[("杨帆", "pocket_member")]["letter"] == register_with_problems["letter"].number
    rules = sweep.summary["rules"]
    assert rules["no_dues"] == {"checked": 2, "found": 1, "no_data": 4}  # four members have no dues fixed
    assert rules["no_orglife"] == {"checked": 0, "found": 0, "no_data": 6}  # never "compliant" without data
    assert rules["duplicate"]["no_data"] == 6
    # each finding belongs to the member's branch (or where the member is kept)
    assert SweepFinding.objects.get(sweep=sweep, rule="unattached").organization == world.c1
    assert SweepFinding.objects.get(sweep=sweep, rule="lost_contact").organization == ms["张伟"].organization
    # running the job again changes nothing
    assert sweeps.sweep_run(sweep.pk).pk == sweep.pk and SweepFinding.objects.filter(sweep=sweep).count() == 5


def test_removal_waits_for_each_step_in_order(world, register_with_problems):
    sweep = open_sweep(world)
    finding = SweepFinding.objects.get(sweep=sweep, rule="lost_contact")
    branch = (
        world.users["branch_secretary"] if finding.organization == world.b1 else world.users["org_officer"]
    )
    with pytest.raises(ServiceError):  # the branch answers with facts before any outcome
        sweeps.finding_outcome(by=branch, finding=finding, outcome="remove")
    sweeps.finding_answer(by=branch, finding=finding, answer="电话、走访均联系不上，其家属称已外出多年。")
    sweeps.finding_outcome(by=branch, finding=finding, outcome="remove")
    with pytest.raises(ServiceError):  # the meeting before the statement
        sweeps.finding_meeting(by=branch, finding=finding, decision="同意除名", held_on=TODAY)
    with pytest.raises(ServiceError):  # the approval before the statement and the meeting
        sweeps.finding_approve(by=world.users["org_officer"], finding=finding, approval="区委组织部批复")
    sweeps.finding_statement(by=branch, finding=finding, declined=True)
    with pytest.raises(ServiceError):
        sweeps.finding_approve(by=world.users["org_officer"], finding=finding, approval="区委组织部批复")
    sweeps.finding_meeting(by=branch, finding=finding, decision="支部党员大会表决同意除名", held_on=TODAY)
    with pytest.raises(NotPermitted):  # the branch does not approve its own decision
        sweeps.finding_approve(by=world.users["branch_secretary"], finding=finding, approval="自批")
    sweeps.finding_approve(by=world.users["org_officer"], finding=finding, approval="江组〔2026〕12号")
    finding.refresh_from_db()
    member = Member.objects.get(pk=finding.member_id)
    assert finding.status == "closed" and finding.statement_declined
    assert member.archived_at is not None and "江组〔2026〕12号" in member.archived_reason


def test_rectify_is_an_obligation_with_its_date(world, register_with_problems):
    sweep = open_sweep(world)
    finding = SweepFinding.objects.get(sweep=sweep, rule="invalid_data")
    officer = world.users["org_officer"]
    sweeps.finding_answer(by=officer, finding=finding, answer="已核实，党员手机号码未登记。")
    with pytest.raises(ServiceError):
        sweeps.finding_outcome(by=officer, finding=finding, outcome="rectify")  # no date
    sweeps.finding_outcome(
        by=officer, finding=finding, outcome="rectify", deadline=TODAY + timedelta(days=10)
    )
    finding.refresh_from_db()
    assert (finding.obligation.organization, finding.obligation.due_date) == (
        world.c1,
        TODAY + timedelta(days=10),
    )
    sweeps.finding_rectified(by=officer, finding=finding, note="已补录手机号码")
    finding.refresh_from_db()
    assert finding.status == "closed" and finding.obligation.state == "done"


def test_the_pages(world, register_with_problems, login, committed):
    officer = login(world.users["org_officer"])
    with committed():
        response = officer.post(
            "/members/sweeps/", {"organization": world.district.code, "title": "", "as_of": ""}
        )
    assert response.status_code == 302
    page = officer.get(response["Location"]).content.decode()
    assert "sweep-sentence" in page and "5" in page
    sentence = page.split('id="sweep-sentence"')[1].split("</textarea>")[0]
    assert world.district.name in sentence and "6" in sentence
    assert officer.get(response["Location"] + "?format=xlsx").status_code == 200
    # the branch secretary sees the findings of the branch only
    secretary = login(world.users["branch_secretary"])
    mine = secretary.get(response["Location"]).content.decode()
    b1_names = set(Member.objects.filter(organization=world.b1).values_list("name", flat=True))
    others = set(SweepFinding.objects.exclude(organization=world.b1).values_list("member__name", flat=True))
    assert all(name not in mine for name in others - b1_names)
    finding = SweepFinding.objects.filter(organization=world.b1).first()
    if finding:
        assert (
            secretary.post(finding.get_absolute_url(), {"action": "answer", "answer": ""}).status_code == 400
        )
        ok = secretary.post(finding.get_absolute_url(), {"action": "answer", "answer": "已电话联系本人核实"})
        assert ok.status_code == 302
