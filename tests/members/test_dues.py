"""Dues (党费): the 2008 brackets as data, the monthly amount fixed for the year, a branch's monthly sheet,
months short, the payments import all or nothing, and who may see a person's amounts."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.services import role_grant
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members import dues
from luoshi.members.models import DuesPayment, Member

from .test_register import register


@pytest.mark.parametrize(
    ("basis", "income", "amount"),
    [
        ("employed", "2800", "14.00"),  # 0.5% up to 3,000
        ("employed", "3000", "15.00"),
        ("employed", "3000.01", "30.00"),  # 1% of the whole income above it
        ("employed", "5000", "50.00"),
        ("employed", "8000", "120.00"),  # 1.5%
        ("employed", "12345.67", "246.91"),  # 2%, half up to the fen
        ("retired", "5000", "25.00"),
        ("retired", "6000", "60.00"),
        ("student", None, "0.20"),
        ("relief", None, "0.20"),
        ("farmer", None, "0.50"),
    ],
)
def test_the_2008_brackets(db, basis, income, amount):
    rules = dues.rules_on(date(2026, 1, 1))
    assert dues.monthly_amount(basis, income, rules)[0] == Decimal(amount)


@pytest.fixture
def keeper(world):
    """The branch secretary of B1 also keeps its dues (the dues-keeper role on the branch)."""
    role_grant(
        by=None,
        user=world.users["branch_secretary"],
        role=Role.objects.get(code="dues_keeper"),
        organization=world.b1,
    )
    return world.users["branch_secretary"]


@pytest.mark.frozen(date(2026, 3, 15))  # a year's first months: January paid on the 10th, March's arrears
def test_the_monthly_sheet_and_months_short(world, keeper, login):
    register(world)
    members = list(Member.objects.filter(organization=world.b1).order_by("pk"))
    year = timezone.localdate().year
    dues.assess(by=keeper, member=members[0], year=year, basis="employed", monthly_income="6000")
    dues.assess(by=keeper, member=members[1], year=year, basis="retired", monthly_income="4000")
    month = date(year, 1, 1)
    client = login(keeper)
    page = client.get(f"/members/dues/?org={world.b1.pk}&month={month:%Y-%m}").content.decode()
    assert "90.00" in page and "20.00" in page and 'name="paid"' in page
    client.post(
        "/members/dues/",
        {"org": world.b1.pk, "month": f"{month:%Y-%m}", "paid": [members[0].pk], "paid_on": f"{year}-01-10"},
    )
    payment = DuesPayment.objects.get()
    assert (payment.member, payment.amount, payment.month) == (members[0], Decimal("90.00"), month)
    rows = {r.member.pk: r for r in dues.branch_month(keeper, world.b1, date(year, 3, 1))}
    assert (rows[members[0].pk].arrears_months, rows[members[1].pk].arrears_months) == (2, 3)
    assert rows[members[0].pk].state == "unpaid"
    # ticking again a month already paid records nothing more
    client.post("/members/dues/", {"org": world.b1.pk, "month": f"{month:%Y-%m}", "paid": [members[0].pk]})
    assert DuesPayment.objects.count() == 1
    assert dues.unpaid_streak([members[0].pk, members[1].pk], date(year, 3, 1)) == {
        members[0].pk: 2,
        members[1].pk: 3,
    }


def test_who_sees_a_persons_amounts(world, keeper, login):
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    dues.assess(by=keeper, member=member, year=timezone.localdate().year, basis="student")
    assert login(keeper).get(member.get_absolute_url()).content.decode().count("0.20") >= 1
    # the secretary of the sibling branch, the street secretary and the discipline office see no amounts
    for persona in ("street_secretary", "discipline_officer", "auditor"):
        client = login(world.users[persona])
        assert client.get(f"/members/dues/?org={world.b1.pk}").status_code == 404
        assert "0.20" not in client.get(member.get_absolute_url()).content.decode()
    with pytest.raises(NotPermitted):
        dues.pay(by=world.users["street_secretary"], member=member, month="2026-01", amount="1")
    office = login(world.users["org_officer"]).get(f"/members/dues/?org={world.district.pk}").content.decode()
    assert world.b1.name in office and world.b3.name in office  # the office sees each branch's collection


def test_payments_import_all_or_nothing(world, keeper):
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    other_street = Member.objects.filter(organization=world.b3).first()

    def sheet(rows):
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(dues.PAYMENT_HEADERS)
        writer.writerows(rows)
        return ContentFile(text.getvalue().encode("gbk"), name="党费.csv")

    count, errors = dues.payments_import(
        by=keeper,
        organization=world.b1,
        upload=sheet(
            [
                [member.national_id, "2026-01", "15", "2026-01-08"],
                [other_street.national_id, "2026-01", "15", "2026-01-08"],  # not this branch's
                [member.national_id, "2026年2月", "-3", "2026-02-08"],
            ]
        ),
    )
    assert count == 0 and [n for n, _m in errors] == [3, 4] and not DuesPayment.objects.exists()
    count, errors = dues.payments_import(
        by=keeper,
        organization=world.b1,
        upload=sheet(
            [[member.national_id, "2026-01", "15", "2026-01-08"], [member.national_id, "2026/2", "15", ""]]
        ),
    )
    assert (count, errors) == (2, []) and DuesPayment.objects.filter(member=member).count() == 2
    with pytest.raises(ServiceError):
        dues.assess(by=keeper, member=member, year=2026, basis="employed")  # a salary basis needs the income
