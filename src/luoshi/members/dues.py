"""党费 — dues: the monthly amount fixed for the year from the rules in force (data: DuesRule), payments entered
on a branch's monthly sheet or imported, arrears per member, a branch's monthly collection. Amounts of a person
are seen only with members.dues: the branch's dues keeper and the organizations above."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_DUES
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members.models import DuesAssessment, DuesBasis, DuesPayment, DuesRule, Member

CENT = Decimal("0.01")
INCOME_BASES = (DuesBasis.EMPLOYED, DuesBasis.RETIRED)


def can_keep(user, organization) -> bool:
    return scoping.has_perm_on(user, MEMBERS_DUES, organization.path)


def rules_on(day: date) -> list[DuesRule]:
    """The set of rules in force on `day` (the newest set that took effect by then)."""
    latest = DuesRule.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if latest is None:
        return []
    return list(DuesRule.objects.filter(effective_from=latest.effective_from))


def monthly_amount(basis: str, income, rules: list[DuesRule]) -> tuple[Decimal, DuesRule]:
    """The monthly dues by the rules: the bracket the whole income falls in (a percentage of it), or the fixed
    amount of the basis. Rounded half up to the fen."""
    brackets = sorted(
        (r for r in rules if r.basis == basis), key=lambda r: (r.up_to is None, r.up_to or Decimal(0))
    )
    if not brackets:
        raise ServiceError(_("No dues rule for this basis."), field="basis")
    if brackets[0].fixed is not None:
        return brackets[0].fixed, brackets[0]
    if income is None:
        raise ServiceError(_("Enter the monthly income."), field="monthly_income")
    income = Decimal(str(income))
    if income < 0:
        raise ServiceError(_("The monthly income cannot be negative."), field="monthly_income")
    rule = next(r for r in brackets if r.up_to is None or income <= r.up_to)
    return (income * rule.percent / 100).quantize(CENT, ROUND_HALF_UP), rule


def assess(*, by, member: Member, year: int, basis: str, monthly_income=None) -> DuesAssessment:
    """核定 — fix a member's monthly dues for the year (at its start; a correction later is kept in history)."""
    if not can_keep(by, member.organization):
        raise NotPermitted()
    if basis not in DuesBasis.values:
        raise ServiceError(_("Choose the basis."), field="basis")
    if basis not in INCOME_BASES:
        monthly_income = None
    elif monthly_income in (None, ""):
        raise ServiceError(_("Enter the monthly income."), field="monthly_income")
    else:
        try:
            monthly_income = Decimal(str(monthly_income)).quantize(CENT)
        except Exception:
            raise ServiceError(_("Enter the monthly income as a number."), field="monthly_income") from None
    amount, _rule = monthly_amount(basis, monthly_income, rules_on(date(year, 1, 1)))
    item, _created = DuesAssessment.objects.update_or_create(
        member=member,
        year=year,
        defaults={
            "basis": basis,
            "monthly_income": monthly_income,
            "monthly_amount": amount,
            "decided_by": by,
        },
    )
    data_changed()
    return item


def _month(value) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value).strip().replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ServiceError(_("Write the month as 2026-03."), field="month") from None


def pay(*, by, member: Member, month, amount, paid_on=None) -> DuesPayment:
    """交纳 — one payment for one month, not in the future, a positive amount."""
    if not can_keep(by, member.organization):
        raise NotPermitted()
    month = _month(month)
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise ServiceError(_("The payment date cannot be after today."), field="paid_on")
    try:
        amount = Decimal(str(amount)).quantize(CENT)
    except Exception:
        raise ServiceError(_("Enter the amount as a number."), field="amount") from None
    if amount <= 0:
        raise ServiceError(_("The amount must be more than 0."), field="amount")
    payment = DuesPayment.objects.create(
        member=member, month=month, amount=amount, paid_on=paid_on, entered_by=by
    )
    data_changed()
    return payment


@dataclass
class MemberMonth:
    member: Member
    due: Decimal | None  # None: no assessment for the year
    paid: Decimal
    arrears_months: int  # months of the year up to this one paid short

    @property
    def state(self) -> str:
        if self.due is None:
            return "unassessed"
        return "paid" if self.paid >= self.due else ("partial" if self.paid else "unpaid")


def branch_month(user, organization, month: date) -> list[MemberMonth]:
    """A branch's monthly collection: each member's dues, what was paid for the month, and how many months of
    the year up to it are short. Three queries whatever the number of members."""
    if not can_keep(user, organization):
        raise NotPermitted()
    month = month.replace(day=1)
    members = list(Member.objects.active().filter(organization=organization).order_by("initials", "id"))
    ids = [m.pk for m in members]
    due = dict(
        DuesAssessment.objects.filter(member_id__in=ids, year=month.year).values_list(
            "member_id", "monthly_amount"
        )
    )
    paid_by_month: dict[tuple[int, date], Decimal] = {}
    for member_id, paid_month, total in (
        DuesPayment.objects.filter(member_id__in=ids, month__year=month.year, month__lte=month)
        .values("member_id", "month")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "month", "total")
    ):
        paid_by_month[(member_id, paid_month)] = total
    months = [date(month.year, n, 1) for n in range(1, month.month + 1)]
    rows = []
    for m in members:
        amount = due.get(m.pk)
        short = sum(1 for d in months if amount is not None and paid_by_month.get((m.pk, d), 0) < amount)
        rows.append(MemberMonth(m, amount, paid_by_month.get((m.pk, month), Decimal(0)), short))
    return rows


def collection_record(*, by, organization, month, paid_ids: list[int], paid_on=None) -> int:
    """The monthly sheet: the members ticked paid their month's dues in full (what is still owed for the month).
    Returns how many payments were recorded."""
    month = _month(month)
    rows = {r.member.pk: r for r in branch_month(by, organization, month)}
    count = 0
    with transaction.atomic():
        for member_id in paid_ids:
            row = rows.get(int(member_id))
            if row is None or row.due is None or row.paid >= row.due:
                continue
            pay(by=by, member=row.member, month=month, amount=row.due - row.paid, paid_on=paid_on)
            count += 1
    return count


def unpaid_streak(member_ids: list[int], until: date) -> dict[int, int]:
    """For the sweep: each member's count of consecutive months up to `until` with an assessment and no full
    payment (members without any assessment are absent: no data, not compliant)."""
    start = date(until.year - 1, 1, 1)
    due = {}
    for member_id, year, amount in DuesAssessment.objects.filter(
        member_id__in=member_ids, year__gte=start.year
    ).values_list("member_id", "year", "monthly_amount"):
        due[(member_id, year)] = amount
    paid = {}
    for member_id, paid_month, total in (
        DuesPayment.objects.filter(member_id__in=member_ids, month__gte=start, month__lte=until)
        .values("member_id", "month")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "month", "total")
    ):
        paid[(member_id, paid_month)] = total
    out = {}
    for member_id in member_ids:
        if not any((member_id, y) in due for y in (start.year, until.year)):
            continue
        streak, day = 0, until.replace(day=1)
        while day >= start:
            amount = due.get((member_id, day.year))
            if amount is None or paid.get((member_id, day), 0) >= amount:
                break
            streak += 1
            day = date(day.year - (day.month == 1), 12 if day.month == 1 else day.month - 1, 1)
        out[member_id] = streak
    return out


PAYMENT_HEADERS = ["公民身份号码", "缴费月份", "金额", "缴费日期"]


def payments_import(*, by, organization, upload) -> tuple[int, list[tuple[int, str]]]:
    """交纳记录导入 — a sheet of (公民身份号码, 缴费月份, 金额, 缴费日期) for members of `organization`'s subtree:
    every row checked, all saved or none. Returns (payments saved, [(row, message)] refused). The file is kept."""
    from luoshi.core.attachments import attachment_add
    from luoshi.members.tabular import FileRefused, read_rows
    from luoshi.members.validation import parse_date
    from luoshi.orgs.tree import subtree_q

    if not can_keep(by, organization):
        raise NotPermitted()
    members = {
        m.national_id: m
        for m in Member.objects.active()
        .filter(subtree_q([organization.path], field="organization__path"))
        .select_related("organization")
    }
    entries, errors = [], []
    try:
        _header, rows = read_rows(upload, upload.name, max_rows=20_000, headers=PAYMENT_HEADERS)
        for number, (national_id, month, amount, paid_on) in rows:
            member = members.get(str(national_id or "").strip().upper())
            problems = []
            if member is None:
                problems.append(_("公民身份号码: no member of this organization has this ID."))
            try:
                month = _month(month.isoformat() if isinstance(month, date) else month)
            except ServiceError as exc:
                problems.append(f"缴费月份: {exc.message}")
            try:
                paid_on = parse_date(paid_on) or timezone.localdate()
            except ValueError:
                problems.append(_("缴费日期: not a date (write it as 2026-03-05)."))
            try:
                amount = Decimal(str(amount).strip()).quantize(CENT)
                if amount <= 0:
                    raise ValueError
            except Exception:
                problems.append(_("金额: enter an amount more than 0."))
            if problems:
                errors.extend((number, p) for p in problems)
            else:
                entries.append((member, month, amount, paid_on))
    except FileRefused as refused:
        return 0, [(0, refused.message)]
    upload.seek(0)
    attachment_add(upload=upload, user=by, subject=organization)
    if errors or not entries:
        return 0, errors or [(0, _("The file has no payment rows."))]
    with transaction.atomic():
        for member, month, amount, paid_on in entries:
            try:
                pay(by=by, member=member, month=month, amount=amount, paid_on=paid_on)
            except ServiceError as exc:
                transaction.set_rollback(True)
                return 0, [(0, exc.message)]
    return len(entries), []
