"""Thin views of the duty app: parse, fetch through the scoped selectors, call a service, render."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from luoshi.accounts import scoping
from luoshi.accounts.permissions import AUDIT_VIEW, OBLIGATIONS_CONFIRM, OBLIGATIONS_CREATE
from luoshi.core.cache import cached
from luoshi.core.documents import office_file_response
from luoshi.core.errors import ServiceError, attempt
from luoshi.core.periods import PeriodRefused, period_from_query
from luoshi.duty import documents, excel, selectors, services
from luoshi.duty.forms import (
    ImportForm,
    LetterForm,
    PlanForm,
    ReasonForm,
    ReportForm,
    TargetFormSet,
    TargetReportForm,
    TaskForm,
)
from luoshi.duty.models import Assignment, NodeState, ReportKind, TargetStatus
from luoshi.orgs.forms import TargetingForm
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import organization_get_visible
from luoshi.orgs.tree import SEGMENT

PAGE = 50


def _issuer_choices(user):
    return [(str(org.pk), org.name) for org in selectors.issuing_units(user)]


def _issuer(user, pk) -> Organization:
    for org in selectors.issuing_units(user):
        if str(org.pk) == str(pk):
            return org
    raise Http404


# --- Overview ---------------------------------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    mine = selectors.assignments_mine(user)
    context = {
        "assignments": mine[:30],
        "assignments_open": mine.exclude(node_state__in=[NodeState.DONE, NodeState.WAIVED]).count(),
        "copies": selectors.copies_mine(user)[:20],
        "can_issue": selectors.can_issue(user),
        "letters": selectors.letters_issued_visible(user)[:10],
        "plans": selectors.plans_visible(user)[:10],
        "today": timezone.localdate(),
    }
    return render(request, "duty/index.html", context)


# --- Letters ----------------------------------------------------------------------------------------------


@login_required
def letters(request):
    return render(
        request,
        "duty/letters.html",
        {
            "letters": selectors.letters_issued_visible(request.user),
            "copies": selectors.copies_mine(request.user),
            "can_issue": selectors.can_issue(request.user),
        },
    )


def _letter_form(request, letter=None):
    user = request.user
    initial = {}
    targets_initial = [{"due_date": date(timezone.localdate().year, 12, 31)}]
    if letter is not None:
        initial = {
            "title": letter.title,
            "year": letter.year,
            "issuer": str(letter.issuer_id),
            "sign_by": letter.sign_by,
            "preamble": letter.preamble,
        }
        targets_initial = [
            {f: getattr(t, f) for f in ("text", "category", "measure", "weight", "due_date", "red_line")}
            for t in letter.targets.order_by("order")
        ]
    form = LetterForm(request.POST or None, initial=initial)
    form.fields["issuer"].choices = _issuer_choices(user)
    formset = TargetFormSet(request.POST or None, initial=targets_initial, prefix="t")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        specs = [services.TargetSpec(**f.cleaned_data) for f in formset.forms if f.cleaned_data]
        saved = {}

        def draft():
            saved["letter"] = services.letter_draft(
                by=user,
                issuer=_issuer(user, form.cleaned_data["issuer"]),
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                sign_by=form.cleaned_data["sign_by"],
                preamble=form.cleaned_data["preamble"],
                targets=specs,
                letter=letter,
            )

        if attempt(form, draft):
            messages.success(request, gettext("The draft was saved. Check it, then issue it."))
            return redirect("duty:letter", pk=saved["letter"].pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "duty/letter_form.html", {"form": form, "formset": formset, "letter": letter}, status=status
    )


@login_required
def letter_new(request):
    if not selectors.can_issue(request.user):
        raise Http404
    return _letter_form(request)


@login_required
def letter_edit(request, pk):
    letter = selectors.letter_get_visible(request.user, pk)
    if not letter.is_draft:
        raise PermissionDenied
    return _letter_form(request, letter)


def _letter_page(request, letter, *, targeting=None, status=200):
    user = request.user
    show = request.GET.get("show", "")
    copies = Paginator(selectors.letter_copies(user, letter, status=show), PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "letter": letter,
        "targets": selectors.target_states(user, letter),
        "counts": selectors.letter_counts(user, letter),
        "copies": copies,
        "show": show,
        "can_issue": scoping.has_perm_on(user, OBLIGATIONS_CREATE, letter.issuer.path),
        "targeting": targeting or TargetingForm(),
        "statuses": TargetStatus,
        "can_history": scoping.has_perm_on(user, AUDIT_VIEW, letter.issuer.path),
    }
    return render(request, "duty/letter.html", context, status=status)


@login_required
def letter(request, pk):
    return _letter_page(request, selectors.letter_get_visible(request.user, pk))


def _send(request, form: TargetingForm, issuer: Organization, call, denied) -> int | None:
    """Resolve a targeting form and send to those organizations; the number sent, or None with the errors
    on the form (what was typed stays)."""
    if not form.is_valid():
        return None
    orgs = form.organizations(request.user, issuer)
    if orgs is None:
        return None
    sent = []
    if attempt(form, lambda: sent.extend(call(orgs)), denied=(None, denied)):
        return len(sent)
    return None


@login_required
@require_POST
def letter_issue(request, pk):
    letter = selectors.letter_get_visible(request.user, pk)
    form = TargetingForm(request.POST)
    sent = _send(
        request,
        form,
        letter.issuer,
        lambda orgs: services.letter_issue(by=request.user, letter=letter, organizations=orgs),
        _("You cannot issue letters from this organization."),
    )
    if sent is not None:
        messages.success(request, gettext("Issued to %(n)d organizations for signature.") % {"n": sent})
        return redirect("duty:letter", pk=letter.pk)
    return _letter_page(request, letter, targeting=form, status=400)


@login_required
def target(request, pk):
    letter_target = selectors.target_get_visible(request.user, pk)
    status = request.GET.get("status", "")
    rows = Paginator(
        selectors.target_progress_list(request.user, letter_target, status=status), PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "duty/target.html",
        {"target": letter_target, "rows": rows, "status": status, "statuses": TargetStatus.choices},
    )


@login_required
def copy(request, pk):
    letter_copy = selectors.copy_get_visible(request.user, pk)
    return render(
        request,
        "duty/copy.html",
        {
            "copy": letter_copy,
            "progress": selectors.copy_progress(letter_copy),
            "can_sign": not letter_copy.is_signed and services.can_sign(request.user, letter_copy),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def copy_sign(request, pk):
    letter_copy = selectors.copy_get_visible(request.user, pk)
    where = f"{request.META.get('REMOTE_ADDR', '')} · {request.META.get('HTTP_USER_AGENT', '')}"
    try:
        services.letter_sign(user=request.user, copy=letter_copy, signed_from=where)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("duty:copy", pk=pk)
    messages.success(request, gettext("Signed. Each target is now followed until it is met."))
    return redirect("duty:copy", pk=pk)


@login_required
def copy_docx(request, pk):
    letter_copy = selectors.copy_get_visible(request.user, pk)
    if not letter_copy.is_signed:
        raise Http404
    data = documents.letter_docx(letter_copy, selectors.copy_progress(letter_copy))
    return office_file_response(data, f"{letter_copy.letter.title}-{letter_copy.organization.name}.docx")


def _progress_page(request, progress, *, report_form=None, breach_form=None, status=200):
    user = request.user
    return render(
        request,
        "duty/progress.html",
        {
            "progress": progress,
            "attachments": selectors.attachments_of(progress),
            "can_report": progress.status not in (TargetStatus.MET, TargetStatus.BREACHED)
            and services.can_report_for(user, progress.copy.organization, progress.obligation),
            "can_breach": progress.target.red_line
            and progress.status != TargetStatus.BREACHED
            and scoping.has_perm_on(user, OBLIGATIONS_CONFIRM, progress.copy.organization.path, above=True),
            "report_form": report_form or TargetReportForm(initial={"report": progress.report}),
            "breach_form": breach_form or ReasonForm(),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def progress(request, pk):
    return _progress_page(request, selectors.progress_get_visible(request.user, pk))


@login_required
@require_POST
def progress_report(request, pk):
    item = selectors.progress_get_visible(request.user, pk)
    form = TargetReportForm(request.POST, request.FILES)

    def report():
        services.target_report(
            user=request.user,
            progress=item,
            status=form.cleaned_data["status"],
            report=form.cleaned_data["report"],
            uploads=form.cleaned_data["files"],
        )

    if form.is_valid() and attempt(form, report):
        messages.success(request, gettext("Progress reported."))
        return redirect("duty:progress", pk=pk)
    return _progress_page(request, item, report_form=form, status=400)


@login_required
@require_POST
def progress_breach(request, pk):
    item = selectors.progress_get_visible(request.user, pk)
    form = ReasonForm(request.POST)

    def breach():
        services.target_breach(user=request.user, progress=item, reason=form.cleaned_data["reason"])

    if form.is_valid() and attempt(form, breach):
        messages.success(request, gettext("The breach of the red line was recorded."))
        return redirect("duty:progress", pk=pk)
    return _progress_page(request, item, breach_form=form, status=400)


# --- Plans and tasks -----------------------------------------------------------------------------------------


@login_required
def plans(request):
    return render(
        request,
        "duty/plans.html",
        {"plans": selectors.plans_visible(request.user), "can_issue": selectors.can_issue(request.user)},
    )


@login_required
def plan_new(request):
    if not selectors.can_issue(request.user):
        raise Http404
    form = PlanForm(request.POST or None)
    form.fields["organization"].choices = _issuer_choices(request.user)
    if request.method == "POST" and form.is_valid():
        made = {}

        def create():
            made["plan"] = services.plan_create(
                by=request.user,
                organization=_issuer(request.user, form.cleaned_data["organization"]),
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
            )

        if attempt(form, create):
            return redirect("duty:plan", pk=made["plan"].pk)
    return render(request, "duty/plan_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def plan(request, pk):
    work_plan = selectors.plan_get_visible(request.user, pk)
    return render(
        request,
        "duty/plan.html",
        {
            "plan": work_plan,
            "tasks": selectors.plan_tasks(request.user, work_plan),
            "can_issue": scoping.has_perm_on(request.user, OBLIGATIONS_CREATE, work_plan.organization.path),
            "import_form": ImportForm(),
            "today": timezone.localdate(),
        },
    )


def _task_spec(form: TaskForm) -> services.TaskSpec:
    data = form.cleaned_data
    return services.TaskSpec(
        title=data["title"],
        deadline=data["deadline"],
        description=data["description"],
        lead_office=data["lead_office"],
        report_kind=data["report_kind"],
        unit=data["unit"],
        checklist=form.checklist_items(),
    )


@login_required
def task_new(request, pk):
    work_plan = selectors.plan_get_visible(request.user, pk)
    form = TaskForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        made = {}

        def create():
            made["task"] = services.task_create(
                by=request.user, plan=work_plan, spec=_task_spec(form), uploads=form.cleaned_data["files"]
            )

        if attempt(form, create):
            messages.success(request, gettext("The task was added. Now choose who receives it."))
            return redirect("duty:task", pk=made["task"].pk)
    return render(
        request, "duty/task_form.html", {"form": form, "plan": work_plan}, status=400 if form.errors else 200
    )


@login_required
def plan_template(request):
    return office_file_response(excel.plan_template(), gettext("work-plan-template") + ".xlsx")


@login_required
def plan_import(request, pk):
    """Upload → every row checked → a preview (or the errors, row by row) → confirm: all rows or none."""
    work_plan = selectors.plan_get_visible(request.user, pk)
    if not scoping.has_perm_on(request.user, OBLIGATIONS_CREATE, work_plan.organization.path):
        raise PermissionDenied
    context = {"plan": work_plan, "import_form": ImportForm()}
    if request.method == "POST" and request.POST.get("confirm"):
        result = excel.plan_import_stored(request.user, work_plan, request.POST["confirm"])
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["import_form"] = form
        if not form.is_valid():
            return render(request, "duty/plan_import.html", context, status=400)
        result = excel.plan_import_check(request.user, work_plan, form.cleaned_data["file"])
    else:
        return render(request, "duty/plan_import.html", context)
    context["result"] = result
    if result.committed:
        messages.success(request, gettext("%(n)d tasks were imported.") % {"n": len(result.rows)})
        return redirect("duty:plan", pk=work_plan.pk)
    return render(request, "duty/plan_import.html", context, status=400 if result.errors else 200)


def _table_page(request, key: str, make_queryset, *, extra=None):
    """One page of assignment rows (and `extra()`), kept in the derived-figure cache until the data changes
    (luoshi.core.cache): officers reloading the cascade or the ledger cost one cache read each."""
    number = request.GET.get("page") or "1"

    def compute():
        paginator = Paginator(make_queryset(), PAGE)
        page = paginator.get_page(number)
        return {
            "rows": selectors.table_rows(page.object_list),
            "count": paginator.count,
            "number": page.number,
            "extra": extra() if extra else None,
        }

    today = timezone.localdate().isoformat()
    data = cached(f"duty:{key}:{request.user.pk}:{today}:{request.GET.urlencode()}", compute)
    paginator = Paginator(Assignment.objects.none(), PAGE)
    paginator.count = data["count"]  # a cached_property: set, so the pager asks the database nothing
    return Page(data["rows"], data["number"], paginator), data["extra"]


def _task_page(request, task, *, targeting=None, status=200):
    user = request.user
    state = request.GET.get("state", "")
    order = request.GET.get("order", "urgent")
    under = organization_get_visible(user, request.GET["under"]) if request.GET.get("under") else None

    def counts():
        return selectors.cascade_counts(selectors.cascade_queryset(user, task, under=under))

    page, counts = _table_page(
        request,
        f"cascade:{task.pk}",
        lambda: selectors.cascade_rows(
            selectors.cascade_queryset(user, task, state=state, under=under), order=order
        ),
        extra=counts,
    )
    base = len(task.organization.path)
    for row in page.object_list:
        row["indent"] = (len(row["org_path"]) - base) // SEGMENT - 1 if order == "tree" else 0
    context = {
        "task": task,
        "parent_visible": task.parent_assignment_id is not None
        and selectors.assignment_visible(user, task.parent_assignment_id),
        "attachments": selectors.attachments_of(task),
        "counts": [(s, s.label, counts[s]) for s in NodeState],
        "late": counts[NodeState.OVERDUE] + counts[NodeState.SILENT],
        "total": sum(counts.values()),
        "page": page,
        "rows": page.object_list,
        "state": state,
        "order": order,
        "under": under,
        "can_assign": task.deadline >= timezone.localdate()
        and scoping.has_perm_on(user, OBLIGATIONS_CREATE, task.organization.path),
        "targeting": targeting or TargetingForm(),
        "today": timezone.localdate(),
        "query": urlencode({k: v for k, v in (("state", state), ("order", order)) if v}),
    }
    return render(request, "duty/task.html", context, status=status)


@login_required
def task(request, pk):
    return _task_page(request, selectors.task_get_visible(request.user, pk))


@login_required
@require_POST
def task_assign(request, pk):
    item = selectors.task_get_visible(request.user, pk)
    form = TargetingForm(request.POST)
    sent = _send(
        request,
        form,
        item.organization,
        lambda orgs: services.task_assign(by=request.user, task=item, organizations=orgs),
        _("You cannot send tasks from this organization."),
    )
    if sent is not None:
        messages.success(request, gettext("Sent to %(n)d organizations.") % {"n": sent})
        return redirect("duty:task", pk=item.pk)
    return _task_page(request, item, targeting=form, status=400)


def _assignment_page(
    request, assignment, *, report_form=None, split_form=None, targeting=None, review_form=None, status=200
):
    user = request.user
    obligation = assignment.obligation
    task = assignment.task
    context = {
        "a": assignment,
        "task": task,
        "reports": selectors.assignment_reports(assignment),
        "task_files": selectors.attachments_of(task),
        "children": selectors.child_tasks(user, assignment),
        "can_report": obligation.is_unclosed
        and obligation.state != "submitted"
        and services.can_report_for(user, assignment.organization, obligation),
        "can_split": obligation.is_unclosed
        and assignment.organization.children_count > 0
        and scoping.has_perm_on(user, OBLIGATIONS_CREATE, assignment.organization.path),
        "can_review": obligation.state == "submitted" and services.can_review(user, assignment),
        "report_form": report_form or ReportForm(task=task),
        "split_form": split_form
        or TaskForm(
            initial={
                "title": task.title,
                "description": task.description,
                "deadline": assignment.deadline,
                "report_kind": task.report_kind,
                "unit": task.unit,
                "checklist": "\n".join(task.checklist),
            },
            prefix="split",
        ),
        "targeting": targeting or TargetingForm(initial={"kind": "branch"}, prefix="to"),
        "review_form": review_form or ReasonForm(),
        "report_kinds": ReportKind,
        "today": timezone.localdate(),
        "node_state": selectors.node_state_of(assignment),
    }
    return render(request, "duty/assignment.html", context, status=status)


@login_required
def assignment(request, pk):
    return _assignment_page(request, selectors.assignment_get_visible(request.user, pk))


@login_required
@require_POST
def assignment_report(request, pk):
    item = selectors.assignment_get_visible(request.user, pk)
    form = ReportForm(request.POST, request.FILES, task=item.task)

    def report():
        services.report_add(
            by=request.user,
            assignment=item,
            text=form.cleaned_data["text"],
            number=form.cleaned_data["number"],
            checked=form.cleaned_data["checked"],
            completion=request.POST.get("completion") == "1",
            uploads=form.cleaned_data["files"],
        )

    if form.is_valid() and attempt(form, report):
        done = request.POST.get("completion") == "1"
        messages.success(request, gettext("Completion requested.") if done else gettext("Progress reported."))
        return redirect("duty:assignment", pk=pk)
    return _assignment_page(request, item, report_form=form, status=400)


@login_required
@require_POST
def assignment_split(request, pk):
    item = selectors.assignment_get_visible(request.user, pk)
    form = TaskForm(request.POST, request.FILES, prefix="split")
    targeting = TargetingForm(request.POST, prefix="to")
    if form.is_valid() and targeting.is_valid():
        orgs = targeting.organizations(request.user, item.organization)
        if orgs is not None:

            def split():
                services.task_split(
                    by=request.user, assignment=item, spec=_task_spec(form), organizations=orgs
                )

            if attempt(form, split):
                messages.success(request, gettext("Passed down to %(n)d organizations.") % {"n": len(orgs)})
                return redirect("duty:assignment", pk=pk)
    return _assignment_page(request, item, split_form=form, targeting=targeting, status=400)


@login_required
@require_POST
def assignment_review(request, pk):
    item = selectors.assignment_get_visible(request.user, pk)
    form = ReasonForm(request.POST)
    accept = request.POST.get("decision") == "accept"
    if accept:
        form.fields["reason"].required = False

    def review():
        if accept:
            services.assignment_accept(by=request.user, assignment=item, note=form.cleaned_data["reason"])
        else:
            services.assignment_return(by=request.user, assignment=item, reason=form.cleaned_data["reason"])

    if form.is_valid() and attempt(form, review):
        messages.success(request, gettext("Accepted.") if accept else gettext("Returned to the unit."))
        return redirect("duty:assignment", pk=pk)
    return _assignment_page(request, item, review_form=form, status=400)


# --- Across tasks -------------------------------------------------------------------------------------------


@login_required
def ledger(request):
    """督办台账, on the page or as Excel. A period ending before it starts is refused (400, the message, no
    rows, no file) rather than answered with an empty ledger."""
    user = request.user
    try:
        since, until = period_from_query(request.GET)
        refused = False
    except PeriodRefused as exc:
        messages.error(request, exc.message)
        since, until, refused = exc.since, exc.until, True
    under = organization_get_visible(user, request.GET["under"]) if request.GET.get("under") else None
    work_plan = selectors.plan_get_visible(user, request.GET["plan"]) if request.GET.get("plan") else None
    state = request.GET.get("state", "")
    qs = selectors.ledger_queryset(
        user,
        state=state,
        plan=work_plan,
        under=under,
        since=since,
        until=until,
        search=request.GET.get("q", ""),
    )
    if refused:
        qs = qs.none()
    elif request.GET.get("format") == "xlsx":
        name = f"{gettext('supervision-ledger')}-{timezone.localdate():%Y%m%d}.xlsx"
        return office_file_response(excel.ledger_xlsx(qs), name)
    page, plan_choices = _table_page(
        request,
        "ledger",
        lambda: qs,
        extra=lambda: list(selectors.plans_visible(user).values_list("pk", "title")),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "duty/ledger.html",
        {
            "page": page,
            "rows": page.object_list,
            "state": state,
            "states": [(s.value, s.label) for s in NodeState]
            + [
                ("on_time", _("Done on time")),
                ("late", _("Overdue or finished late")),
                ("reminded", _("Reminded")),
            ],
            "under": under,
            "plan": work_plan,
            "plans": plan_choices,
            "since": since,
            "until": until,
            "q": request.GET.get("q", ""),
            "query": params.urlencode(),
        },
        status=400 if refused else 200,
    )


@login_required
def streets(request):
    """All tasks with the share done on time, per street."""
    user = request.user
    plans_ = list(selectors.plans_visible(user))
    work_plan = None
    if request.GET.get("plan"):
        work_plan = selectors.plan_get_visible(user, request.GET["plan"])
    elif plans_:
        work_plan = plans_[0]
    tasks = selectors.plan_tasks(user, work_plan) if work_plan else []
    street_list = selectors.streets_visible(user)
    table = selectors.on_time_by_street(user, tasks, street_list)
    rows = [(t, [(s, table.get((t.pk, s.pk))) for s in street_list]) for t in tasks]
    totals = selectors.street_totals(table, street_list)
    return render(
        request,
        "duty/streets.html",
        {"plans": plans_, "plan": work_plan, "streets": street_list, "rows": rows, "totals": totals},
    )


@login_required
def summary(request):
    today = timezone.localdate()
    default = {"since": date(today.year, 1, 1), "until": today}
    try:
        since, until = period_from_query(request.GET, **default)
        refused = False
    except PeriodRefused as exc:  # refused, not swapped: the figures shown are the default period's
        messages.error(request, exc.message)
        since, until, refused = default["since"], default["until"], True
    figures = selectors.work_summary(request.user, since=since, until=until)
    period = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    ledger = reverse("duty:ledger")
    links = {
        "letters": reverse("duty:letters"),
        "tasks": reverse("duty:plans"),
        "units": f"{ledger}?{period}",
        "on_time": f"{ledger}?state=on_time&{period}",
        "late": f"{ledger}?state=late&{period}",
        "reminders": f"{ledger}?state=reminded&{period}",
    }
    return render(
        request,
        "duty/summary.html",
        {"s": figures, "links": links, "text": selectors.summary_text(figures)},
        status=400 if refused else 200,
    )
