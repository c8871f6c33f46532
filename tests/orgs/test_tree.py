from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from luoshi.core.errors import ServiceError
from luoshi.core.models import Obligation
from luoshi.core.obligations import run_syncs
from luoshi.orgs.idcard import check_digit, national_id_errors
from luoshi.orgs.models import Organization, OrgKind, Term, TermRule
from luoshi.orgs.selectors import sitting_secretary
from luoshi.orgs.services import organization_create, term_start
from luoshi.orgs.tree import minimal_cover, subtree_bounds


def test_subtree_is_one_range_query(world):
    names = set(Organization.objects.subtree(world.s1.path).values_list("code", flat=True))
    assert names == {"S1", "C1", "B1", "B2"}
    low, high = subtree_bounds("000001000002")
    assert (low, high) == ("000001000002", "000001000003")
    assert minimal_cover(["000001000002", "000001", "000002000001000001", "000002"]) == ["000001", "000002"]


def test_subtree_query_uses_the_path_index(world):
    qs = Organization.objects.subtree(world.s1.path)
    with connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING INDEX" in plan and "path" in plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan


def test_kinds_must_nest(world):
    with pytest.raises(ServiceError):
        organization_create(name="错层", kind=OrgKind.STREET, code="BAD", parent=world.c1)
    with pytest.raises(ServiceError):
        organization_create(name="重复", kind=OrgKind.BRANCH, code="B1", parent=world.c1)


def test_children_get_distinct_paths_and_counts(world):
    c1 = Organization.objects.get(pk=world.c1.pk)
    assert c1.children_count == 2
    b4 = organization_create(name="第四支部", kind=OrgKind.BRANCH, code="B4", parent=c1)
    assert b4.path.startswith(c1.path) and b4.depth == 4 and b4.holds_members
    assert len({o.path for o in Organization.objects.all()}) == Organization.objects.count()


def test_term_renewal_due_follows_the_rules_kept_as_data(world):
    start = date(2024, 6, 1)
    branch = organization_create(name="新支部", kind=OrgKind.BRANCH, code="NB", parent=world.c1)
    community = organization_create(name="新社区", kind=OrgKind.COMMUNITY, code="NC", parent=world.s1)
    assert term_start(organization=branch, start_date=start).renewal_due == date(2027, 6, 1)
    assert term_start(organization=community, start_date=start).renewal_due == date(2029, 6, 1)
    TermRule.objects.filter(kind=OrgKind.BRANCH).update(years=5)
    other = organization_create(name="另一支部", kind=OrgKind.BRANCH, code="NB2", parent=world.c1)
    assert term_start(organization=other, start_date=start).renewal_due == date(2029, 6, 1)


def test_renewal_obligation_opens_ahead_and_closes_on_election(world):
    today = timezone.localdate()
    branch = organization_create(name="到期支部", kind=OrgKind.BRANCH, code="DUE", parent=world.c1)
    term_start(organization=branch, start_date=today - timedelta(days=3 * 365 - 30))
    run_syncs()
    run_syncs()  # idempotent
    [renewal] = Obligation.objects.filter(organization=branch, policy__kind="orgs.term_renewal")
    assert renewal.due_date == Term.objects.get(organization=branch, ended_on=None).renewal_due
    term_start(organization=branch, start_date=today)
    renewal.refresh_from_db()
    assert renewal.state == "done"


def test_sitting_secretary(world):
    assert sitting_secretary(world.b1) == world.people["b1"]


@pytest.mark.parametrize(
    "value,ok",
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),  # wrong check digit
        ("110105194902300020", False),  # 30 February
        ("11010519491231002", False),
    ],
)
def test_national_id(value, ok):
    assert (national_id_errors(value) == []) is ok


def test_check_digit():
    assert check_digit("11010519491231002") == "X"


def test_counts_for_many_siblings_use_one_range(world):
    """Above 50 nodes the counts use the common ancestor's range (SQLite caps an expression's depth)."""
    from luoshi.core.obligations import obligation_create
    from luoshi.orgs.selectors import SMALL_NODE_LIST, obligation_counts_by_subtree

    today = timezone.localdate()
    branches = [
        organization_create(name=f"支部{i}", kind=OrgKind.BRANCH, code=f"MANY{i}", parent=world.c2)
        for i in range(SMALL_NODE_LIST + 5)
    ]
    for i, branch in enumerate(branches):
        for _ in range(i % 3):
            obligation_create(
                kind="core.supervision_item",
                title="t",
                organization=branch,
                due_date=today - timedelta(days=i % 2),
            )
    counts = obligation_counts_by_subtree(branches)
    assert [counts[b.pk]["open"] for b in branches] == [i % 3 for i in range(len(branches))]
    assert [counts[b.pk]["overdue"] for b in branches] == [(i % 3) * (i % 2) for i in range(len(branches))]
    few = obligation_counts_by_subtree(branches[:3])
    assert [few[b.pk]["open"] for b in branches[:3]] == [0, 1, 2]


def test_no_renewal_obligation_for_a_root(world):
    today = timezone.localdate()
    Term.objects.filter(organization=world.district, ended_on=None).update(
        renewal_due=today + timedelta(days=10)
    )
    run_syncs()
    assert not Obligation.objects.filter(
        organization=world.district, policy__kind="orgs.term_renewal"
    ).exists()
