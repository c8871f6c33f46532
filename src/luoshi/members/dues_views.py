"""Pages of dues: a branch's monthly sheet (tick who paid), the year's assessment, the payments import, and the
collection of the branches under an office."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_DUES
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members import dues
from luoshi.members.models import DuesAssessment, DuesBasis, DuesPayment, Member
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import organization_get_visible
from luoshi.orgs.tree import subtree_q


def _month_of(text) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(p) for p in (text or "").split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _organization(request):
    if request.GET.get("org") or request.POST.get("org"):
        org = organization_get_visible(request.user, request.GET.get("org") or request.POST.get("org"))
    else:
        paths = scoping.paths_with_perm(request.user, MEMBERS_DUES)
        org = Organization.objects.filter(path__in=paths).order_by("path").first()
    if org is None or not dues.can_keep(request.user, org):
        raise Http404
    return org


@login_required
def sheet(request):
    """党费收缴 — for a branch: each member's dues for the month, paid or not; tick and record. For an office:
    the branches below with their month's collection."""
    org = _organization(request)
    month = _month_of(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST" and org.holds_members:
        try:
            paid_on = date.fromisoformat(request.POST.get("paid_on") or timezone.localdate().isoformat())
            count = dues.collection_record(
                by=request.user,
                organization=org,
                month=month,
                paid_ids=request.POST.getlist("paid"),
                paid_on=paid_on,
            )
        except (ServiceError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", gettext("Enter a valid date.")))
        else:
            messages.success(request, gettext("%(n)d payments recorded.") % {"n": count})
            return redirect(f"{request.path}?org={org.pk}&month={month:%Y-%m}")
    # the level above only for who keeps its dues too (a branch's own keeper stops at the branch)
    up = org.parent if org.parent_id and dues.can_keep(request.user, org.parent) else None
    context = {"org": org, "up": up, "month": month, "today": timezone.localdate()}
    if org.holds_members:
        rows = dues.branch_month(request.user, org, month)
        context.update(
            rows=rows,
            due_total=sum((r.due or Decimal(0)) for r in rows),
            paid_total=sum(r.paid for r in rows),
            unpaid=sum(1 for r in rows if r.state in ("unpaid", "partial")),
            unassessed=sum(1 for r in rows if r.state == "unassessed"),
        )
    else:
        context["branches"] = _branches(org, month)
    return render(request, "members/dues.html", context)


def _branches(org, month: date) -> list[dict]:
    """The branches under an office with the month's dues and collection: three grouped queries."""
    branches = list(
        Organization.objects.subtree(org.path).active().filter(holds_members=True).order_by("path")
    )
    within = subtree_q([org.path], field="member__organization__path")
    due = dict(
        DuesAssessment.objects.filter(within, year=month.year, member__archived_at=None)
        .values("member__organization")
        .annotate(total=Sum("monthly_amount"))
        .values_list("member__organization", "total")
    )
    paid = dict(
        DuesPayment.objects.filter(within, month=month)
        .values("member__organization")
        .annotate(total=Sum("amount"))
        .values_list("member__organization", "total")
    )
    members = dict(
        Member.objects.active()
        .filter(subtree_q([org.path], field="organization__path"))
        .values("organization")
        .annotate(n=Count("id"))
        .values_list("organization", "n")
    )
    return [
        {
            "org": b,
            "members": members.get(b.pk, 0),
            "due": due.get(b.pk) or Decimal(0),
            "paid": paid.get(b.pk) or Decimal(0),
        }
        for b in branches
    ]


@login_required
def assess(request):
    """核定 — the year's monthly dues of every member of a branch, all saved together or none."""
    org = _organization(request)
    if not org.holds_members:
        raise Http404
    year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    members = list(Member.objects.active().filter(organization=org).order_by("initials", "id"))
    existing = {a.member_id: a for a in DuesAssessment.objects.filter(member__in=members, year=year)}
    rows, errors = [], {}
    for m in members:
        a = existing.get(m.pk)
        basis = request.POST.get(f"basis-{m.pk}", a.basis if a else "")
        income = request.POST.get(
            f"income-{m.pk}", "" if a is None or a.monthly_income is None else a.monthly_income
        )
        rows.append(
            {"member": m, "basis": basis, "income": income, "amount": a.monthly_amount if a else None}
        )
    if request.method == "POST":
        from django.db import transaction

        with transaction.atomic():
            for row in rows:
                if not row["basis"]:
                    continue
                try:
                    dues.assess(
                        by=request.user,
                        member=row["member"],
                        year=year,
                        basis=row["basis"],
                        monthly_income=row["income"] or None,
                    )
                except ServiceError as exc:
                    errors[row["member"].pk] = exc.message
                except NotPermitted:
                    raise Http404 from None
            if errors:
                transaction.set_rollback(True)
        if not errors:
            messages.success(request, gettext("The monthly dues of %(year)d are saved.") % {"year": year})
            return redirect(f"{request.path}?org={org.pk}&year={year}")
        messages.error(request, gettext("Nothing was saved: correct the rows marked."))
    for row in rows:
        row["error"] = errors.get(row["member"].pk)
    return render(
        request,
        "members/dues_assess.html",
        {
            "org": org,
            "year": year,
            "rows": rows,
            "bases": DuesBasis.choices,
            "rules": dues.rules_on(date(year, 1, 1)),
        },
        status=400 if errors else 200,
    )


@login_required
def payments_import(request):
    org = _organization(request)
    errors, count = [], None
    if request.method == "POST" and request.FILES.get("file"):
        try:
            count, errors = dues.payments_import(
                by=request.user, organization=org, upload=request.FILES["file"]
            )
        except ServiceError as exc:
            errors = [(0, exc.message)]
        if not errors:
            messages.success(request, gettext("%(n)d payments recorded.") % {"n": count})
            return redirect(f"/members/dues/?org={org.pk}")
    return render(
        request,
        "members/dues_import.html",
        {"org": org, "errors": errors, "headers": dues.PAYMENT_HEADERS},
        status=400 if errors else 200,
    )
