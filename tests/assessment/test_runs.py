"""Runs over the test district against a hand-computed example: totals, grades, the veto cap, ranks; a changed
record gives a new run whose differences are listed; publishing; appeals in and after the window; bad input."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from luoshi.assessment import selectors, services
from luoshi.assessment.eligibility import verdicts
from luoshi.assessment.models import AppealStatus, Indicator, ManualScore, Run, RunStatus, Scheme
from luoshi.assessment.obligations import APPEAL_DECISION_DAYS
from luoshi.assessment.schemes import SchemeRefused, scheme_load_yaml, shipped_schemes
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.inspections.models import Rectification

from .conftest import SCHEME, period


def table(run):
    return {
        r.organization.code: (r.total, r.grade, r.vetoed, r.rank)
        for r in run.results.select_related("organization")
    }


def compute(world, scheme):
    since, until = period()
    return services.run_compute(by=world.users["org_officer"], scheme=scheme, since=since, until=until)


def test_totals_grades_veto_and_ranks_match_the_hand_computed_example(world, scheme, example):
    run = compute(world, scheme)
    assert table(run) == {
        "B3": (Decimal("100.00"), "一般", True, 1),  # 100 points, but the red line caps the grade
        "B2": (Decimal("90.00"), "好", False, 2),
        "B1": (Decimal("78.00"), "一般", False, 3),
    }
    b1 = run.results.get(organization=world.b1)
    assert b1.scores["B"][:3] == ["15.00", 1.0, 2.0] and b1.scores["C"][:3] == ["5.00", 1.0, 1.0]
    # the explanation names the records behind each number and the rule that made the points
    lines = {line.indicator.code: line for line in selectors.explain(b1)}
    assert [r.counts for r in lines["B"].records] == [True, False]
    assert "÷" in lines["B"].rule and lines["D"].manual.reason == "述职评议得分"
    assert [r.label for r in lines["C"].records] == [f"b1 报送工作总结（{world.obligations['b1'].due_date}）"]


def test_a_changed_record_gives_a_new_run_with_its_differences(world, scheme, example):
    first = compute(world, scheme)
    Rectification.objects.filter(pk=example["second"].pk).update(on_time=True, verified_at=timezone.now())
    second = compute(world, scheme)
    assert (second.number, second.based_on_id) == (2, first.pk)
    assert table(first)["B1"] == (Decimal("78.00"), "一般", False, 3)  # the first run is a snapshot
    assert table(second)["B1"] == (Decimal("93.00"), "好", False, 2)
    changes = {c.organization.code: c for c in selectors.run_diff(second)}
    assert set(changes) == {"B1", "B2"}  # B2 only moved down a rank
    assert changes["B1"].indicators == [("B", "15.00", "30.00")]
    assert (changes["B2"].before.rank, changes["B2"].after.rank) == (2, 3)


def test_publish_needs_every_entered_score_and_twice_changes_nothing(world, scheme, example):
    ManualScore.objects.filter(organization=world.b2).update(organization=world.x)  # B2's score gone
    run = compute(world, scheme)
    with pytest.raises(ServiceError):
        services.run_publish(by=world.users["org_officer"], run=run)
    assert Run.objects.get(pk=run.pk).status == RunStatus.DRAFT
    ManualScore.objects.filter(organization=world.x).update(organization=world.b2)
    run = compute(world, scheme)
    published = services.run_publish(by=world.users["org_officer"], run=run, appeal_days=7)
    again = services.run_publish(by=world.users["org_officer"], run=run, appeal_days=30)
    assert again.published_at == published.published_at and again.appeal_until == published.appeal_until
    with pytest.raises(NotPermitted):
        services.run_publish(by=world.users["street_secretary"], run=run)


def test_appeal_in_the_window_gives_a_new_version_and_after_it_is_refused(world, scheme, example):
    run = services.run_publish(by=world.users["org_officer"], run=compute(world, scheme), appeal_days=7)
    b1 = run.results.get(organization=world.b1)
    with pytest.raises(NotPermitted):  # another branch cannot appeal B1's result
        services.appeal_file(by=world.users["outsider"], result=b1, indicator_code="D", text="x")
    with pytest.raises(ServiceError):
        services.appeal_file(by=world.users["branch_secretary"], result=b1, indicator_code="D", text=" ")
    appeal = services.appeal_file(
        by=world.users["branch_secretary"], result=b1, indicator_code="D", text="述职评议漏计了一项民主测评"
    )
    # the office owes a decision: an obligation on its own unit, due in ten days, on the obligation lists
    owed = appeal.obligation
    assert (owed.organization, owed.state, owed.due_date) == (
        world.district,
        "open",
        timezone.localdate() + timedelta(days=APPEAL_DECISION_DAYS),
    )
    assert owed.subject_id == str(appeal.pk) and world.b1.name in owed.title
    with pytest.raises(ServiceError):  # upheld needs points within the indicator's range
        services.appeal_decide(
            by=world.users["org_officer"], appeal=appeal, upheld=True, reason="属实", new_points=25
        )
    decided = services.appeal_decide(
        by=world.users["org_officer"], appeal=appeal, upheld=True, reason="经核实属实", new_points=20
    )
    assert decided.status == AppealStatus.UPHELD
    owed.refresh_from_db()
    assert (owed.state, owed.closing_note) == ("done", "经核实属实")
    new = decided.new_run
    assert (new.number, new.version, new.status, new.based_on_id) == (run.number, 2, "published", run.pk)
    assert Run.objects.get(pk=run.pk).status == RunStatus.SUPERSEDED
    assert table(new)["B1"] == (Decimal("80.00"), "较好", False, 3)
    # deciding twice changes nothing
    again = services.appeal_decide(by=world.users["org_officer"], appeal=appeal, upheld=False, reason="再议")
    assert again.status == AppealStatus.UPHELD and Run.objects.filter(scheme=scheme).count() == 2
    later = timezone.now() + timedelta(days=8)
    with time_machine.travel(later, tick=False), pytest.raises(ServiceError) as refused:
        services.appeal_file(
            by=world.users["branch_secretary"],
            result=new.results.get(organization=world.b1),
            indicator_code="B",
            text="晚了",
        )
    assert "申诉" in str(refused.value.message) or "appeal" in str(refused.value.message)


def test_award_eligibility_with_reasons(world, scheme, example):
    run = services.run_publish(by=world.users["org_officer"], run=compute(world, scheme))
    award = scheme.awards.get()
    results = list(run.results.select_related("organization"))
    by_code = {v.organization.code: v for v in verdicts(run, award, results)}
    assert (
        by_code["B2"].eligible
        and by_code["B2"].secretary.name == "b2书记"
        and by_code["B2"].secretary_eligible
    )
    assert not by_code["B3"].eligible and any("一票否决" in r for r in by_code["B3"].reasons)
    assert not by_code["B1"].eligible


def test_bad_schemes_are_refused_whole_and_nothing_is_saved(world):
    base = SCHEME.format(year=2026)
    broken = {
        "weights": base.replace(
            "points: 40, source: duty.tasks_on_time", "points: 45, source: duty.tasks_on_time"
        ),
        "missing source": base.replace(", source: manual}", "}"),
        "unknown source": base.replace("source: manual", "source: nowhere.thing"),
        "cycle": base.replace(
            "  - {code: A, name: 任务按期完成, points: 40, source: duty.tasks_on_time}",
            "  - {code: A, parent: A2, name: x, points: 40}\n"
            "  - {code: A2, parent: A, name: y, points: 40, source: duty.tasks_on_time}",
        ),
        "grade": base.replace("veto_cap: 一般", "veto_cap: 优秀"),
    }
    for what, text in broken.items():
        with pytest.raises(SchemeRefused) as refused:
            scheme_load_yaml(text, issuer=world.district, by=world.users["org_officer"])
        assert refused.value.errors, what
    assert Scheme.objects.count() == 0 and Indicator.objects.count() == 0
    with pytest.raises(SchemeRefused) as weights:
        scheme_load_yaml(broken["weights"], issuer=world.district)
    assert "105" in weights.value.errors[0]
    with pytest.raises(SchemeRefused) as cycle:
        scheme_load_yaml(broken["cycle"], issuer=world.district)
    assert any("→" in e for e in cycle.value.errors)


def test_manual_scores_out_of_range_or_without_reason_are_refused(world, scheme):
    manual = scheme.indicators.get(code="D")
    for points, reason in ((21, "理由"), (-1, "理由"), (10, "  ")):
        with pytest.raises(ServiceError):
            services.manual_score_set(
                by=world.users["org_officer"],
                indicator=manual,
                organization=world.b1,
                points=points,
                reason=reason,
            )
    assert not ManualScore.objects.exists()


def test_the_shipped_schemes_load(world):
    for name, text in shipped_schemes().items():
        scheme = scheme_load_yaml(text, issuer=world.district)
        assert scheme.indicators.filter(source="").count() >= 0, name
    assert Scheme.objects.count() == 3


def test_grades_shown_to_a_district_come_from_its_own_runs(world, scheme, example):
    """Two districts in one database: the other district's newer run neither hides nor replaces ours."""
    from luoshi.accounts.models import Role
    from luoshi.accounts.services import role_grant
    from luoshi.reports.selectors import latest_runs

    ours = services.run_publish(by=world.users["org_officer"], run=compute(world, scheme))
    role_grant(
        by=None,
        user=world.users["auditor"],
        role=Role.objects.get(code="org_officer"),
        organization=world.other_district,
    )
    theirs_scheme = scheme_load_yaml(
        SCHEME.format(year=timezone.localdate().year), issuer=world.other_district
    )
    services.manual_score_set(
        by=world.users["auditor"],
        indicator=theirs_scheme.indicators.get(code="D"),
        organization=world.x,
        points=15,
        reason="述职评议",
    )
    since, until = period()
    theirs = services.run_publish(
        by=world.users["auditor"],
        run=services.run_compute(by=world.users["auditor"], scheme=theirs_scheme, since=since, until=until),
    )
    assert theirs.published_at >= ours.published_at
    runs = latest_runs(world.users["org_officer"])
    assert runs == [ours]
    grades = selectors.latest_grades([world.b1.pk, world.b2.pk], runs=runs)
    assert grades == {world.b1.pk: ("一般", 3), world.b2.pk: ("好", 2)}
