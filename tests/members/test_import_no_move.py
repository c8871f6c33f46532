"""Imports never move a member: a row whose national ID is already registered in another organization is
refused (naming that organization only within the importer's scope) and points to a transfer (组织关系转接);
a row corrects a member of its own organization, kept in the member's history. A correction by hand cannot
change the organization either."""

import pytest

from luoshi.core.errors import ServiceError
from luoshi.members import services
from luoshi.members.models import Member, MemberImport

from .sheets import row, xlsx
from .test_register import register


@pytest.fixture
def upload(committed):
    def _upload(client, world, rows, org="district"):
        with committed():
            response = client.post(
                "/members/imports/", {"organization": world.orgs[org].code, "file": xlsx(rows)}
            )
        assert response.status_code == 302, response.content.decode()[-2000:]
        return MemberImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])

    return _upload


def _snapshot():
    return (
        sorted(Member.objects.values_list("national_id", "organization_id", "phone")),
        Member.history.count(),
    )


def test_the_same_id_under_another_branch_in_scope_is_refused_and_offers_a_transfer(world, login, upload):
    register(world)  # row n is in b1, b2, b3 for n % 3 == 0, 1, 2
    before = _snapshot()
    officer = login(world.users["org_officer"])
    moved = row(0, world.b2.code)  # member 0 is registered in B1
    job = upload(officer, world, [row(6, world.b1.code), moved])
    assert job.status == "refused" and list(job.errors) == ["3"]
    message = job.errors["3"][0]
    assert world.b1.name in message and "组织关系转接" in message
    page = officer.get(job.get_absolute_url()).content.decode()
    member = Member.objects.get(national_id=moved[3])
    assert world.b1.name in page and f"/members/{member.pk}/transfer/" in page  # the way to the transfer
    with pytest.raises(ServiceError):
        services.import_commit(by=world.users["org_officer"], job=job)
    assert _snapshot() == before  # not moved, and the good row not imported either
    member.refresh_from_db()
    assert member.organization == world.b1


def test_an_import_into_a_street_cannot_take_a_member_of_another_street(world, login, upload):
    register(world)
    before = _snapshot()
    officer = login(world.users["org_officer"])
    job = upload(officer, world, [row(0, world.b3.code)], org="s2")  # member 0 is in B1, under S1
    assert job.status == "refused" and world.b1.name in job.errors["2"][0]
    assert _snapshot() == before


def test_the_same_id_under_a_branch_outside_scope_says_registered_elsewhere(world, login, upload):
    register(world)
    before = _snapshot()
    secretary = login(world.users["branch_secretary"])  # B1's register only
    job = upload(secretary, world, [row(2, world.b1.code)], org="b1")  # member 2 is registered in B3
    assert job.status == "refused" and list(job.errors) == ["2"]
    message = job.errors["2"][0]
    assert "已在其他组织登记" in message and "组织关系转接" in message
    page = secretary.get(job.get_absolute_url()).content.decode()
    assert world.b3.name not in page and "/transfer/" not in page  # nothing of the other street is told
    assert _snapshot() == before


def test_the_same_id_twice_in_one_file(world, login, upload):
    officer = login(world.users["org_officer"])
    first, twin = row(0, world.b1.code), row(0, world.b2.code)
    job = upload(officer, world, [first, row(1, world.b1.code), twin])
    assert job.status == "refused" and list(job.errors) == ["4"]
    assert "2" in job.errors["4"][0] and "公民身份号码" in job.errors["4"][0]
    assert not Member.objects.exists()


def test_a_corrected_phone_updates_the_member_in_place_with_history(world, login, upload):
    register(world)
    member = Member.objects.get(national_id=row(0, world.b1.code)[3])
    versions = member.history.count()
    secretary = login(world.users["branch_secretary"])
    fixed = row(0, world.b1.code)
    fixed[11] = "13700000000"
    job = upload(secretary, world, [fixed], org="b1")
    assert (job.status, job.created_count, job.updated_count) == ("checked", 0, 1)
    assert secretary.post(f"/members/imports/{job.pk}/commit/").status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.organization) == ("13700000000", world.b1)
    assert member.history.count() == versions + 1
    latest = member.history.first()
    assert (
        latest.history_user == world.users["branch_secretary"]
        and job.filename in latest.history_change_reason
    )


def test_a_transfer_received_between_the_check_and_the_commit_refuses_the_commit(world, committed):
    register(world)
    officer = world.users["org_officer"]
    member = Member.objects.get(national_id=row(0, world.b1.code)[3])
    fixed = row(0, world.b1.code)
    fixed[11] = "13700000000"
    with committed():
        job = services.import_start(by=officer, organization=world.district, upload=xlsx([fixed]))
    job.refresh_from_db()
    assert job.status == "checked"
    letter = services.transfer_issue(by=officer, member=member, to_organization=world.b2, reason="搬家")
    services.transfer_receive(by=officer, transfer=letter)
    job = services.import_commit(by=officer, job=job, queue=False)
    member.refresh_from_db()
    assert job.status == "refused" and world.b2.name in job.errors["2"][0]
    assert (member.organization, member.phone) == (world.b2, row(0, world.b1.code)[11])


def test_a_correction_by_hand_cannot_change_the_organization(world, login):
    register(world)
    member = Member.objects.get(national_id=row(0, world.b1.code)[3])
    with pytest.raises(ServiceError):
        services.member_update(
            by=world.users["org_officer"], member=member, values={"organization_id": world.b2.pk}, reason="x"
        )
    officer = login(world.users["org_officer"])
    url = f"/members/{member.pk}/edit/"
    form = officer.get(url).content.decode()
    assert "组织关系转接" in form  # the form says where the organization changes
    fields = {f"c{i}": v for i, v in enumerate(_values(member))}
    versions = member.history.count()
    refused = officer.post(url, {**fields, "c7": world.b2.code, "reason": "调整支部"})
    assert refused.status_code == 400 and "组织关系转接" in refused.content.decode()
    member.refresh_from_db()
    assert member.organization == world.b1 and member.history.count() == versions


def _values(m):
    return [
        m.name,
        "男" if m.sex == "M" else "女",
        m.ethnicity,
        m.national_id,
        m.birth_date.isoformat(),
        m.education,
        "正式党员" if m.category == "full" else "预备党员",
        m.organization.code,
        m.joined_on.isoformat(),
        m.full_on.isoformat() if m.full_on else "",
        m.post,
        m.phone,
        m.residence,
        "否",
        "否",
        "",
    ]
