"""A period whose end is before its start is refused with a message — on the ledger (督办台账) and its Excel
export, the work summary and the supervision statistics (page and API) — not answered with 0 rows or
silently swapped. One rule, in luoshi.core.periods."""

from datetime import date, timedelta

import pytest

from luoshi.core.periods import PeriodRefused, period_from_query

from .conftest import BRANCH_DEADLINE, START, at

pytestmark = pytest.mark.frozen(START)

MESSAGE = "结束日期早于开始日期"
SINCE, UNTIL = START, START + timedelta(days=30)
BACKWARDS = f"since={UNTIL}&until={SINCE}"


def late_day():
    return at(BRANCH_DEADLINE + timedelta(days=8))


def test_the_rule():
    assert period_from_query({"since": "2026-03-01", "until": "2026-03-01"}) == (date(2026, 3, 1),) * 2
    assert period_from_query({"since": "bad"}, since=date(2026, 1, 1)) == (date(2026, 1, 1), None)
    with pytest.raises(PeriodRefused) as refused:
        period_from_query({"since": "2026-03-02", "until": "2026-03-01"})
    assert (refused.value.since, refused.value.until) == (date(2026, 3, 2), date(2026, 3, 1))
    assert MESSAGE in str(refused.value.message)
    with pytest.raises(PeriodRefused):  # against a default end, too
        period_from_query({"since": "2026-12-31"}, until=date(2026, 3, 1))


def test_the_ledger_refuses_a_backwards_period(cascade, login):
    with late_day():
        officer = login(cascade.users["org_officer"])
        forwards = officer.get(f"/duty/ledger/?since={SINCE}&until={UNTIL}")
        page = officer.get(f"/duty/ledger/?{BACKWARDS}")
    assert forwards.status_code == 200 and "/duty/assignments/" in forwards.content.decode()
    body = page.content.decode()
    assert page.status_code == 400 and MESSAGE in body
    assert "/duty/assignments/" not in body
    assert f'name="since" value="{UNTIL}"' in body and f'name="until" value="{SINCE}"' in body  # as typed


def test_the_ledger_export_refuses_a_backwards_period(cascade, login):
    with late_day():
        officer = login(cascade.users["org_officer"])
        export = officer.get(f"/duty/ledger/?{BACKWARDS}&format=xlsx")
    assert export.status_code == 400 and export["Content-Type"].startswith("text/html")
    assert MESSAGE in export.content.decode()


def test_the_summary_refuses_a_backwards_period_instead_of_swapping_it(cascade, login):
    with late_day():
        officer = login(cascade.users["org_officer"])
        page = officer.get(f"/duty/summary/?{BACKWARDS}")
    assert page.status_code == 400 and MESSAGE in page.content.decode()


def test_the_supervision_statistics_refuse_a_backwards_period(world, login, api):
    page = login(world.users["district_admin"]).get(f"/accountability/statistics/?{BACKWARDS}")
    assert page.status_code == 400 and MESSAGE in page.content.decode()
    answer = api(world.users["district_admin"]).get(f"/api/accountability/statistics/?{BACKWARDS}")
    assert answer.status_code == 400 and MESSAGE in answer.json()["until"][0]
    assert api(world.users["district_admin"]).get("/api/accountability/statistics/").status_code == 200
