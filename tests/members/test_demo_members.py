"""The demo district's member register: its size, realistic values, the secretaries in their own branches, the
deliberate flaws exactly as documented, and the sample sheet rows of the example import.

The district tree, its people and personas are built once for the module (in a transaction rolled back at the
end), without the obligations and the other apps' demo parts, which the register does not need."""

import time
from collections import Counter
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import transaction

from luoshi.accounts.models import User
from luoshi.accounts.services import roles_sync
from luoshi.demo.build import Builder
from luoshi.members import demo as members_demo
from luoshi.members.models import Member
from luoshi.members.validation import OrgRef, check_row
from luoshi.orgs.idcard import birth_date_of, check_digit, national_id_errors
from luoshi.orgs.models import Organization, OrgKind, Position, PositionKind
from luoshi.orgs.services import add_years


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        roles_sync()
        builder = Builder(seed=11, size="district", password="demo-password-1")
        root, levels = builder.build_tree()
        builder.build_people(levels)
        personas = builder.build_personas(root, levels)
        started = time.perf_counter()
        members_demo.build(builder, levels, personas)
        members_demo.sweep(builder, personas)  # run by the demo after organizational life
        elapsed = time.perf_counter() - started
        print(f"\nmembers demo: {Member.objects.count()} members in {elapsed:.1f} s")
        yield SimpleNamespace(builder=builder, levels=levels, personas=personas, elapsed=elapsed)
        transaction.set_rollback(True)


@pytest.fixture
def members(district, db):
    return list(Member.objects.select_related("organization"))


def _id_ok(m) -> bool:
    return (
        not national_id_errors(m.national_id)
        and birth_date_of(m.national_id) == m.birth_date
        and ("M" if int(m.national_id[16]) % 2 else "F") == m.sex
    )


def test_register_size_and_speed(district, members):
    assert 19_500 <= len(members) <= 20_500
    holders = Organization.objects.filter(holds_members=True, archived_at=None)
    per_org = Counter(m.organization_id for m in members)
    assert all(per_org[org.pk] >= 10 for org in holders)  # every organization holding members has some
    community_branches = [per_org[o.pk] for o in holders if o.kind == OrgKind.BRANCH and o.depth >= 4]
    # 40–150, less a member kept on the community instead (空挂), plus a duplicate's second copy
    assert 40 - members_demo.UNATTACHED <= min(community_branches)
    assert max(community_branches) <= 150 + members_demo.DUPLICATE_PAIRS
    assert sum(40 <= size <= 150 for size in community_branches) / len(community_branches) > 0.95
    from luoshi.members.models import MemberImport

    imported = MemberImport.objects.get(
        status="committed"
    )  # a street's new members, imported as a user would
    assert (imported.created_count, imported.error_rows) == (12, 0)
    refused = MemberImport.objects.get(status="refused")  # a branch's file with its errors listed
    assert (refused.valid_rows, refused.error_rows) == (5, 3) and refused.organization.holds_members
    assert (
        Member.history.filter(history_type="+", history_change_reason=members_demo.CHANGE_REASON).count()
        == len(members) - imported.created_count
    )
    officer = district.personas["org_officer"]["user"]
    secretary = district.personas["branch_secretary"]["user"]  # recorded a member out of touch, for the sweep
    assert set(Member.history.values_list("history_user_id", flat=True)) == {officer.pk, secretary.pk}


def test_values_are_realistic(district, members):
    today = district.builder.today
    n = len(members)
    males = sum(m.sex == "M" for m in members)
    assert 0.54 < males / n < 0.62
    ethnicities = Counter(m.ethnicity for m in members)
    assert ethnicities["汉族"] / n > 0.95 and set(ethnicities) <= {
        "汉族",
        "回族",
        "满族",
        "畲族",
        "土家族",
        "苗族",
    }
    assert len(ethnicities) >= 4
    assert all(date(1938, 1, 1) <= m.birth_date <= date(2004, 12, 31) for m in members)
    middle = sum(1950 <= m.birth_date.year <= 1990 for m in members)
    assert middle / n > 0.65
    assert {m.education for m in members} == set(members_demo.EDUCATION)
    assert all(m.initials and m.initials.isascii() for m in members)
    phones = [m.phone for m in members if m.phone]
    assert len(phones) == len(set(phones))
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" and p.isdigit() for p in phones)
    assert all(m.residence for m in members)
    local = [m for m in members if not m.mobile]
    assert all(m.residence.startswith("杭州市西湖区") for m in local)

    probationary = [m for m in members if m.category == "probationary"]
    assert 0.02 < len(probationary) / n < 0.04
    assert all(m.full_on is None and (today - m.joined_on).days < 366 for m in probationary)
    full = [m for m in members if m.category == "full"]
    assert all(add_years(m.joined_on, 1) <= m.full_on <= today for m in full)
    assert all((m.full_on - add_years(m.joined_on, 1)).days <= 30 for m in full)
    assert all(add_years(m.birth_date, 18) <= m.joined_on <= today for m in members)
    ages = [m.joined_on.year - m.birth_date.year for m in members]
    assert sum(20 <= a <= 40 for a in ages) / n > 0.7

    old = [m for m in members if (today - m.birth_date).days > 365 * 65 and not m.mobile]
    assert sum(m.post == "退休" for m in old) / len(old) > 0.8
    assert len({m.post for m in members}) >= 10

    mobile = [m for m in members if m.mobile]
    assert 0.012 < len(mobile) / n < 0.03
    assert all(not m.residence.startswith("杭州市") and m.post.startswith("外") for m in mobile)
    lost = [m for m in members if m.lost_contact]
    assert 0.002 < len(lost) / n < 0.007
    assert all(61 <= (today - m.lost_contact_since).days <= 913 for m in lost)
    assert all(m.lost_contact_since is None for m in members if not m.lost_contact)


def test_secretaries_are_members_of_their_branches(district, members):
    by_id = {m.national_id: m for m in members}
    secretaries = Position.objects.current(on=district.builder.today).filter(
        kind=PositionKind.SECRETARY, organization__holds_members=True
    )
    assert secretaries.count() > 300
    for position in secretaries.select_related("person"):
        person = position.person
        member = by_id[person.national_id]
        assert (member.name, member.sex, member.organization_id) == (
            person.name,
            person.sex,
            position.organization_id,
        )
        assert member.category == "full"
    branch_secretary = User.objects.get(username="branch_secretary").person
    branch = district.personas["branch_secretary"]["org"]
    assert Member.objects.filter(national_id=branch_secretary.national_id, organization=branch).exists()
    member = User.objects.get(username="member").person
    assert Member.objects.filter(national_id=member.national_id, organization=branch).exists()


def test_flaws_are_exactly_as_documented(district, members):
    unattached = [m for m in members if not m.organization.holds_members]
    assert len(unattached) == members_demo.UNATTACHED
    assert all(m.organization.kind == OrgKind.COMMUNITY for m in unattached)
    assert sum(m.phone == "" for m in members) == members_demo.NO_PHONE

    bad = [m for m in members if not _id_ok(m)]
    assert len(bad) == members_demo.BAD_CHECK_DIGIT + members_demo.DUPLICATE_PAIRS
    assert all(len(national_id_errors(m.national_id)) == 1 for m in bad)
    assert all(check_digit(m.national_id[:17]) != m.national_id[17] for m in bad)
    assert len({m.national_id for m in members}) == len(members)

    # the duplicates: the same birth date and sex, a name sounding the same, IDs one typo apart, other branches
    pairs = []
    by_key = {}
    for m in members:
        by_key.setdefault((m.initials, m.birth_date, m.sex, m.joined_on), []).append(m)
    for group in by_key.values():
        for a in group:
            for b in group:
                if a.pk < b.pk and _id_ok(a) and not _id_ok(b) and _one_typo(a.national_id, b.national_id):
                    pairs.append((a, b))
    assert len(pairs) == members_demo.DUPLICATE_PAIRS
    for a, b in pairs:
        assert a.organization_id != b.organization_id and a.phone != b.phone
        assert len(a.name) == len(b.name) and a.name[0] == b.name[0]
    assert any(a.name == b.name for a, b in pairs) and any(a.name != b.name for a, b in pairs)
    duplicated = {b.pk for _a, b in pairs} | {a.pk for a, _b in pairs}
    assert len(duplicated) == 2 * members_demo.DUPLICATE_PAIRS
    # each flaw on its own member
    flawed = [m.pk for m in unattached] + [m.pk for m in members if not m.phone] + [m.pk for m in bad]
    assert len(set(flawed)) == len(flawed)

    # every record without a deliberate flaw is valid
    clean = [m for m in members if m.pk not in set(flawed) | duplicated]
    assert all(_id_ok(m) and m.organization.holds_members and m.phone for m in clean)


def _one_typo(a: str, b: str) -> bool:
    diff = [k for k in range(18) if a[k] != b[k]]
    swapped = (
        len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    )
    return len(diff) == 1 or swapped


def test_sample_rows(district, db):
    orgs = list(Organization.objects.filter(path__startswith=district.levels[0][0].path))
    organizations = {o.code: OrgRef(o.pk, o.holds_members) for o in orgs}
    today = district.builder.today
    registered = set(Member.objects.values_list("national_id", flat=True))
    rows = members_demo.sample_rows(district.builder, orgs, 60, flawed=10)
    assert len(rows) == 60 and all(len(row) == 16 for row in rows)
    results = [check_row(row, organizations=organizations, today=today) for row in rows]
    wrong = [errors for clean, errors in results if clean is None]
    assert len(wrong) == 10 and all(len(errors) == 1 for errors in wrong)
    columns = Counter(e[0].replace("：", ":").split(":")[0] for e in wrong)
    assert columns == {"公民身份号码": 2, "出生日期": 2, "手机号码": 2, "转正日期": 2, "所在党组织代码": 2}
    assert not {row[3] for row in rows} & registered
    assert len({row[3] for row in rows}) == 60
    assert all(isinstance(row[4], date) and isinstance(row[8], date) for row in rows)
    assert {row[1] for row in rows} <= {"男", "女"} and {row[13] for row in rows} <= {"是", "否"}

    again = Builder(seed=3, size="district", password="x", today=today)
    other = Builder(seed=3, size="district", password="x", today=today)
    assert members_demo.sample_rows(again, orgs, 20, flawed=5) == members_demo.sample_rows(
        other, orgs, 20, flawed=5
    )
