"""The duplicate-registration review queue: a search finds a member registered twice (the ID one character off,
as legacy data has it), the pair shows what each comparison contributed; merging keeps both histories and moves
the dues; a pair marked as two people never returns; the sweep's duplicate rule has no data until a search ran."""

from datetime import date

import pytest

from luoshi.core.errors import ServiceError
from luoshi.members import dues, duplicates, sweeps
from luoshi.members.models import DuesPayment, DuplicatePair, Member
from luoshi.members.services import initials_of

from .test_register import register


@pytest.fixture
def twice(world):
    register(world)
    first = Member.objects.get(name="张伟")
    wrong = first.national_id[:10] + ("1" if first.national_id[10] != "1" else "2") + first.national_id[11:]
    second = Member.objects.create(
        **{
            f.name: getattr(first, f.name)
            for f in Member._meta.concrete_fields
            if f.name not in ("id", "national_id", "organization", "phone", "created_at", "updated_at")
        },
        national_id=wrong,
        organization=world.b3,
        phone="13900000001",
    )
    second.initials = initials_of(second.name)
    return first, second


def test_search_review_and_merge(world, twice, login):
    first, second = twice
    officer = world.users["org_officer"]
    dues.assess(by=officer, member=second, year=2026, basis="student")
    dues.pay(by=officer, member=second, month="2026-01", amount="0.2", paid_on=date(2026, 1, 5))
    before = sweeps.sweep_run(sweeps.sweep_open(by=officer, organization=world.district, queue=False).pk)
    assert before.summary["rules"]["duplicate"]["no_data"] == 7  # no search yet: not "none found"
    run = duplicates.search(by=officer, organization=world.district)
    pair = DuplicatePair.objects.get()
    assert {pair.member_l_id, pair.member_r_id} == {first.pk, second.pk} and run.new_pairs == 1
    assert pair.comparisons["national_id"][0] == "One character off, check digit fails"
    assert pair.comparisons["national_id"][1] > 0 and pair.comparisons["phone"][1] < 0
    page = login(officer).get(pair.get_absolute_url()).content.decode()
    assert "差一位" in page or "校验码" in page  # the level, in Chinese
    after = sweeps.sweep_run(sweeps.sweep_open(by=officer, organization=world.district, queue=False).pk)
    assert after.summary["rules"]["duplicate"] == {"checked": 7, "found": 2, "no_data": 0}
    with pytest.raises(ServiceError):
        duplicates.merge(by=officer, pair=pair, keep=first, reason="")
    duplicates.merge(by=officer, pair=pair, keep=first, reason="与本人核实，同一人重复登记")
    second.refresh_from_db()
    assert second.archived_at is not None and f"#{first.pk}" in second.archived_reason
    assert DuesPayment.objects.get().member_id == first.pk  # the payments follow the person
    assert second.history.count() >= 2 and first.history.exists()  # both histories kept
    duplicates.search(by=officer, organization=world.district)
    assert DuplicatePair.objects.count() == 1  # the merged record is out of the register


def test_two_people_never_return(world, twice):
    officer = world.users["org_officer"]
    duplicates.search(by=officer, organization=world.district)
    pair = DuplicatePair.objects.get()
    duplicates.reject(by=officer, pair=pair, reason="核对身份证，二人为同名同生日的不同人")
    again = duplicates.search(by=officer, organization=world.district)
    assert again.new_pairs == 0 and DuplicatePair.objects.get().status == "rejected"
    assert login_free_branch_cannot_review(world, pair)


def login_free_branch_cannot_review(world, pair) -> bool:
    """B1's secretary manages only one of the two records: not theirs to decide."""
    from luoshi.core.errors import NotPermitted

    try:
        duplicates.reject(by=world.users["branch_secretary"], pair=pair, reason="x")
    except NotPermitted:
        return True
    return False
