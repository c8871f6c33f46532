"""Malformed input to the register's API is answered 400 with the field's own message, in Chinese by default,
and saves nothing (the fuzz of tests/test_api_fuzz.py found these; each was a 500 or a record no one meant)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.accounts.models import Role
from luoshi.accounts.services import role_grant
from luoshi.members.models import DuesPayment, Member, MemberImport, Sweep, Transfer

from .test_register import register


def test_a_sweep_as_of_the_year_1_is_refused(world, api):
    # A sweep as of 0001-01-01 was opened, and its background check then failed on "year 0 is out of range".
    officer = api(world.users["org_officer"])
    response = officer.post(
        "/api/members/sweeps/", {"organization": world.district.pk, "as_of": "0001-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "1900-01-01" in response.json()["as_of"][0] and "日期" in response.json()["as_of"][0]
    assert not Sweep.objects.exists()


def test_a_transfer_reason_longer_than_the_letter_holds_is_refused(world, api):
    # The column holds 200 characters: PostgreSQL answered 500, SQLite kept the whole text.
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    secretary = api(world.users["branch_secretary"])
    response = secretary.post(
        "/api/members/transfers/",
        {"member": member.pk, "to_organization": world.b3.pk, "reason": "搬家" * 101},
        format="json",
    )
    assert response.status_code == 400
    assert "200" in response.json()["reason"][0]
    assert not Transfer.objects.exists()


def test_a_transfer_to_an_organization_that_does_not_exist_says_so(world, api):
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    secretary = api(world.users["branch_secretary"])
    response = secretary.post(
        "/api/members/transfers/",
        {"member": member.pk, "to_organization": 2**63, "reason": "搬家"},
        format="json",
    )
    assert response.status_code == 400
    assert "不存在" in response.json()["to_organization"][0]
    assert not Transfer.objects.exists()


def test_dues_for_the_month_of_the_year_1_are_refused(world, api):
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    role_grant(
        by=None,
        user=world.users["branch_secretary"],
        role=Role.objects.get(code="dues_keeper"),
        organization=world.b1,
    )
    keeper = api(world.users["branch_secretary"])
    response = keeper.post(
        "/api/members/dues/",
        {"member": member.pk, "month": "0001-01-01", "amount": "0.20", "paid_on": "0001-01-05"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "1900-01-01" in body["month"][0] and "1900-01-01" in body["paid_on"][0]
    assert not DuesPayment.objects.exists()


def test_an_import_for_an_organization_id_past_the_database_is_refused(world, api):
    officer = api(world.users["org_officer"])
    upload = SimpleUploadedFile("名册.csv", "姓名\n张伟\n".encode(), content_type="text/csv")
    response = officer.post(
        "/api/members/imports/", {"organization": 2**63, "file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "9223372036854775807" in response.json()["organization"][0]
    assert not MemberImport.objects.exists()
