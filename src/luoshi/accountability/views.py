"""Thin views of the accountability app."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.accountability import documents, selectors, services
from luoshi.accountability.models import Circular, Decision, DecisionKind, FourForms, Talk, TalkKind
from luoshi.accounts import scoping
from luoshi.accounts.permissions import OBLIGATIONS_CONFIRM
from luoshi.core.cache import cached
from luoshi.core.documents import office_file_response
from luoshi.core.errors import attempt
from luoshi.core.selectors import escalation_get_visible, get_or_404
from luoshi.inspections.selectors import finding_get_visible
from luoshi.orgs.forms import pick_organization
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import breadcrumb_visible


class CircularForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    public = forms.BooleanField(label=_("Public circular (公开通报)"), required=False)
    persons_named = forms.CharField(label=_("Persons named"), max_length=300, required=False)
    requirement = forms.CharField(
        label=_("What is required"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    form = forms.ChoiceField(label=_("Four forms"), choices=FourForms.choices, initial=FourForms.FORM_1)


class TalkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TalkKind.choices)
    organization = forms.CharField(
        label=_("Organization"), help_text=_("Type a name or code and pick the unit.")
    )
    persons = forms.CharField(label=_("Persons talked to"), max_length=300)
    persons_count = forms.IntegerField(label=_("Number of persons"), min_value=1, initial=1)
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    talker = forms.CharField(label=_("Talked to by"), max_length=100)
    basis = forms.CharField(label=_("Basis"), widget=forms.Textarea(attrs={"rows": 2}))
    record = forms.CharField(label=_("Record of the talk"), widget=forms.Textarea(attrs={"rows": 4}))
    statement = forms.CharField(
        label=_("The person's own statement"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    form = forms.ChoiceField(label=_("Four forms"), choices=FourForms.choices, initial=FourForms.FORM_1)


def _escalation_of(request, *, own_level: bool = False):
    """The confirmed proposal a record carries out (?escalation=), if any, and its unit's code. A user who
    may not decide it (or, without a proposal, may decide about no unit at all) is refused the page with 403
    rather than shown a form that can only fail (the proposal is visible, so its existence is no secret)."""
    if not request.GET.get("escalation"):
        if not services.can_decide_somewhere(request.user, own_level=own_level):
            raise PermissionDenied
        return None, {}
    escalation = escalation_get_visible(request.user, request.GET["escalation"])
    if not services.can_decide(request.user, escalation.obligation.organization):
        raise PermissionDenied
    return escalation, {"organization": escalation.obligation.organization.code}


@login_required
def talk_new(request):
    escalation, initial = _escalation_of(request, own_level=True)  # a collective talk at the office's level
    if escalation is not None:
        initial |= {"kind": TalkKind.ADMONISHMENT, "basis": escalation.obligation.title}
    form = TalkForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        org = pick_organization(form, request.user)
        if org is not None:
            made = {}
            data = {k: v for k, v in form.cleaned_data.items() if k != "organization"}

            def record():
                made["t"] = services.talk_record(
                    by=request.user, organization=org, escalation=escalation, **data
                )

            denied = ("organization", _("You can record talks only about units below your own."))
            if attempt(form, record, denied=denied):
                messages.success(request, gettext("The talk was recorded."))
                return redirect("accountability:talk", pk=made["t"].pk)
    return render(
        request,
        "accountability/record_form.html",
        {"form": form, "escalation": escalation, "heading": gettext("Record a talk")},
        status=400 if form.errors else 200,
    )


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DecisionKind.choices)
    organization = forms.CharField(
        label=_("Organization"), help_text=_("Type a name or code and pick the unit.")
    )
    persons = forms.CharField(label=_("Persons concerned"), max_length=300, required=False)
    decided_on = forms.DateField(label=_("Decided on"), widget=forms.DateInput(attrs={"type": "date"}))
    basis = forms.CharField(label=_("Basis"), widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}))
    statement = forms.CharField(
        label=_("The person's own statement"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    form = forms.ChoiceField(label=_("Four forms"), choices=FourForms.choices, initial=FourForms.FORM_1)


@login_required
def decision_new(request):
    escalation, initial = _escalation_of(request)
    if escalation is not None:
        initial |= {
            "kind": request.GET.get("kind", DecisionKind.NAMED_CRITICISM),
            "basis": escalation.obligation.title,
        }
    form = DecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        org = pick_organization(form, request.user)
        if org is not None:
            data = {k: v for k, v in form.cleaned_data.items() if k != "organization"}
            denied = ("organization", _("You can record decisions only about units below your own."))
            if attempt(
                form,
                lambda: services.decision_record(
                    by=request.user, organization=org, escalation=escalation, **data
                ),
                denied=denied,
            ):
                messages.success(request, gettext("The decision was recorded."))
                return redirect("accountability:index")
    return render(
        request,
        "accountability/record_form.html",
        {"form": form, "escalation": escalation, "heading": gettext("Record a decision")},
        status=400 if form.errors else 200,
    )


@login_required
def talk(request, pk):
    item = get_or_404(Talk.objects.visible_to(request.user).select_related("organization", "created_by"), pk)
    if request.GET.get("format") == "docx":
        name = f"谈话记录-{item.persons[:20]}-{item.held_on:%Y%m%d}.docx"
        return office_file_response(documents.talk_docx(item), name)
    return render(request, "accountability/talk.html", {"talk": item})


@login_required
def index(request):
    user = request.user
    return render(
        request,
        "accountability/index.html",
        {
            "circulars": Circular.objects.visible_to(user).select_related("organization", "issuer")[:50],
            "talks": Talk.objects.visible_to(user).select_related("organization")[:50],
            "decisions": Decision.objects.visible_to(user).select_related("organization")[:50],
            "can_record_talk": services.can_decide_somewhere(user, own_level=True),
            "can_record_decision": services.can_decide_somewhere(user),
        },
    )


@login_required
def circular_new(request):
    """A circular from a finding (and the confirmed proposal it carries out, if any)."""
    finding = finding_get_visible(request.user, request.GET.get("finding"))
    escalation = (
        escalation_get_visible(request.user, request.GET["escalation"])
        if request.GET.get("escalation")
        else None
    )
    issuers = [
        g.organization_id
        for g in scoping.grants_of(request.user)
        if OBLIGATIONS_CONFIRM in g.permissions and finding.organization.path.startswith(g.path)
    ]
    if not issuers:
        raise Http404
    issuer = Organization.objects.filter(pk__in=issuers).order_by("path").first()
    initial = {
        "title": gettext("Circular on the failure of %(org)s to rectify") % {"org": finding.organization.name}
    }
    form = CircularForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        made = {}

        def issue():
            made["c"] = services.circular_issue(
                by=request.user,
                issuer=issuer,
                organization=finding.organization,
                findings=[finding],
                title=form.cleaned_data["title"],
                public=form.cleaned_data["public"],
                persons_named=form.cleaned_data["persons_named"],
                requirement=form.cleaned_data["requirement"],
                escalation=escalation,
                form=form.cleaned_data["form"],
            )

        if attempt(form, issue):
            messages.success(request, gettext("The circular was issued."))
            return redirect("accountability:circular", pk=made["c"].pk)
    return render(
        request,
        "accountability/circular_form.html",
        {"form": form, "finding": finding, "escalation": escalation, "issuer": issuer},
        status=400 if form.errors else 200,
    )


@login_required
def circular(request, pk):
    item = get_or_404(Circular.objects.visible_to(request.user).select_related("organization", "issuer"), pk)
    if request.GET.get("format") == "docx":
        return office_file_response(documents.circular_docx(item), item.title + ".docx")
    return render(request, "accountability/circular.html", {"circular": item})


@login_required
def statistics(request):
    """The period's supervision figures, and the sentence an office puts into its report."""
    from django.utils import timezone

    from luoshi.core.periods import PeriodRefused

    today = timezone.localdate()
    try:
        since, until, unit = selectors.statistics_request(request.user, request.GET, today)
        refused = False
    except PeriodRefused as exc:  # refused with the message; the figures shown are the default period's
        messages.error(request, exc.message)
        params = request.GET.copy()
        params.pop("since", None)
        params.pop("until", None)
        since, until, unit = selectors.statistics_request(request.user, params, today)
        refused = True

    def compute():
        return selectors.supervision_report(request.user, since=since, until=until, unit=unit)

    # kept until any record changes (luoshi.core.cache): offices reload this page more than records change
    key = f"supervision-figures:{request.user.pk}:{since}:{until}:{unit.pk if unit else ''}"
    figures, by_unit = cached(key, compute)
    text = gettext(
        "From %(since)s to %(until)s: %(inspections)d inspections, %(secret)d of them surprise or covert, "
        "%(units)d units checked, %(findings)d problems found; %(on_time)d of %(due)d rectifications due were "
        "done on time; %(circulars)d circulars issued; %(talks)d talks held with %(persons)d persons."
    ) % {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "inspections": figures["inspections"],
        "secret": figures["secret"],
        "units": figures["units"],
        "findings": figures["findings"],
        "on_time": figures["on_time"],
        "due": figures["due"],
        "circulars": figures["circulars"],
        "talks": figures["talks"],
        "persons": figures["persons_talked"],
    }
    if unit is not None:
        text = f"{unit.name}：{text}"
    return render(
        request,
        "accountability/statistics.html",
        {
            "f": figures,
            "by_unit": by_unit,
            "unit": unit,
            "crumbs": breadcrumb_visible(request.user, unit) if unit else [],
            "since": since,
            "until": until,
            "text": text,
        },
        status=400 if refused else 200,
    )
