"""Thin views: parse, fetch through the scoped helpers, call a service, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from luoshi.accounts import scoping
from luoshi.accounts.permissions import AUDIT_VIEW, OBLIGATIONS_CREATE, OBLIGATIONS_VIEW, POLICIES_EDIT
from luoshi.core import obligations as ob_services
from luoshi.core import selectors
from luoshi.core.attachments import SUBJECTS, blob_path
from luoshi.core.errors import NotPermitted, ServiceError, attempt
from luoshi.core.history import HISTORY_SOURCES, versions_of
from luoshi.core.models import Attachment, EscalationPolicy, Notification
from luoshi.orgs.selectors import organization_get_visible, organization_roots_visible


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    files = MultipleFileField(label=_("Evidence (optional)"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class SupervisionItemForm(forms.Form):
    organization = forms.CharField(
        label=_("Responsible unit"),
        help_text=_("Type a name or code and pick the unit."),
        widget=forms.TextInput(attrs={"list": "org-options", "autocomplete": "off"}),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    detail = forms.CharField(label=_("Detail"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))


@login_required
def home(request):
    data = selectors.home_for_cached(request.user)
    context = {
        "home": data,
        "today": timezone.localdate(),
        "sees_obligations": scoping.has_perm_anywhere(request.user, OBLIGATIONS_VIEW) or data.counts["total"],
        "my_orgs": organization_roots_visible(request.user),
    }
    return render(request, "core/home.html", context)


@login_required
def obligation_list(request):
    org = None
    if request.GET.get("org"):
        org = organization_get_visible(request.user, request.GET["org"])
    state = request.GET.get("state", "active")
    qs = selectors.obligation_list_visible(
        request.user,
        state=state,
        org=org,
        mine=request.GET.get("mine") == "1",
        search=request.GET.get("q", ""),
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    selectors.attach_next_steps(page.object_list)
    return render(
        request,
        "core/obligation_list.html",
        {
            "page": page,
            "state": state,
            "org": org,
            "states": [
                ("active", _("Active")),
                ("due_soon", _("Due soon")),
                ("overdue", _("Overdue")),
                ("escalated", _("Escalated")),
                ("submitted", _("Awaiting acceptance")),
                ("awaiting", _("Waiting for my decision")),
                ("done", _("Done")),
                ("waived", _("Waived")),
                ("all", _("All")),
            ],
            "today": timezone.localdate(),
            "can_create": scoping.has_perm_anywhere(request.user, OBLIGATIONS_CREATE),
        },
    )


def _detail(
    request, obligation, *, complete_form=None, waive_form=None, decide_form=None, decide_id=None, status=200
):
    context = {
        "obligation": obligation,
        "complete_form": complete_form or CompleteForm(),
        "waive_form": waive_form or ReasonForm(),
        "decide_form": decide_form or ReasonForm(),
        "decide_id": decide_id,
        "today": timezone.localdate(),
        **selectors.obligation_detail(request.user, obligation),
    }
    return render(request, "core/obligation_detail.html", context, status=status)


@login_required
def obligation_detail(request, pk):
    return _detail(request, selectors.obligation_get_visible(request.user, pk))


@login_required
@require_POST
def obligation_complete(request, pk):
    obligation = selectors.obligation_get_visible(request.user, pk)
    form = CompleteForm(request.POST, request.FILES)

    def complete():  # the service checks rights before it stores any file
        ob_services.obligation_complete(
            obligation=obligation,
            user=request.user,
            note=form.cleaned_data["note"],
            uploads=form.cleaned_data["files"],
        )

    if form.is_valid() and attempt(form, complete):
        messages.success(request, gettext("Reported as done."))
        return redirect("core:obligation", pk=pk)
    return _detail(request, obligation, complete_form=form, status=400)


@login_required
@require_POST
def obligation_waive(request, pk):
    obligation = selectors.obligation_get_visible(request.user, pk)
    form = ReasonForm(request.POST)

    def waive():
        ob_services.obligation_waive(
            obligation=obligation, user=request.user, reason=form.cleaned_data["reason"]
        )

    if form.is_valid() and attempt(form, waive):
        messages.success(request, gettext("The obligation was waived."))
        return redirect("core:obligation", pk=pk)
    return _detail(request, obligation, waive_form=form, status=400)


@login_required
@require_POST
def escalation_decide(request, pk):
    escalation = selectors.escalation_get_visible(request.user, pk)
    obligation = selectors.obligation_get_visible(request.user, escalation.obligation_id)
    form = ReasonForm(request.POST)
    decision = request.POST.get("decision")
    if decision not in ("confirm", "dismiss"):
        form.add_error(None, _("Choose confirm or dismiss."))
    decide = lambda: ob_services.escalation_decide(  # noqa: E731
        escalation=escalation,
        user=request.user,
        confirm=decision == "confirm",
        reason=form.cleaned_data["reason"],
    )
    if form.is_valid() and attempt(form, decide):
        messages.success(request, gettext("Your decision was recorded."))
        return redirect("core:obligation", pk=obligation.pk)
    return _detail(request, obligation, decide_form=form, decide_id=escalation.pk, status=400)


@login_required
def obligation_create(request):
    if not scoping.has_perm_anywhere(request.user, OBLIGATIONS_CREATE):
        raise Http404
    form = SupervisionItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from luoshi.orgs.selectors import organization_pick_visible

        org = organization_pick_visible(request.user, form.cleaned_data["organization"])
        if org is None:
            form.add_error("organization", _("No unit with this name or code in your scope."))
        else:
            assigned = {}

            def assign():
                assigned["item"] = ob_services.supervision_item_assign(
                    by=request.user,
                    organization=org,
                    title=form.cleaned_data["title"],
                    detail=form.cleaned_data["detail"],
                    due_date=form.cleaned_data["due_date"],
                )

            denied = ("organization", _("You can assign items only to units below your own."))
            if attempt(form, assign, denied=denied):
                messages.success(request, gettext("The supervision item was assigned."))
                return redirect("core:obligation", pk=assigned["item"].pk)
    return render(request, "core/obligation_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def policies(request):
    """督办规则 — every kind's ladder; a holder of 'edit ladders' may change the days."""
    rows = list(EscalationPolicy.objects.prefetch_related("steps").order_by("kind"))
    can_edit = scoping.has_perm_at_top(request.user, POLICIES_EDIT)
    errors = {}
    if request.method == "POST":
        policy = next((p for p in rows if str(p.pk) == request.POST.get("policy")), None)
        if policy is None:
            raise Http404
        offsets, bad = {}, False
        for step in policy.steps.all():
            raw = request.POST.get(f"step-{step.order}", "").strip()
            try:
                offsets[step.order] = int(raw)
            except ValueError:
                bad = True
        try:
            if bad:
                raise ServiceError(_("Enter each step's days as a whole number."))
            ob_services.policy_offsets_set(policy=policy, user=request.user, offsets=offsets)
        except NotPermitted:
            raise PermissionDenied from None
        except ServiceError as exc:
            errors[policy.pk] = exc.message
            policy.typed = {
                int(k.removeprefix("step-")): v for k, v in request.POST.items() if k.startswith("step-")
            }
        else:
            messages.success(
                request, gettext("The ladder was saved; open obligations follow it from now on.")
            )
            return redirect("core:policies")
    return render(
        request,
        "core/policies.html",
        {"policies": rows, "can_edit": can_edit, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@login_required
def notification_open(request, pk):
    note = selectors.notification_get_own(request.user, pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return redirect(note.url or "core:inbox")


@login_required
@require_POST
def inbox_read_all(request):
    Notification.objects.filter(recipient=request.user, read_at=None).update(read_at=timezone.now())
    return redirect("core:inbox")


@login_required
def history(request, source, pk):
    """Every version of a record: who changed what, when. Needs 'audit.view' over the record's unit."""
    if source not in HISTORY_SOURCES:
        raise Http404
    fetch, org_of = HISTORY_SOURCES[source]
    record = fetch(request.user, pk)
    if not scoping.has_perm_on(request.user, AUDIT_VIEW, org_of(record).path):
        raise Http404
    return render(request, "core/history.html", {"record": record, "versions": versions_of(record)})


@login_required
def attachment_download(request, pk):
    try:
        attachment = Attachment.objects.select_related("blob").get(pk=pk, archived_at=None)
    except (Attachment.DoesNotExist, ValueError):
        raise Http404 from None
    subject_type = attachment.subject_type
    fetch = SUBJECTS.get(f"{subject_type.app_label}.{subject_type.model}") if subject_type else None
    if fetch is None:
        raise Http404
    fetch(request.user, attachment.subject_id)  # 404 unless its record is visible
    return FileResponse(
        open(blob_path(attachment.blob.sha256), "rb"),
        as_attachment=not attachment.blob.content_type.startswith("image/"),
        filename=attachment.filename,
        content_type=attachment.blob.content_type,
    )
