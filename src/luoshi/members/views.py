"""Pages of the register: the list and its search, a member with the history, imports (upload, progress,
preview, commit, the error sheet)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_DUES
from luoshi.core.documents import office_file_response
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.history import versions_of
from luoshi.members import selectors, services
from luoshi.members.models import Category, ImportStatus, Member
from luoshi.orgs.forms import pick_organization
from luoshi.orgs.selectors import organization_get_visible, organization_roots_visible

PAGE = 50


@login_required
def index(request):
    if not selectors.can_view(request.user):
        raise Http404
    under = organization_get_visible(request.user, request.GET["org"]) if request.GET.get("org") else None
    search = request.GET.get("q", "")
    qs = selectors.member_list(
        request.user,
        search=search,
        under=under,
        category=request.GET.get("category", ""),
        flag=request.GET.get("flag", ""),
    )
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    for m in page.object_list:
        m.national_id_shown = selectors.mask_id(m.national_id)
        m.phone_shown = selectors.mask_phone(m.phone)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "members/index.html",
        {
            "page": page,
            "search": search,
            "under": under,
            "categories": Category.choices,
            "query": params.urlencode(),
            "can_import": selectors.can_import(request.user),
            "can_keep_dues": scoping.has_perm_anywhere(request.user, MEMBERS_DUES),
        },
    )


@login_required
def member(request, pk):
    item = selectors.member_get_visible(request.user, pk)
    sensitive = selectors.can_see_sensitive(request.user, item)
    revealed = False
    national_id, phone = selectors.mask_id(item.national_id), selectors.mask_phone(item.phone)
    if sensitive and request.GET.get("reveal") == "1":
        national_id, phone = services.sensitive_read(by=request.user, member=item)
        revealed = True
    # the history shows the ID and phone as the page does
    mask = {} if revealed else {"national_id": _hide(selectors.mask_id), "phone": _hide(selectors.mask_phone)}
    versions = versions_of(item, mask=mask)
    transfers_of = item.transfers.select_related("from_organization", "to_organization").order_by(
        "-issued_on"
    )
    from luoshi.members import dues

    dues_of = None
    if dues.can_keep(request.user, item.organization):
        year = timezone.localdate().year
        dues_of = {
            "year": year,
            "assessment": item.dues_assessments.filter(year=year).first(),
            "payments": list(item.dues_payments.filter(month__year=year).order_by("-month", "-id")),
        }
    return render(
        request,
        "members/member.html",
        {
            "m": item,
            "national_id": national_id,
            "phone": phone,
            "sensitive": sensitive,
            "revealed": revealed,
            "versions": versions,
            "transfers": transfers_of,
            "dues": dues_of,
            "can_manage": selectors.can_manage(request.user, item),
            "last_orglife": _last_orglife(item),
        },
    )


def _last_orglife(member):
    """The day of the last organizational life the member attended, as the meetings recorded it."""
    from luoshi.orglife.selectors import last_orglife

    return last_orglife([member.pk]).get(member.pk)


def _hide(mask):
    return lambda value: mask(str(value)) if value else value


class TransferForm(forms.Form):
    to_organization = forms.CharField(
        label=_("To (organization code or exact name in this system)"), max_length=100, required=False
    )
    to_name = forms.CharField(
        label=_("Or: an organization outside this system"), max_length=200, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=92, initial=30)


@login_required
def transfer_new(request, pk):
    member = selectors.member_get_visible(request.user, pk)
    if not selectors.can_manage(request.user, member):
        raise Http404
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = None
        if data["to_organization"]:
            target = selectors.receiving_organization(data["to_organization"])
            if target is None:
                form.add_error("to_organization", gettext("No branch keeping members has this code or name."))
        if not form.errors:
            try:
                transfer = services.transfer_issue(
                    by=request.user,
                    member=member,
                    to_organization=target,
                    to_name=data["to_name"],
                    reason=data["reason"],
                    days=data["days"],
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, gettext("Letter %(number)s issued.") % {"number": transfer.number})
                return redirect(transfer)
    return render(
        request, "members/transfer_form.html", {"m": member, "form": form}, status=400 if form.errors else 200
    )


@login_required
def transfers(request):
    if not selectors.can_view(request.user):
        raise Http404
    qs = selectors.transfers_visible(request.user)
    return render(
        request,
        "members/transfers.html",
        {
            "waiting": qs.filter(status="issued").order_by("valid_until"),
            "closed": qs.exclude(status="issued")[:50],
        },
    )


@login_required
def transfer(request, pk):
    item = selectors.transfer_get_visible(request.user, pk)
    from luoshi.accounts import scoping
    from luoshi.accounts.permissions import MEMBERS_MANAGE

    owner = selectors.transfer_owner(item)
    can_receive = item.status == "issued" and scoping.has_perm_on(request.user, MEMBERS_MANAGE, owner.path)
    can_cancel = item.status == "issued" and scoping.has_perm_on(
        request.user, MEMBERS_MANAGE, item.from_organization.path
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "receive" and can_receive:
                services.transfer_receive(by=request.user, transfer=item, note=request.POST.get("note", ""))
                messages.success(request, gettext("The receipt is recorded."))
            elif request.POST.get("action") == "cancel" and can_cancel:
                services.transfer_cancel(
                    by=request.user, transfer=item, reason=request.POST.get("reason", "")
                )
                messages.success(request, gettext("The letter is withdrawn."))
            else:
                raise Http404
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect(item)
    return render(
        request,
        "members/transfer.html",
        {"t": item, "owner": owner, "can_receive": can_receive, "can_cancel": can_cancel},
    )


class UploadForm(forms.Form):
    organization = forms.CharField(
        label=_("Into the register of"),
        max_length=100,
        help_text=_("Name or code of your organization; rows may name any branch below it."),
    )
    file = forms.FileField(label=_("File (.xlsx or .csv)"))


@login_required
def imports(request):
    if not selectors.can_import(request.user):
        raise Http404
    roots = organization_roots_visible(request.user)
    form = UploadForm(
        request.POST or None, request.FILES or None, initial={"organization": roots[0].name if roots else ""}
    )
    if request.method == "POST" and form.is_valid():
        org = pick_organization(form, request.user)
        if org is not None:
            try:
                job = services.import_start(
                    by=request.user, organization=org, upload=form.cleaned_data["file"]
                )
            except NotPermitted:
                form.add_error(
                    "organization", gettext("You may not import into this organization's register.")
                )
            except ServiceError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect(job)
    jobs = selectors.imports_visible(request.user)[:30]
    return render(
        request,
        "members/imports.html",
        {"form": form, "jobs": jobs, "max_rows": services.MAX_ROWS},
        status=400 if form.errors else 200,
    )


@login_required
def template(request):
    if not selectors.can_import(request.user):
        raise Http404
    return office_file_response(services.template_xlsx(), gettext("member-register-template") + ".xlsx")


def _import_context(request, job):
    errors = sorted(((int(row), messages) for row, messages in job.errors.items()), key=lambda e: e[0])
    page = Paginator(errors, 100).get_page(request.GET.get("page"))
    # a row refused because the member is registered in another organization: the way to their transfer, for
    # a viewer who may start it
    shown = {row for row, _messages in page.object_list}
    elsewhere = {int(row): pk for row, pk in (job.registered_elsewhere or {}).items() if int(row) in shown}
    if elsewhere:
        movable = {
            m.pk
            for m in Member.objects.visible_to(request.user)
            .filter(pk__in=elsewhere.values())
            .select_related("organization")
            if selectors.can_manage(request.user, m)
        }
        page.object_list = [
            (row, messages, elsewhere[row] if elsewhere.get(row) in movable else None)
            for row, messages in page.object_list
        ]
    else:
        page.object_list = [(row, messages, None) for row, messages in page.object_list]
    return {
        "job": job,
        "errors": page,
        "file_problem": job.errors.get("0"),
        "running": job.status in (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.COMMITTING),
    }


@login_required
def import_detail(request, pk):
    job = selectors.import_get_visible(request.user, pk)
    return render(request, "members/import.html", _import_context(request, job))


@login_required
def import_progress(request, pk):
    """The part of the import page that changes while the job runs (polled by HTMX)."""
    job = selectors.import_get_visible(request.user, pk)
    response = render(request, "members/_import_status.html", _import_context(request, job))
    if request.headers.get("HX-Request") and job.status not in (
        ImportStatus.QUEUED,
        ImportStatus.CHECKING,
        ImportStatus.COMMITTING,
    ):
        response["HX-Refresh"] = "true"  # finished: the whole page shows the preview or the result
    return response


@login_required
@require_POST
def import_commit(request, pk):
    job = selectors.import_get_visible(request.user, pk)
    try:
        job = services.import_commit(by=request.user, job=job)
    except ServiceError as exc:
        messages.error(request, exc.message)
    except NotPermitted:
        raise Http404 from None
    else:
        if job.status == ImportStatus.COMMITTED:
            messages.success(
                request,
                gettext("Imported: %(new)d new members, %(changed)d changed, %(same)d unchanged.")
                % {"new": job.created_count, "changed": job.updated_count, "same": job.unchanged_count},
            )
    return redirect(job)


@login_required
def import_errors(request, pk):
    """The refused rows as the same sheet with an error column, to fix in Excel and upload again."""
    job = selectors.import_get_visible(request.user, pk)
    if not job.error_rows:
        raise Http404
    content = services.error_sheet_of(job)
    return office_file_response(content, f"{gettext('errors')}-{job.filename.rsplit('.', 1)[0]}.xlsx")


@login_required
def member_edit(request, pk):
    """A correction by hand, through the same checks as an import row; kept in the member's history."""
    from luoshi.members.validation import HEADERS, OrgRef, check_row
    from luoshi.orgs.models import Organization

    item = selectors.member_get_visible(request.user, pk)
    if not selectors.can_manage(request.user, item):
        raise Http404
    yes_no = {True: "是", False: "否"}
    current = [
        item.name,
        "男" if item.sex == "M" else "女",
        item.ethnicity,
        item.national_id,
        item.birth_date.isoformat(),
        item.education,
        "正式党员" if item.category == "full" else "预备党员",
        item.organization.code,
        item.joined_on.isoformat(),
        item.full_on.isoformat() if item.full_on else "",
        item.post,
        item.phone,
        item.residence,
        yes_no[item.mobile],
        yes_no[item.lost_contact],
        item.lost_contact_since.isoformat() if item.lost_contact_since else "",
    ]
    cells = (
        [request.POST.get(f"c{i}", value) for i, value in enumerate(current)]
        if request.method == "POST"
        else current
    )
    errors = []
    if request.method == "POST":
        from luoshi.accounts.permissions import MEMBERS_MANAGE

        # the one organization the form names, if it lies in the user's scope (not the whole tree: a province
        # has 95,000)
        organizations = {
            code: OrgRef(org_id, holds)
            for code, org_id, holds in Organization.objects.active()
            .filter(scoping.scope_q(request.user, MEMBERS_MANAGE), code=str(cells[7] or "").strip())
            .values_list("code", "id", "holds_members")
        }
        values, errors = check_row(cells, organizations=organizations, today=timezone.localdate())
        reason = request.POST.get("reason", "").strip()
        if values is not None and not reason:
            errors = [gettext("Give the reason for the correction (e.g. checked with the member's ID card).")]
        if values is not None and not errors:
            duplicate = (
                Member.objects.active().filter(national_id=values["national_id"]).exclude(pk=item.pk).first()
            )
            if duplicate:
                errors = [gettext("Another member in the register has this national ID.")]
            else:
                try:
                    services.member_update(by=request.user, member=item, values=values, reason=reason)
                except ServiceError as exc:
                    errors = [exc.message]
                else:
                    messages.success(request, gettext("The corrections are saved."))
                    return redirect(item)
    fields = list(zip(HEADERS, cells, strict=True))
    return render(
        request,
        "members/member_form.html",
        {"m": item, "fields": fields, "errors": errors, "reason": request.POST.get("reason", "")},
        status=400 if errors else 200,
    )
