"""Thin views of the inspections app."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from luoshi.accountability import services as accountability
from luoshi.accounts import scoping
from luoshi.accounts.models import User
from luoshi.accounts.permissions import OBLIGATIONS_CREATE
from luoshi.core.documents import office_file_response
from luoshi.core.errors import ServiceError, attempt
from luoshi.core.models import Escalation, EscalationStatus, StepAction
from luoshi.core.views import MultipleFileField
from luoshi.inspections import selectors, services
from luoshi.inspections.models import InspectionKind, Scoring
from luoshi.inspections.services import AnswerIn
from luoshi.orgs.forms import TargetingForm
from luoshi.orgs.models import Organization


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=InspectionKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    standard = forms.ChoiceField(label=_("Standard"))
    organization = forms.ChoiceField(label=_("Organized by"))
    approver = forms.CharField(label=_("Approving leader"), help_text=_("Their login name."))
    starts_on = forms.DateField(label=_("Inspection starts"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Inspection ends"), widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.CharField(
        label=_("Team"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Login names, one per line; the first is the team leader."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standard"].choices = [(str(s.pk), str(s)) for s in selectors.standards_current()]
        self.fields["organization"].choices = [
            (str(o.pk), o.name)
            for o in Organization.objects.filter(pk__in=issuing_unit_ids(user)).order_by("path")
        ]

    def users(self, field: str) -> list | None:
        names = [n.strip() for n in self.cleaned_data[field].splitlines() if n.strip()]
        found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        missing = [n for n in names if n not in found]
        if missing:
            self.add_error(field, _("No such login: %(names)s") % {"names": "、".join(missing)})
            return None
        return [found[n] for n in names]


def issuing_unit_ids(user) -> list[int]:
    return [g.organization_id for g in scoping.grants_of(user) if OBLIGATIONS_CREATE in g.permissions]


class OrderForm(forms.Form):
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    evidence_required = forms.CharField(label=_("Evidence required"), max_length=300)


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("What was put right"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    files = MultipleFileField(label=_("Evidence"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


@login_required
def index(request):
    user = request.user
    return render(
        request,
        "inspections/index.html",
        {
            "inspections": selectors.inspections_visible(user)[:50],
            "can_plan": bool(issuing_unit_ids(user)),
            "visits": selectors.visits_visible(user).filter(submitted_at__isnull=False)[:30],
            "rectifications": selectors.rectifications_mine(user)[:30],
            "today": timezone.localdate(),
        },
    )


@login_required
def inspection_new(request):
    if not issuing_unit_ids(request.user):
        raise Http404
    form = InspectionForm(request.POST or None, user=request.user)
    targeting = TargetingForm(request.POST or None, prefix="to", initial={"kind": "community"})
    if request.method == "POST" and form.is_valid() and targeting.is_valid():
        data = form.cleaned_data
        organization = Organization.objects.get(pk=data["organization"])
        team, approver = form.users("team"), form.users("approver")
        targets = targeting.organizations(request.user, organization)
        if team is not None and approver is not None and targets is not None:
            made = {}

            def create():
                made["i"] = services.inspection_create(
                    by=request.user,
                    kind=data["kind"],
                    title=data["title"],
                    standard=selectors.standard_get(data["standard"]),
                    organization=organization,
                    approver=approver[0],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    team=team,
                    targets=targets,
                )

            if attempt(form, create):
                messages.success(request, gettext("The inspection was planned."))
                return redirect("inspections:inspection", pk=made["i"].pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "inspections/inspection_form.html", {"form": form, "targeting": targeting}, status=status
    )


@login_required
def inspection(request, pk):
    item = selectors.inspection_get_visible(request.user, pk)
    return render(
        request,
        "inspections/inspection.html",
        {
            "inspection": item,
            "targets": selectors.inspection_targets(item),
            "team": item.team.select_related("user"),
            "is_member": item.team.filter(user_id=request.user.pk).exists(),
        },
    )


def _visit_form_page(request, item, organization, *, errors=None, status=200):
    items = selectors.standard_items(item.standard)
    return render(
        request,
        "inspections/visit_form.html",
        {
            "inspection": item,
            "organization": organization,
            "items": items,
            "errors": errors or [],
            "typed": request.POST,
            "draft_key": f"luoshi-visit-{item.pk}-{organization.pk}",
        },
        status=status,
    )


@login_required
def visit_new(request, pk, org):
    item = selectors.inspection_get_visible(request.user, pk)
    target = item.targets.select_related("organization").filter(organization_id=org).first()
    if target is None or not item.team.filter(user_id=request.user.pk).exists():
        raise Http404
    organization = target.organization
    if request.method != "POST":
        return _visit_form_page(request, item, organization)
    answers, errors = {}, []
    for standard_item in selectors.standard_items(item.standard):
        raw = request.POST.get(f"item-{standard_item.pk}", "").strip()
        if raw == "":
            errors.append(gettext("%(code)s: no answer.") % {"code": standard_item.code})
            continue
        answers[standard_item.pk] = AnswerIn(
            value=raw,
            note=request.POST.get(f"note-{standard_item.pk}", ""),
            photos=tuple(request.FILES.getlist(f"photo-{standard_item.pk}")),
        )
    if not errors:
        try:
            visit = services.visit_record(
                by=request.user,
                inspection=item,
                organization=organization,
                answers=answers,
                summary=request.POST.get("summary", ""),
            )
        except ServiceError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, gettext("The visit was recorded."))
            return redirect("inspections:visit", pk=visit.pk)
    return _visit_form_page(request, item, organization, errors=errors, status=400)


@login_required
def visit(request, pk):
    item = selectors.visit_get_visible(request.user, pk)
    findings = list(item.findings.select_related("rectification").order_by("id"))
    return render(
        request,
        "inspections/visit.html",
        {
            "visit": item,
            "answers": selectors.visit_answers(item),
            "findings": findings,
            "is_insider": services.is_insider(request.user, item.inspection),
            "can_amend": services.can_amend(request.user, item),
            "amendments": item.amendments.select_related("by"),
            "order_form": OrderForm(),
        },
    )


@login_required
def finding(request, pk):
    item = selectors.finding_get_visible(request.user, pk)
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = {}

        def order():
            made["r"] = services.rectification_order(
                by=request.user,
                finding=item,
                deadline=form.cleaned_data["deadline"],
                evidence_required=form.cleaned_data["evidence_required"],
            )

        if attempt(form, order):
            messages.success(request, gettext("The rectification order was issued."))
            return redirect("inspections:rectification", pk=made["r"].pk)
    return render(
        request,
        "inspections/finding.html",
        {"finding": item, "form": form, "can_order": services.can_order(request.user, item)},
        status=400 if form.errors else 200,
    )


def _rectification_page(request, item, *, report_form=None, verify_form=None, status=200):
    return render(
        request,
        "inspections/rectification.html",
        {
            "r": item,
            "reports": selectors.rectification_reports(item),
            "report_form": report_form or ReportForm(),
            "verify_form": verify_form or ReasonForm(),
            "can_verify": item.obligation.state == "submitted" and services.can_verify(request.user, item),
            "can_report": item.obligation.is_active and services.can_report(request.user, item),
            # the confirmed consequences are carried out by who may decide them (accountability's rule)
            "can_carry_out": accountability.can_decide(request.user, item.organization),
            "confirmed": list(
                Escalation.objects.filter(obligation_id=item.obligation_id, status=EscalationStatus.CONFIRMED)
                .exclude(action__in=StepAction.automatic())
                .order_by("step_order")
            ),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def rectification(request, pk):
    return _rectification_page(request, selectors.rectification_get_visible(request.user, pk))


@login_required
@require_POST
def rectification_report(request, pk):
    item = selectors.rectification_get_visible(request.user, pk)
    form = ReportForm(request.POST, request.FILES)

    def report():
        services.rectification_report(
            by=request.user,
            rectification=item,
            text=form.cleaned_data["text"],
            uploads=form.cleaned_data["files"],
        )

    if form.is_valid() and attempt(form, report):
        messages.success(request, gettext("Reported; the inspection team will verify it."))
        return redirect("inspections:rectification", pk=pk)
    return _rectification_page(request, item, report_form=form, status=400)


@login_required
@require_POST
def rectification_verify(request, pk):
    item = selectors.rectification_get_visible(request.user, pk)
    form = ReasonForm(request.POST)
    accept = request.POST.get("decision") == "accept"

    def verify():
        services.rectification_verify(
            by=request.user, rectification=item, accept=accept, reason=form.cleaned_data["reason"]
        )

    if form.is_valid() and attempt(form, verify):
        messages.success(request, gettext("Accepted.") if accept else gettext("Returned to the unit."))
        return redirect("inspections:rectification", pk=pk)
    return _rectification_page(request, item, verify_form=form, status=400)


class StandardUploadForm(forms.Form):
    file = forms.FileField(label=_("Standard file (.xlsx or .yaml)"))


@login_required
def standards(request):
    """The current standards; a district administrator loads a new one, or a new version of one, from the
    Excel template or YAML. A version already used by an inspection never changes: a load adds a version."""
    from luoshi.accounts.permissions import POLICIES_EDIT
    from luoshi.inspections.excel import standard_data_from_xlsx
    from luoshi.inspections.standards import standard_load, standard_load_yaml

    can_edit = scoping.has_perm_at_top(request.user, POLICIES_EDIT)
    form = StandardUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            upload = form.cleaned_data["file"]
            loaded = {}

            def load():
                if upload.name.lower().endswith(".xlsx"):
                    try:
                        data = standard_data_from_xlsx(upload)
                    except ValueError as exc:
                        raise ServiceError(str(exc), field="file") from None
                    loaded["s"] = standard_load(data, by=request.user)
                else:
                    text = upload.read().decode("utf-8", errors="replace")
                    loaded["s"] = standard_load_yaml(text, by=request.user)

            if attempt(form, load):
                standard = loaded["s"]
                messages.success(
                    request,
                    gettext("%(name)s was loaded as version %(v)d.")
                    % {"name": standard.name, "v": standard.version},
                )
                return redirect("inspections:standard", pk=standard.pk)
    return render(
        request,
        "inspections/standards.html",
        {"standards": selectors.standards_current(), "can_edit": can_edit, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def standard_file(request, pk=None):
    """The Excel template (no pk), or a standard written out as that template, to edit and load again."""
    from luoshi.inspections.excel import standard_template, standard_xlsx

    if pk is None:
        data, name = standard_template(), gettext("standard-template") + ".xlsx"
    else:
        item = selectors.standard_get(pk)
        data, name = standard_xlsx(item), f"{item.name}-v{item.version}.xlsx"
    return office_file_response(data, name)


@login_required
def standard(request, pk):
    item = selectors.standard_get(pk)
    return render(
        request,
        "inspections/standard.html",
        {"standard": item, "items": selectors.standard_items(item), "scoring": Scoring},
    )


@login_required
def rectification_notice(request, pk):
    from luoshi.inspections.documents import rectification_notice_docx

    item = selectors.rectification_get_visible(request.user, pk)
    issuer = (
        item.finding.visit.inspection.organization.name
        if item.finding.visit
        else item.created_by.display_name
    )
    return office_file_response(
        rectification_notice_docx(item, issuer), f"整改通知书-{item.organization.name}.docx"
    )


@login_required
def visit_amend(request, pk):
    """A team member changes answers of a recorded visit, with the reason; the recorded version stays in the
    visit's history and the amendment lists what changed."""
    item = selectors.visit_get_visible(request.user, pk)
    if not services.can_amend(request.user, item):
        raise Http404
    answers = selectors.visit_answers(item)
    errors = []
    if request.method == "POST":
        changed = {}
        for answer in answers:
            raw = request.POST.get(f"item-{answer.item_id}", "").strip()
            note = request.POST.get(f"note-{answer.item_id}", "").strip()
            if raw and (raw != f"{answer.value.normalize():f}" or note != answer.note):
                changed[answer.item_id] = AnswerIn(value=raw, note=note)
        try:
            services.visit_amend(
                by=request.user, visit=item, reason=request.POST.get("reason", ""), answers=changed
            )
        except ServiceError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, gettext("The visit was amended; the recorded version is kept."))
            return redirect("inspections:visit", pk=pk)
    return render(
        request,
        "inspections/visit_amend.html",
        {"visit": item, "answers": answers, "errors": errors, "typed": request.POST},
        status=400 if errors else 200,
    )
