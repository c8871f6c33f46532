"""一级抓一级: a district task sent to a street, split by the street to every branch; two branches report,
one stays silent and climbs the ladder on the right days; the cascade view and the ledger show exactly that."""

from datetime import timedelta

import pytest

from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Escalation, Notification, ObligationState
from luoshi.core.obligations import obligation_sweep
from luoshi.duty import selectors, services
from luoshi.duty.models import Assignment, NodeState
from luoshi.duty.services import TaskSpec

from .conftest import BRANCH_DEADLINE, DEADLINE, START, at

pytestmark = pytest.mark.frozen(START)  # the world is built on the scenario's first day too


def rungs(assignment):
    return list(
        Escalation.objects.filter(obligation=assignment.obligation_id)
        .order_by("step_order")
        .values_list("action", "scheduled_on")
    )


def test_cascade_scenario(cascade):
    w = cascade
    a1, a2, a4 = (w.assignment[w.orgs[k].pk] for k in ("b1", "b2", "b4"))
    # the branches with a login were told, in their inbox, once each
    inbox = Notification.objects.filter(title__contains="开展廉政警示教育（支部）")
    assert sorted(inbox.values_list("recipient__username", flat=True)) == [
        "branch2_secretary",
        "branch_secretary",
    ]
    # each obligation knows its assignment, from its first version on
    assert a4.obligation.subject == a4
    assert a4.obligation.history.earliest().subject_id == str(a4.pk)
    with at(START + timedelta(days=3)):
        services.report_add(
            by=w.users["branch_secretary"], assignment=a1, text="已组织观看警示片。", completion=True
        )
        services.report_add(by=w.users["branch2_secretary"], assignment=a2, text="已学习通报，讨论安排中。")
        services.assignment_accept(by=w.users["street_secretary"], assignment=a1)

    # The silent branch climbs the ladder; the day before each rung nothing happens.
    for day, expected in (
        (BRANCH_DEADLINE - timedelta(days=4), []),
        (BRANCH_DEADLINE - timedelta(days=3), ["remind"]),
        (BRANCH_DEADLINE, ["remind"]),
        (BRANCH_DEADLINE + timedelta(days=1), ["remind", "warn"]),
        (BRANCH_DEADLINE + timedelta(days=6), ["remind", "warn"]),
        (BRANCH_DEADLINE + timedelta(days=7), ["remind", "warn", "circular"]),
    ):
        with at(day):
            obligation_sweep()
        assert [action for action, _day in rungs(a4)] == expected, day
    assert rungs(a4)[-1][1] == BRANCH_DEADLINE + timedelta(days=7)
    # The accepted branch never climbed; the reporting one is warned like the silent one.
    assert rungs(a1) == []
    assert [action for action, _d in rungs(a2)] == ["remind", "warn", "circular"]

    a4.refresh_from_db()
    assert a4.obligation.state == ObligationState.ESCALATED

    with at(BRANCH_DEADLINE + timedelta(days=8)):
        qs = selectors.cascade_queryset(w.users["org_officer"], w.task)
        states = {row.organization.code: row.node_state for row in qs}
        assert states == {
            "S1": NodeState.OVERDUE,  # passed down, but its own deadline is two days gone
            "B1": NodeState.DONE,
            "B2": NodeState.OVERDUE,
            "B4": NodeState.SILENT,
        }
        ordered = [row.organization.code for row in selectors.cascade_rows(qs)]
        assert ordered[:3] == ["B4", "B2", "S1"]  # silent, then overdue (longest overdue first)
        top = Assignment.objects.get(pk=w.top.pk)
        assert (top.children_done, top.children_total, top.progress_percent) == (1, 3, 33)

        ledger = selectors.table_rows(selectors.ledger_queryset(w.users["org_officer"]))
        rows = {
            (r["task_title"], r["org_code"]): (r["node_state"], r["days_overdue"], r["on_time"])
            for r in ledger
        }
        assert rows == {
            ("开展廉政警示教育", "S1"): (NodeState.OVERDUE, 2, None),
            ("开展廉政警示教育（支部）", "B1"): (NodeState.DONE, 0, True),
            ("开展廉政警示教育（支部）", "B2"): (NodeState.OVERDUE, 8, None),
            ("开展廉政警示教育（支部）", "B4"): (NodeState.SILENT, 8, None),
        }
        by_street = selectors.on_time_by_street(w.users["org_officer"], [w.task], [w.s1, w.s2])
        assert by_street == {(w.task.pk, w.s1.pk): (1, 4)}


def test_split_rules(cascade):
    w = cascade
    street = w.users["street_secretary"]
    with at(START + timedelta(days=1)):
        with pytest.raises(ServiceError) as late:
            services.task_split(
                by=street,
                assignment=w.top,
                spec=TaskSpec(title="x", deadline=DEADLINE + timedelta(days=1)),
                organizations=[w.b1],
            )
        assert late.value.field == "deadline"
        with pytest.raises(ServiceError) as outside:
            services.task_split(
                by=street, assignment=w.top, spec=TaskSpec(title="x", deadline=DEADLINE), organizations=[w.b3]
            )
        assert outside.value.field == "organizations"
        with pytest.raises(ServiceError):
            services.task_create(
                by=w.users["org_officer"], plan=w.plan, spec=TaskSpec(title="x", deadline=START)
            )
        with pytest.raises(NotPermitted):  # a branch secretary cannot send tasks
            services.task_assign(by=w.users["branch_secretary"], task=w.task, organizations=[w.b1])
        # the street cannot ask for completion before its branches finish
        with pytest.raises(ServiceError):
            services.report_add(by=street, assignment=w.top, text="完成", completion=True)


def test_accepting_twice_changes_nothing_and_return_needs_reason(cascade):
    w = cascade
    a1 = w.assignment[w.b1.pk]
    with at(START + timedelta(days=2)):
        services.report_add(by=w.users["branch_secretary"], assignment=a1, text="完成", completion=True)
        with pytest.raises(ServiceError):
            services.report_add(by=w.users["branch_secretary"], assignment=a1, text="再报", completion=True)
        with pytest.raises(ServiceError) as empty:
            services.assignment_return(by=w.users["street_secretary"], assignment=a1, reason=" ")
        assert empty.value.field == "reason"
        services.assignment_return(by=w.users["street_secretary"], assignment=a1, reason="缺少学习记录")
        a1.refresh_from_db()
        assert a1.obligation.state == ObligationState.OPEN
        services.report_add(by=w.users["branch_secretary"], assignment=a1, text="补充记录", completion=True)
        first = services.assignment_accept(by=w.users["street_secretary"], assignment=a1)
        again = services.assignment_accept(by=w.users["street_secretary"], assignment=a1)
    assert first.accepted_at == again.accepted_at
    assert Assignment.objects.get(pk=w.top.pk).children_done == 1
    assert a1.reports.count() == 4  # completion, returned, completion, accepted — and no second acceptance
