"""Organization-relationship transfers (组织关系转接): a letter valid 30 days (at most three months), the
receiving organization owing the receipt, the member moving only when it is recorded; a letter to an
organization outside the system closed by the receipt slip; a letter not received in time followed up."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.obligations import obligation_sweep
from luoshi.members import services
from luoshi.members.models import Member, Transfer

from .test_register import register


@pytest.fixture
def member(world):
    members = register(world)
    return next(m for m in members.values() if m.organization == world.b1)


def test_a_letter_to_another_street_received_there(world, member):
    secretary, officer = world.users["branch_secretary"], world.users["org_officer"]
    letter = services.transfer_issue(by=secretary, member=member, to_organization=world.b3, reason="搬家")
    today = timezone.localdate()
    assert (letter.valid_until, letter.status, letter.number) == (
        today + timedelta(days=30),
        "issued",
        f"{today.year}-00001",
    )
    owed = letter.obligation
    assert (owed.organization, owed.due_date, owed.state) == (world.b3, letter.valid_until, "open")
    member.refresh_from_db()
    assert member.organization == world.b1  # the sender stays responsible until the receipt
    with pytest.raises(ServiceError):  # one open letter per member
        services.transfer_issue(by=secretary, member=member, to_organization=world.b2, reason="又搬家")
    with pytest.raises(NotPermitted):  # the sender cannot receive for the receiving branch
        services.transfer_receive(by=secretary, transfer=letter)
    services.transfer_receive(by=officer, transfer=letter, note="本人已到支部报到")
    member.refresh_from_db()
    letter.refresh_from_db()
    owed.refresh_from_db()
    assert member.organization == world.b3 and letter.status == "received" and owed.state == "done"
    assert "转入" in member.history.first().history_change_reason or letter.number in (
        member.history.first().history_change_reason
    )
    again = services.transfer_receive(by=officer, transfer=letter)  # twice changes nothing
    assert (
        again.received_on == letter.received_on and Member.objects.get(pk=member.pk).organization == world.b3
    )


def test_bad_letters_are_refused_and_nothing_is_saved(world, member):
    secretary = world.users["branch_secretary"]
    for kwargs in (
        {"to_organization": world.b3, "reason": "搬家", "days": 100},  # more than three months
        {"reason": "搬家"},  # nowhere
        {"to_organization": world.b3, "to_name": "外省某支部", "reason": "搬家"},  # two places
        {"to_organization": world.b1, "reason": "搬家"},  # where the member already is
        {"to_organization": world.c1, "reason": "搬家"},  # a community that keeps no members
        {"to_organization": world.b3, "reason": " "},  # no reason
    ):
        with pytest.raises(ServiceError):
            services.transfer_issue(by=secretary, member=member, **kwargs)
    assert not Transfer.objects.exists()
    other = Member.objects.filter(organization=world.b3).first()
    with pytest.raises(NotPermitted):  # another street's member
        services.transfer_issue(by=secretary, member=other, to_organization=world.b1, reason="搬家")


def test_a_letter_not_received_in_time_climbs_the_ladder(world, member):
    letter = services.transfer_issue(
        by=world.users["branch_secretary"],
        member=member,
        to_organization=world.b3,
        reason="工作调动",
        days=10,
    )
    with time_machine.travel(timezone.now() + timedelta(days=12)):
        obligation_sweep()
    letter.obligation.refresh_from_db()
    assert letter.obligation.state == "overdue"


def test_out_of_the_system_with_the_receipt_slip_and_a_withdrawn_letter(world, member):
    secretary = world.users["branch_secretary"]
    out = services.transfer_issue(
        by=secretary, member=member, to_name="上海市某街道某党支部", reason="迁居上海"
    )
    assert out.obligation.organization == world.b1  # the sender owes the receipt slip
    services.transfer_receive(by=secretary, transfer=out, note="回执 沪组转〔2026〕88号")
    member.refresh_from_db()
    assert member.archived_at is not None and "上海" in member.archived_reason
    assert Member.objects.active().filter(pk=member.pk).count() == 0
    other = Member.objects.active().filter(organization=world.b1).first()
    letter = services.transfer_issue(by=secretary, member=other, to_organization=world.b2, reason="搬家")
    with pytest.raises(ServiceError):
        services.transfer_cancel(by=secretary, transfer=letter, reason="")
    services.transfer_cancel(by=secretary, transfer=letter, reason="开错了")
    letter.refresh_from_db()
    other.refresh_from_db()
    assert (
        letter.status == "cancelled" and letter.obligation.state == "done" and other.organization == world.b1
    )


def test_the_pages(world, member, login):
    secretary = login(world.users["branch_secretary"])
    page = secretary.get(member.get_absolute_url()).content.decode()
    assert f"/members/{member.pk}/transfer/" in page
    bad = secretary.post(
        f"/members/{member.pk}/transfer/", {"to_organization": "NOPE", "reason": "搬家", "days": 30}
    )
    assert bad.status_code == 400 and "NOPE" in bad.content.decode()  # what was typed stays
    sent = secretary.post(
        f"/members/{member.pk}/transfer/", {"to_organization": world.b3.code, "reason": "搬家", "days": 30}
    )
    assert sent.status_code == 302
    letter = Transfer.objects.get()
    officer = login(world.users["org_officer"])
    waiting = officer.get("/members/transfers/").content.decode()
    assert letter.number in waiting and member.name in waiting
    assert officer.post(letter.get_absolute_url(), {"action": "receive", "note": "已报到"}).status_code == 302
    letter.refresh_from_db()
    assert letter.status == "received"
    # the other street's secretary sees the letter that came into the street, and has no form to act on it
    seen = login(world.users["outsider"]).get(letter.get_absolute_url())
    assert seen.status_code == 200 and 'name="action"' not in seen.content.decode()
