"""Thin views of the assessment app: schemes, runs (ranking, differences, publication, files), a result's
explanation with its appeal, appeals, award eligibility, and the entered scores."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import ASSESSMENT_MANAGE
from luoshi.assessment import documents, excel, selectors, services
from luoshi.assessment.eligibility import verdicts
from luoshi.assessment.models import MANUAL, Appeal, AppealStatus, Disclosure, ManualScore, RunStatus
from luoshi.assessment.schemes import SchemeRefused, shipped_schemes
from luoshi.core.documents import office_file_response
from luoshi.core.errors import NotPermitted, ServiceError, attempt
from luoshi.core.indicators import records_for
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import organization_roots_visible


def _offices(user) -> list[Organization]:
    return [
        o for o in organization_roots_visible(user) if scoping.has_perm_on(user, ASSESSMENT_MANAGE, o.path)
    ]


@login_required
def index(request):
    schemes = selectors.schemes_visible(request.user)
    return render(
        request,
        "assessment/index.html",
        {
            "schemes": schemes,
            "runs": selectors.runs_visible(request.user)[:20],
            "can_load": bool(_offices(request.user)),
        },
    )


class SchemeForm(forms.Form):
    issuer = forms.ModelChoiceField(label=_("Assessing office"), queryset=Organization.objects.none())
    text = forms.CharField(
        label=_("The scheme (YAML)"),
        strip=False,  # the problems name lines: a stripped leading blank line would shift every one
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )


@login_required
def scheme_new(request):
    offices = _offices(request.user)
    if not offices:
        raise Http404
    shipped = shipped_schemes()
    start = request.GET.get("from", "")
    initial = {"issuer": offices[0]}
    if start in shipped:
        initial["text"] = shipped[start]
    elif request.GET.get("scheme"):
        initial["text"] = selectors.scheme_get_visible(request.user, request.GET["scheme"]).source_text
    form = SchemeForm(request.POST or None, initial=initial)
    form.fields["issuer"].queryset = Organization.objects.filter(pk__in=[o.pk for o in offices])
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            scheme = services.scheme_upload(
                by=request.user, issuer=form.cleaned_data["issuer"], text=form.cleaned_data["text"]
            )
        except SchemeRefused as exc:
            problems = exc.errors
        except NotPermitted:
            raise Http404 from None
        else:
            messages.success(
                request, gettext("The scheme was loaded as version %(v)d.") % {"v": scheme.version}
            )
            return redirect(scheme)
    return render(
        request,
        "assessment/scheme_form.html",
        {"form": form, "problems": problems, "shipped": sorted(shipped)},
        status=400 if (problems or form.errors) else 200,
    )


class RunForm(forms.Form):
    since = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


def _tree(scheme):
    indicators = list(scheme.indicators.order_by("order"))
    depth = {}
    for indicator in indicators:
        depth[indicator.pk] = depth.get(indicator.parent_id, -1) + 1 if indicator.parent_id else 0
    from luoshi.core.indicators import SOURCES

    return [(i, depth[i.pk], SOURCES.get(i.source)) for i in indicators]


def _conditions(award) -> list[str]:
    from luoshi.assessment.eligibility import CHECKS

    return [
        f"{CHECKS.get(c.get('check'), c.get('check'))}{' ' + c['grade'] if c.get('grade') else ''}"
        for c in award.conditions
    ]


@login_required
def scheme(request, pk):
    item = selectors.scheme_get_visible(request.user, pk)
    can = services.can_manage(request.user, item)
    today = timezone.localdate()
    form = RunForm(
        request.POST or None,
        initial={"since": date(item.year, 1, 1), "until": min(today, date(item.year, 12, 31))},
    )
    if request.method == "POST":
        if not can:
            raise Http404
        made = {}
        if form.is_valid() and attempt(
            form,
            lambda: made.setdefault(
                "run", services.run_compute(by=request.user, scheme=item, **form.cleaned_data)
            ),
        ):
            run = made["run"]
            messages.success(
                request,
                gettext("%(n)d units scored in %(s).2f s.") % {"n": run.results.count(), "s": run.seconds},
            )
            return redirect(run)
    return render(
        request,
        "assessment/scheme.html",
        {
            "scheme": item,
            "tree": _tree(item),
            "bands": item.bands.order_by("order"),
            "awards": [(a, _conditions(a)) for a in item.awards.all()],
            "runs": selectors.runs_visible(request.user, item),
            "can_manage": can,
            "form": form,
            "manual": item.indicators.filter(source=MANUAL),
        },
        status=400 if form.errors else 200,
    )


@login_required
def manual(request, pk, code):
    """Entered scores (述职评议) for one manual indicator: every unit of the scheme, points and reason; all rows
    saved together or none."""
    item = selectors.scheme_get_visible(request.user, pk)
    if not services.can_manage(request.user, item):
        raise Http404
    indicator = item.indicators.filter(code=code, source=MANUAL).first()
    if indicator is None:
        raise Http404
    units = list(services.assessed_units(item).order_by("path"))
    entered = {m.organization_id: m for m in ManualScore.objects.filter(indicator=indicator)}
    rows, errors, sheet_errors = [], {}, []
    for unit in units:
        m = entered.get(unit.pk)
        points = request.POST.get(f"points-{unit.pk}", "" if m is None else str(m.points))
        reason = request.POST.get(f"reason-{unit.pk}", "" if m is None else m.reason)
        rows.append({"unit": unit, "points": points, "reason": reason})
    if request.method == "POST" and request.FILES.get("sheet"):
        try:
            sheet_errors = excel.manual_scores_import(request.user, item, indicator, request.FILES["sheet"])
        except ServiceError as exc:
            sheet_errors = [(0, "", exc.message)]
        if not sheet_errors:
            messages.success(request, gettext("The entered scores were saved."))
            return redirect(item)
        messages.error(
            request, gettext("Nothing was saved: correct the rows listed and upload the sheet again.")
        )
    elif request.method == "POST":
        errors = services.manual_scores_set(
            by=request.user,
            indicator=indicator,
            entries=[(r["unit"].pk, r["unit"], r["points"], r["reason"]) for r in rows],
        )
        if not errors:
            messages.success(request, gettext("The entered scores were saved."))
            return redirect(item)
        messages.error(request, gettext("Nothing was saved: correct the rows marked."))
    for row in rows:
        row["error"] = errors.get(row["unit"].pk)
    return render(
        request,
        "assessment/manual.html",
        {"scheme": item, "indicator": indicator, "rows": rows, "sheet_errors": sheet_errors},
        status=400 if errors or sheet_errors else 200,
    )


@login_required
def manual_sheet(request, pk, code):
    """The entered scores as a sheet to fill in: every unit of the scheme with its code and current entry."""
    item = selectors.scheme_get_visible(request.user, pk)
    if not services.can_manage(request.user, item):
        raise Http404
    indicator = get_object_or_404(item.indicators.filter(source=MANUAL), code=code)
    content = excel.manual_scores_xlsx(item, indicator)
    return office_file_response(content, f"{item.name}-{indicator.code}-{indicator.name}.xlsx")


class PublishForm(forms.Form):
    disclosure = forms.ChoiceField(
        label=_("What units see"), choices=Disclosure.choices, initial=Disclosure.RANKS
    )
    appeal_days = forms.IntegerField(label=_("Appeal window (days)"), min_value=1, max_value=60, initial=7)


@login_required
def run(request, pk):
    item = selectors.run_get_visible(request.user, pk)
    can = services.can_manage(request.user, item.scheme)
    form = PublishForm(request.POST or None)
    if request.method == "POST":
        if not can:
            raise Http404
        if form.is_valid() and attempt(
            form, lambda: services.run_publish(by=request.user, run=item, **form.cleaned_data)
        ):
            messages.success(request, gettext("The results were published."))
            return redirect(item)
    results = selectors.results_visible(request.user, item)
    own = selectors.own_ids(request.user, item)
    leaves = [i for i in item.scheme.indicators.order_by("order") if i.source]
    if request.GET.get("format") == "xlsx":
        if not can and item.disclosure != Disclosure.FULL:
            raise Http404
        return office_file_response(
            documents.ranking_xlsx(item, results, leaves), f"{item.scheme.name}-{item.until}.xlsx"
        )
    if request.GET.get("format") == "docx":
        if item.status == RunStatus.DRAFT and not can:
            raise Http404
        return office_file_response(
            documents.notice_docx(item, list(item.results.select_related("organization"))),
            f"{item.scheme.name}-考核结果通报.docx",
        )
    rows = list(results)
    show_totals = can or item.disclosure == Disclosure.FULL
    return render(
        request,
        "assessment/run.html",
        {
            "run": item,
            "rows": rows,
            "own": own,
            "show_totals": show_totals,
            "can_manage": can,
            "form": form,
            "missing": selectors.missing_manual_count(item) if item.status == RunStatus.DRAFT else 0,
            # only the office sees the link to the differences: nobody else pays for comparing two runs
            "changes": len(selectors.run_diff(item)) if can and item.based_on_id else None,
            "appeals": Appeal.objects.filter(result__run=item).select_related("result__organization")
            if can
            else Appeal.objects.filter(result__run=item, result__organization_id__in=own),
            "grades": _grade_counts(rows, item),
        },
        status=400 if form.errors else 200,
    )


def _grade_counts(rows, run):
    from collections import Counter

    counts = Counter(r.grade for r in rows)
    return [(b.name, counts.get(b.name, 0)) for b in run.scheme.bands.order_by("order")]


@login_required
def diff(request, pk):
    item = selectors.run_get_visible(request.user, pk)
    if not services.can_manage(request.user, item.scheme):
        raise Http404
    return render(request, "assessment/diff.html", {"run": item, "changes": selectors.run_diff(item)})


class AppealForm(forms.Form):
    indicator_code = forms.ChoiceField(label=_("Indicator"))
    text = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def result(request, pk):
    item = selectors.result_get_visible(request.user, pk)
    run = item.run
    lines = selectors.explain(item)
    for line in lines:
        line.records = records_for(request.user, line.records)
    form = AppealForm(request.POST or None)
    form.fields["indicator_code"].choices = [
        (line.indicator.code, f"{line.indicator.code} {line.indicator.name}")
        for line in lines
        if line.indicator.source
    ]
    open_window = (
        run.status == RunStatus.PUBLISHED
        and run.appeal_until is not None
        and timezone.localdate() <= run.appeal_until
    )
    may_appeal = services.can_appeal(request.user, item)
    if request.method == "POST":
        if not may_appeal:
            raise Http404
        made = {}
        if form.is_valid() and attempt(
            form,
            lambda: made.setdefault(
                "a",
                services.appeal_file(
                    by=request.user, result=item, uploads=request.FILES.getlist("files"), **form.cleaned_data
                ),
            ),
        ):
            messages.success(request, gettext("The appeal was filed."))
            return redirect(made["a"])
    return render(
        request,
        "assessment/result.html",
        {
            "result": item,
            "run": run,
            "lines": lines,
            "form": form,
            "may_appeal": may_appeal and open_window,
            "appeals": item.appeals.all(),
        },
        status=400 if form.errors else 200,
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("upheld", _("Upheld")), ("rejected", _("Rejected"))],
        widget=forms.RadioSelect,
    )
    new_points = forms.DecimalField(
        label=_("New points (if upheld)"), required=False, max_digits=6, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


@login_required
def appeal(request, pk):
    item = selectors.appeal_get_visible(request.user, pk)
    can = services.can_manage(request.user, item.result.run.scheme)
    form = DecideForm(request.POST or None)
    if request.method == "POST":
        if not can:
            raise Http404
        if form.is_valid() and attempt(
            form,
            lambda: services.appeal_decide(
                by=request.user,
                appeal=item,
                upheld=form.cleaned_data["decision"] == "upheld",
                reason=form.cleaned_data["reason"],
                new_points=form.cleaned_data["new_points"],
            ),
        ):
            messages.success(request, gettext("The appeal was decided."))
            return redirect(item)
    from luoshi.core.attachments import attach_files

    attach_files([item])
    return render(
        request,
        "assessment/appeal.html",
        {"appeal": item, "can_decide": can and item.status == AppealStatus.PENDING, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def awards(request, pk):
    item = selectors.run_get_visible(request.user, pk)
    if item.status == RunStatus.DRAFT and not services.can_manage(request.user, item.scheme):
        raise Http404
    results = list(selectors.results_visible(request.user, item))
    own = selectors.own_ids(request.user, item)
    if not services.can_manage(request.user, item.scheme) and item.disclosure != Disclosure.FULL:
        results = [r for r in results if r.organization_id in own]
    return render(
        request,
        "assessment/awards.html",
        {
            "run": item,
            "awards": [(award, verdicts(item, award, results)) for award in item.scheme.awards.all()],
        },
    )
