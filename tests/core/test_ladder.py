"""The obligation ladder with a frozen clock: remind → warn → proposed circular on the right days, a proposal
waits for a person, the sweep is idempotent, and a done obligation stops escalating."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Escalation, EscalationStatus, Notification, Obligation, StepAction
from luoshi.core.obligations import (
    escalation_decide,
    obligation_complete,
    obligation_create,
    obligation_mark_done,
    obligation_sweep,
    obligation_waive,
)

DUE = date(2026, 3, 16)
# The world is built on a fixed day after the scenario's days, so that its own supervision items (due five
# days after it is built) never come due within them; the scenario travels back to its own days.
pytestmark = pytest.mark.frozen(DUE + timedelta(days=60))
TZ = ZoneInfo("Asia/Shanghai")


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ), tick=False)


def sweep_on(day: date):
    with at(day):
        return obligation_sweep()


@pytest.fixture
def item(world):
    with at(DUE - timedelta(days=20)):
        return obligation_create(
            kind="core.supervision_item",
            title="报送整改报告",
            organization=world.b1,
            due_date=DUE,
            created_by=world.users["discipline_officer"],
        )


def rungs(obligation):
    return list(obligation.escalations.order_by("step_order").values_list("action", "status"))


def test_ladder_steps_on_the_right_days(world, item):
    branch_user = world.users["branch_secretary"]

    assert sweep_on(DUE - timedelta(days=4)).examined == 0
    assert rungs(item) == []

    result = sweep_on(DUE - timedelta(days=3))
    assert result.reminders == 1
    assert rungs(item) == [("remind", "applied")]
    assert (
        Notification.objects.filter(recipient=branch_user, title__contains="报送整改报告").count() == 2
    )  # new + due

    sweep_on(DUE)  # the due day itself: nothing new, still open
    item.refresh_from_db()
    assert item.state == "open" and len(rungs(item)) == 1

    sweep_on(DUE + timedelta(days=1))
    item.refresh_from_db()
    assert item.state == "overdue"
    assert rungs(item)[-1] == ("warn", "applied")

    sweep_on(DUE + timedelta(days=6))
    assert len(rungs(item)) == 2  # the circular is proposed on day 7, not before

    sweep_on(DUE + timedelta(days=7))
    item.refresh_from_db()
    assert item.state == "escalated"
    assert rungs(item)[-1] == ("circular", "proposed")
    confirmers = set(
        Notification.objects.filter(title__contains="通报").values_list("recipient__username", flat=True)
    )
    # District roles holding "confirm" are asked; the unit itself and its street secretary are not.
    assert {"district_admin", "org_officer", "discipline_officer"} <= confirmers
    assert "branch_secretary" not in confirmers and "street_secretary" not in confirmers


def test_sweep_is_idempotent(world, item):
    first = sweep_on(DUE + timedelta(days=7))
    snapshot = (rungs(item), Notification.objects.count(), Obligation.objects.get(pk=item.pk).state)
    second = sweep_on(DUE + timedelta(days=7))
    assert first.proposals == 1 and second.proposals == 0 and second.warnings == 0
    assert (rungs(item), Notification.objects.count(), Obligation.objects.get(pk=item.pk).state) == snapshot


def test_catch_up_skips_stale_reminder_and_stops_at_first_proposal(world, item):
    """A sweep that did not run for weeks applies the warning, proposes one consequence and waits."""
    sweep_on(DUE + timedelta(days=20))
    assert rungs(item) == [("warn", "applied"), ("circular", "proposed")]


def test_proposal_waits_for_a_person_then_the_ladder_goes_on(world, item):
    sweep_on(DUE + timedelta(days=7))
    sweep_on(DUE + timedelta(days=15))
    assert [a for a, _ in rungs(item)] == ["warn", "circular"]  # held: named criticism not yet

    circular = item.escalations.get(action=StepAction.CIRCULAR)
    with pytest.raises(ServiceError):
        escalation_decide(
            escalation=circular, user=world.users["discipline_officer"], confirm=True, reason="  "
        )
    with pytest.raises(NotPermitted):  # the unit does not judge itself, nor does its street without the right
        escalation_decide(escalation=circular, user=world.users["street_secretary"], confirm=True, reason="x")
    with at(DUE + timedelta(days=15)):
        escalation_decide(
            escalation=circular, user=world.users["discipline_officer"], confirm=True, reason="逾期未报送"
        )
    circular.refresh_from_db()
    assert circular.status == EscalationStatus.CONFIRMED
    assert circular.decided_by == world.users["discipline_officer"] and circular.reason == "逾期未报送"
    with pytest.raises(ServiceError):
        escalation_decide(
            escalation=circular, user=world.users["district_admin"], confirm=False, reason="again"
        )

    sweep_on(DUE + timedelta(days=15))
    assert rungs(item)[-1] == ("named_criticism", "proposed")


def test_done_obligation_stops_escalating(world, item):
    sweep_on(DUE + timedelta(days=1))
    with at(DUE + timedelta(days=2)):
        obligation_complete(obligation=item, user=world.users["branch_secretary"], note="已报送")
    before = rungs(item)
    result = sweep_on(DUE + timedelta(days=30))
    item.refresh_from_db()
    assert item.state == "done" and item.closed_by == world.users["branch_secretary"]
    assert rungs(item) == before and result.examined == 0


def test_complete_and_waive_rules(world, item):
    with pytest.raises(NotPermitted):  # a sibling branch cannot report our work done
        obligation_complete(obligation=item, user=world.users["outsider"], note="x")
    with pytest.raises(ServiceError):
        obligation_complete(obligation=item, user=world.users["branch_secretary"], note="")
    with pytest.raises(NotPermitted):  # a branch cannot waive its own obligation
        obligation_waive(obligation=item, user=world.users["branch_secretary"], reason="太忙")
    obligation_waive(obligation=item, user=world.users["street_secretary"], reason="任务调整")
    item.refresh_from_db()
    assert item.state == "waived" and item.closing_note == "任务调整"
    with pytest.raises(ServiceError):
        obligation_mark_done(obligation=item)


def test_ladder_is_data_an_admin_can_change(world, item):
    """Editing the policy's rows changes what the sweep does; no code change."""
    from luoshi.core.obligations import policy_offsets_set

    sweep_on(DUE + timedelta(days=1))  # warned; the circular would come on day 7
    circular = item.policy.steps.get(action=StepAction.CIRCULAR)
    policy_offsets_set(policy=item.policy, user=world.users["district_admin"], offsets={circular.order: 3})
    sweep_on(DUE + timedelta(days=3))
    assert rungs(item)[-1] == ("circular", "proposed")


def test_escalations_are_unique_per_step(world, item):
    sweep_on(DUE + timedelta(days=7))
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(
            obligation=item, step_order=2, action="warn", scheduled_on=DUE, status="applied"
        )


def test_completing_is_for_the_unit_itself_not_those_above(world, item):
    with pytest.raises(NotPermitted):  # the street holds 'complete' for the street's own items only
        obligation_complete(obligation=item, user=world.users["street_secretary"], note="代报")
    street_item = world.obligations["s1"]
    obligation_complete(obligation=street_item, user=world.users["street_secretary"], note="已完成")


def test_waiving_withdraws_pending_proposals(world, item):
    sweep_on(DUE + timedelta(days=7))
    obligation_waive(obligation=item, user=world.users["street_secretary"], reason="任务取消")
    circular = item.escalations.get(action=StepAction.CIRCULAR)
    assert circular.status == "withdrawn" and circular.reason == "任务取消"
    with pytest.raises(ServiceError):
        escalation_decide(
            escalation=circular, user=world.users["discipline_officer"], confirm=True, reason="x"
        )


def test_one_broken_obligation_does_not_stop_the_sweep(world, item, monkeypatch):
    from luoshi.core import obligations

    other = obligation_create(
        kind="core.supervision_item", title="另一项", organization=world.b2, due_date=DUE
    )
    real = obligations._advance

    def fragile(obligation, *args):
        if obligation.pk == item.pk:
            raise RuntimeError("broken record")
        return real(obligation, *args)

    monkeypatch.setattr(obligations, "_advance", fragile)
    result = sweep_on(DUE + timedelta(days=1))
    assert result.failed == 1 and result.examined == 1
    assert Obligation.objects.get(pk=other.pk).state == "overdue"


def test_new_secretary_takes_over_open_obligations(world, item):
    from luoshi.orgs.models import Person
    from luoshi.orgs.services import position_assign

    successor = Person.objects.create(name="新书记")
    position_assign(organization=world.b1, person=successor, kind="secretary", start_date=DUE)
    item.refresh_from_db()
    assert item.responsible == successor
    # the predecessor's login no longer sees it through being responsible (only through a grant)
    predecessor = world.users["branch_secretary"]  # the login of b1's first secretary
    assert not Obligation.objects.filter(pk=item.pk, responsible__user=predecessor).exists()
