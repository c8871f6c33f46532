"""Thin views of the sites app."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from luoshi.core.cache import cached
from luoshi.core.errors import NotPermitted, attempt
from luoshi.sites import selectors, services
from luoshi.sites.models import ServiceCenter, ServiceOffering


class CenterForm(forms.Form):
    organization = forms.CharField(
        label=_("Village/community organization"), help_text=_("Type a name or code and pick the unit.")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=200)
    area_m2 = forms.IntegerField(label=_("Floor area (m²)"), min_value=1)
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=120)
    staff_count = forms.IntegerField(label=_("Full-time staff"), min_value=0)
    services = forms.MultipleChoiceField(
        label=_("Services"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = list(
            ServiceOffering.objects.filter(archived_at=None).values_list("code", "name")
        )


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    milestones = forms.CharField(
        label=_("Milestones"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: the date, a space, then what is to be done (e.g. 2026-12-10 完成场地改造)."
        ),
    )

    def clean_milestones(self):
        rows = []
        for line in self.cleaned_data["milestones"].splitlines():
            if not line.strip():
                continue
            day, _sep, title = line.strip().partition(" ")
            try:
                rows.append((title.strip(), date.fromisoformat(day)))
            except ValueError:
                raise forms.ValidationError(
                    _("Not a date at the start of: %(line)s") % {"line": line.strip()}
                ) from None
        return rows


@login_required
def center_new(request):
    from luoshi.orgs.forms import pick_organization

    form = CenterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = pick_organization(form, request.user)
        if org is not None:
            made = {}
            data = {k: v for k, v in form.cleaned_data.items() if k != "organization"}

            def register():
                made["c"] = services.center_register(by=request.user, organization=org, **data)

            if attempt(
                form, register, denied=("organization", _("You may not register this organization's center."))
            ):
                messages.success(request, gettext("The center was registered."))
                return redirect("sites:center", pk=made["c"].pk)
    return render(request, "sites/center_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def project_new(request, pk):
    item = selectors.center_get_visible(request.user, pk)
    form = ProjectForm(request.POST)

    def create():
        services.project_create(
            by=request.user,
            center=item,
            title=form.cleaned_data["title"],
            deadline=form.cleaned_data["deadline"],
            milestones=form.cleaned_data["milestones"],
        )

    if form.is_valid() and attempt(form, create):
        messages.success(request, gettext("The construction project was set."))
        return redirect("sites:center", pk=pk)
    return _center_page(request, item, project_form=form, status=400)


@login_required
def centers(request):
    order = request.GET.get("order", "worst")
    number = request.GET.get("page") or "1"

    def compute():
        paginator = Paginator(selectors.centers_ranked(request.user, worst_first=order != "best"), 50)
        page = paginator.get_page(number)
        rows = [
            {
                "pk": c.pk,
                "name": c.name,
                "organization": c.organization.name,
                "score": c.score,
                "visited_at": c.visited_at,
                "visit_id": c.visit_id,
            }
            for c in page.object_list
        ]
        return {"rows": rows, "count": paginator.count, "number": page.number}

    # the ranking changes only when a visit is recorded: kept until then (luoshi.core.cache)
    data = cached(f"centers:{request.user.pk}:{order}:{number}", compute)
    paginator = Paginator(ServiceCenter.objects.none(), 50)
    paginator.count = data["count"]  # a cached_property, set: the pager asks the database nothing
    page = Page(data["rows"], data["number"], paginator)
    return render(
        request, "sites/centers.html", {"page": page, "order": order, "pass_score": selectors.pass_score()}
    )


def _center_page(request, item, *, project_form=None, status=200):
    from luoshi.accounts import scoping
    from luoshi.accounts.permissions import OBLIGATIONS_CREATE

    projects = list(item.projects.prefetch_related("milestones__obligation").order_by("-deadline"))
    ranked = selectors.centers_ranked(request.user).filter(pk=item.pk).first()
    return render(
        request,
        "sites/center.html",
        {
            "center": item,
            "services": item.services.all(),
            "projects": projects,
            "ranked": ranked,
            "can_report": services.can_report_milestones(request.user, item),
            "can_set_project": scoping.has_perm_on(
                request.user, OBLIGATIONS_CREATE, item.organization.path, above=True
            ),
            "project_form": project_form or ProjectForm(),
            "pass_score": selectors.pass_score(),
        },
        status=status,
    )


@login_required
def center(request, pk):
    return _center_page(request, selectors.center_get_visible(request.user, pk))


@login_required
@require_POST
def milestone_done(request, pk):
    milestone = selectors.milestone_get_visible(request.user, pk)
    try:
        services.milestone_done(by=request.user, milestone=milestone)
    except NotPermitted:
        raise PermissionDenied from None
    messages.success(request, gettext("The milestone was reported reached."))
    return redirect("sites:center", pk=milestone.project.center_id)
