"""Pages of the sweep (集中排查): open one, its report (per rule and per unit, the sentence, Excel), the findings
list, and a finding with the branch's answer, the outcome and the due process."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_MANAGE
from luoshi.core.documents import office_file_response
from luoshi.core.errors import NotPermitted, ServiceError, attempt
from luoshi.members import selectors, sweeps
from luoshi.members.models import FindingStatus, Outcome
from luoshi.orgs.forms import pick_organization
from luoshi.orgs.selectors import organization_roots_visible


class SweepForm(forms.Form):
    organization = forms.CharField(label=_("Office (name or code)"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


@login_required
def sweep_list(request):
    if not selectors.can_view(request.user):
        raise Http404
    can_open = sweeps.can_open(request.user)
    roots = organization_roots_visible(request.user)
    form = SweepForm(request.POST or None, initial={"organization": roots[0].name if roots else ""})
    if request.method == "POST" and can_open and form.is_valid():
        org = pick_organization(form, request.user)
        if org is not None:
            made = {}

            def open_sweep():
                made["sweep"] = sweeps.sweep_open(
                    by=request.user,
                    organization=org,
                    title=form.cleaned_data["title"],
                    as_of=form.cleaned_data["as_of"],
                )

            denied = ("organization", gettext("A sweep is opened by an office over its subtree."))
            if attempt(form, open_sweep, denied=denied):
                return redirect(made["sweep"])
    return render(
        request,
        "members/sweeps.html",
        {"sweeps": selectors.sweeps_visible(request.user)[:50], "form": form if can_open else None},
        status=400 if form.errors else 200,
    )


@login_required
def sweep(request, pk):
    item = selectors.sweep_get_visible(request.user, pk)
    report = selectors.sweep_report(request.user, item) if item.status != "running" else None
    if report and request.GET.get("format") == "xlsx":
        return office_file_response(_sweep_xlsx(item, report), f"{item.title}.xlsx")
    findings = selectors.findings_visible(request.user, item)
    rule, status = request.GET.get("rule", ""), request.GET.get("status", "")
    if rule:
        findings = findings.filter(rule=rule)
    if status:
        findings = findings.filter(status=status)
    page = Paginator(findings.order_by("organization__path", "member__initials", "rule"), 50).get_page(
        request.GET.get("page")
    )
    names = {r["code"]: r["name"] for r in item.rules}
    for f in page.object_list:
        f.rule_name = names.get(f.rule, f.rule)
    return render(
        request,
        "members/sweep.html",
        {
            "sweep": item,
            "report": report,
            "sentence": selectors.sweep_sentence(item, report) if report else "",
            "page": page,
            "rule": rule,
            "status": status,
            "statuses": FindingStatus.choices,
            "outcomes": Outcome.choices,
            "running": item.status == "running",
        },
    )


def _sweep_xlsx(sweep, report) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "按规则"
    ws.append(
        ["规则", "依据", "检查人数", "无数据", "发现", "已回复", "已办结"]
        + [str(label) for _v, label in Outcome.choices]
    )
    for r in report["rules"]:
        ws.append(
            [r["name"], r["article"], r["checked"], r["no_data"], r["found"], r["answered"], r["closed"]]
            + [r["outcomes"][v] for v, _label in Outcome.choices]
        )
    units = wb.create_sheet("按单位")
    units.append(["单位", "发现", "已办结"])
    for u in report["units"]:
        units.append([u["org"].name, u["found"], u["closed"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@login_required
def finding(request, pk):
    item = selectors.finding_get_visible(request.user, pk)
    rule = sweeps.rule_of(item.sweep, item.rule)
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "answer":
                sweeps.finding_answer(by=request.user, finding=item, answer=request.POST.get("answer", ""))
            elif action == "outcome":
                deadline = request.POST.get("deadline")
                sweeps.finding_outcome(
                    by=request.user,
                    finding=item,
                    outcome=request.POST.get("outcome", ""),
                    deadline=date.fromisoformat(deadline) if deadline else None,
                )
            elif action == "rectified":
                sweeps.finding_rectified(by=request.user, finding=item, note=request.POST.get("note", ""))
            elif action == "statement":
                sweeps.finding_statement(
                    by=request.user,
                    finding=item,
                    statement=request.POST.get("statement", ""),
                    declined=request.POST.get("declined") == "1",
                )
            elif action == "meeting":
                held = request.POST.get("held_on")
                sweeps.finding_meeting(
                    by=request.user,
                    finding=item,
                    decision=request.POST.get("decision", ""),
                    held_on=date.fromisoformat(held) if held else None,
                )
            elif action == "approve":
                sweeps.finding_approve(
                    by=request.user, finding=item, approval=request.POST.get("approval", "")
                )
            else:
                raise Http404
        except NotPermitted:
            raise Http404 from None
        except (ServiceError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", gettext("Enter a valid date.")))
            return render(
                request,
                "members/finding.html",
                _finding_context(request, item, rule),
                status=400,
            )
        messages.success(request, gettext("Recorded."))
        return redirect(item)
    return render(request, "members/finding.html", _finding_context(request, item, rule))


def _finding_context(request, item, rule):
    return {
        "f": item,
        "rule": rule,
        "facts": selectors.facts_shown(item),
        "can_answer": sweeps.can_answer(request.user, item),
        "can_approve": sweeps.can_approve(request.user, item),
        "outcomes": Outcome.choices,
        "typed": request.POST,
    }


# --- duplicate registrations -----------------------------------------------------------------------------------


@login_required
def duplicates(request):
    from luoshi.members import duplicates as dups
    from luoshi.members.models import DuplicateSearch, PairStatus

    if not scoping.has_perm_anywhere(request.user, MEMBERS_MANAGE):
        raise Http404
    if request.method == "POST":
        org = organization_roots_visible(request.user)
        org = next((o for o in org if scoping.has_perm_on(request.user, MEMBERS_MANAGE, o.path)), None)
        if org is None:
            raise Http404
        run = dups.search(by=request.user, organization=org)
        messages.success(
            request,
            gettext("%(members)d members searched in %(s)s s: %(new)d new pairs to review.")
            % {"members": run.members, "s": run.seconds, "new": run.new_pairs},
        )
        return redirect("members:duplicates")
    status = request.GET.get("status", PairStatus.PENDING)
    page = Paginator(dups.pairs_visible(request.user).filter(status=status), 30).get_page(
        request.GET.get("page")
    )
    for pair in page.object_list:
        pair.shown = [(dups.label(level), weight, dups.label(name)) for name, (level, weight) in _named(pair)]
    return render(
        request,
        "members/duplicates.html",
        {
            "page": page,
            "status": status,
            "statuses": PairStatus.choices,
            "last": DuplicateSearch.objects.filter(
                organization__in=organization_roots_visible(request.user)
            ).first(),
        },
    )


def _named(pair):
    from luoshi.analytics.duplicates import COMPARISONS

    return [(COMPARISONS[c], pair.comparisons[c]) for c in COMPARISONS if c in pair.comparisons]


@login_required
def duplicate(request, pk):
    from luoshi.members import duplicates as dups

    pair = selectors.get_or_404(dups.pairs_visible(request.user), pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "merge":
                dups.merge(
                    by=request.user,
                    pair=pair,
                    keep=request.POST.get("keep"),
                    reason=request.POST.get("reason", ""),
                )
            else:
                dups.reject(by=request.user, pair=pair, reason=request.POST.get("reason", ""))
        except NotPermitted:
            raise Http404 from None
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect(pair)
        messages.success(request, gettext("Recorded."))
        return redirect("members:duplicates")
    sensitive = all(selectors.can_see_sensitive(request.user, m) for m in (pair.member_l, pair.member_r))
    sides = []
    for m in (pair.member_l, pair.member_r):
        sides.append(
            {
                "m": m,
                "national_id": m.national_id if sensitive else selectors.mask_id(m.national_id),
                "phone": m.phone if sensitive else selectors.mask_phone(m.phone),
            }
        )
    if sensitive:
        from luoshi.members.models import SensitiveRead

        SensitiveRead.objects.bulk_create(
            [
                SensitiveRead(user=request.user, member=m, via="duplicates")
                for m in (pair.member_l, pair.member_r)
            ]
        )
    shown = [(dups.label(name), dups.label(level), weight) for name, (level, weight) in _named(pair)]
    return render(request, "members/duplicate.html", {"pair": pair, "sides": sides, "shown": shown})
