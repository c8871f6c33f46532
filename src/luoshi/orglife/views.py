"""Organizational life's pages: a branch's month on a phone (the plan, the big button, the record form), an
office's plans with the six unifications computed per branch, supervision visits, the meeting record with its
attendance and QR self-confirmation, the quarterly one-table report and the year's archive."""

from datetime import timedelta
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST

from luoshi.accounts import scoping
from luoshi.accounts.permissions import ORGLIFE_PLAN, ORGLIFE_RECORD, ORGLIFE_SUPERVISE, ORGS_VIEW
from luoshi.core.attachments import attach_files
from luoshi.core.cache import cached
from luoshi.core.documents import office_file_response
from luoshi.core.errors import NotPermitted, ServiceError, attempt
from luoshi.core.history import versions_of
from luoshi.core.models import UNCLOSED_STATES
from luoshi.orglife import forms, selectors, services
from luoshi.orglife.models import (
    Attendance,
    CheckInConflict,
    ConflictStatus,
    Meeting,
    MeetingDue,
    MeetingKind,
    MeetingRule,
    PlanSupervisor,
    SupervisionVisit,
)
from luoshi.orglife.periods import month_end, month_start, next_period_start, quarter
from luoshi.orgs.models import Organization, OrgKind
from luoshi.orgs.selectors import (
    organization_get_visible,
    organization_pick_visible,
    organization_roots_visible,
)
from luoshi.orgs.tree import ancestor_paths, subtree_q

PAGE = 50


# --- whose pages: the user's branches, offices and supervision ----------------------------------------------


def _own_branches(user) -> list[Organization]:
    """The branches the user records for: a grant of orglife.record on the branch itself."""
    ids = [g.organization_id for g in scoping.grants_of(user) if ORGLIFE_RECORD in g.permissions]
    return list(Organization.objects.active().filter(pk__in=ids, holds_members=True).order_by("path"))


def _offices(user) -> list[Organization]:
    """The offices whose plans and rules the user makes: a grant of orglife.plan on the office itself."""
    ids = [g.organization_id for g in scoping.grants_of(user) if ORGLIFE_PLAN in g.permissions]
    return list(Organization.objects.active().filter(pk__in=ids).order_by("path"))


def _root_for(user, plan, under_id=None) -> Organization:
    """The part of the plan's branches the user looks at: ?under=, else the plan's office when the user sees
    it, else the top of the user's own scope below it (a street sees its own branches of a district plan)."""
    if under_id:
        org = organization_get_visible(user, under_id)
        if not org.path.startswith(plan.organization.path):
            raise Http404
        return org
    if scoping.has_perm_on(user, ORGS_VIEW, plan.organization.path):
        return plan.organization
    paths = [p for p in scoping.paths_with_perm(user, ORGS_VIEW) if p.startswith(plan.organization.path)]
    org = Organization.objects.filter(path__in=paths[:1]).first()
    if org is None:
        raise Http404
    return org


def _supervision_of(user, plans) -> list[dict]:
    """The branches the user supervises for these plans: held or not, visited or not."""
    assigned = list(
        PlanSupervisor.objects.filter(plan__in=plans, supervisor=user).select_related("plan", "branch")
    )
    if not assigned:
        return []
    pairs = {(a.plan_id, a.branch_id) for a in assigned}
    held = {
        (plan_id, branch_id): pk
        for plan_id, branch_id, pk in Meeting.objects.held()
        .filter(plan__in={a.plan_id for a in assigned}, branch__in={a.branch_id for a in assigned})
        .order_by("-starts_at")
        .values_list("plan_id", "branch_id", "pk")
        if (plan_id, branch_id) in pairs
    }
    visited = set(
        SupervisionVisit.objects.filter(plan__in={a.plan_id for a in assigned}, supervisor=user).values_list(
            "plan_id", "branch_id"
        )
    )
    rows = [
        {
            "plan": a.plan,
            "branch": a.branch,
            "meeting_id": held.get((a.plan_id, a.branch_id)),
            "visited": (a.plan_id, a.branch_id) in visited,
        }
        for a in assigned
    ]
    return sorted(rows, key=lambda r: (r["meeting_id"] is not None, r["visited"], r["branch"].path))


def _branch_panel(branch, today) -> dict:
    plan = selectors.current_plan_for(branch, today=today)
    supervisor = theme_day = None
    if plan is not None:
        row = PlanSupervisor.objects.filter(plan=plan, branch=branch).select_related("supervisor").first()
        supervisor = row.supervisor if row else None
        theme_day = Meeting.objects.held().filter(plan=plan, branch=branch).order_by("starts_at").first()
    return {
        "branch": branch,
        "plan": plan,
        "supervisor": supervisor,
        "theme_day": theme_day,
        "recent": list(Meeting.objects.held().filter(branch=branch).order_by("-starts_at")[:5]),
        "conflicts": list(
            CheckInConflict.objects.open()
            .filter(attendance__meeting__branch=branch)
            .select_related("attendance__member", "attendance__meeting")
        ),
        "dues": list(
            MeetingDue.objects.filter(branch=branch, obligation__state__in=UNCLOSED_STATES)
            .select_related("obligation")
            .order_by("period_start")
        ),
    }


@login_required
def index(request):
    user = request.user
    today = timezone.localdate()
    offices = _offices(user)
    plans = []
    if offices:
        for plan in (
            selectors.plans_visible(user)
            .filter(Q(published_at__isnull=False) | scoping.scope_q(user, ORGLIFE_PLAN, "organization__path"))
            .select_related("organization")[:6]
        ):
            rows = selectors.compliance(plan, under=_root_for(user, plan)) if plan.published_at else []
            plan.summary = {
                "branches": len(rows),
                "held": sum(r.meeting is not None for r in rows),
                "complete": sum(r.meeting is not None and r.complete for r in rows),
            }
            plans.append(plan)
    recent_plans = selectors.plans_visible(user).published().filter(month__gte=month_start(today, -2))
    member = services.member_of_user(user)
    mine = None
    if member is not None:
        mine = {
            "member": member,
            "plan": selectors.current_plan_for(member.organization, today=today),
            "last": selectors.last_orglife([member.pk]).get(member.pk),
        }
    return render(
        request,
        "orglife/index.html",
        {
            "branches": [_branch_panel(b, today) for b in _own_branches(user)],
            "offices": offices,
            "plans": plans,
            "supervision": _supervision_of(user, recent_plans),
            "mine": mine,
            "today": today,
        },
    )


# --- rules --------------------------------------------------------------------------------------------------


@login_required
def rules(request):
    user = request.user
    today = timezone.localdate()
    offices = _offices(user)
    rule_id = request.POST.get("rule") or request.GET.get("rule")
    rule = None
    if rule_id:
        rule = (
            MeetingRule.objects.filter(pk=rule_id, organization__in=offices).first()
            if rule_id.isdigit()
            else None
        )
        if rule is None:
            raise Http404
    if request.method == "POST" and not offices:
        raise Http404
    initial = {"organization": offices[0].pk if offices else None}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in forms.RuleForm.base_fields if f != "organization"}
        initial["organization"] = rule.organization_id
    form = forms.RuleForm(request.POST or None, offices=offices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organization = rule.organization if rule else next(o for o in offices if o.pk == data["organization"])
        if attempt(
            form,
            lambda: services.rule_save(
                by=user,
                organization=organization,
                rule=rule,
                **{k: v for k, v in data.items() if k != "organization"},
            ),
        ):
            messages.success(request, gettext("The rule is saved."))
            return redirect("orglife:rules")
    prefixes = {a for p in scoping.paths_with_perm(user, ORGS_VIEW) for a in ancestor_paths(p)}
    in_force = (
        MeetingRule.objects.in_force(today)
        .filter(Q(organization__path__in=prefixes) | scoping.scope_q(user, ORGS_VIEW, "organization__path"))
        .select_related("organization")
    )
    return render(
        request,
        "orglife/rules.html",
        {"rules": in_force, "form": form, "rule": rule, "office_ids": {o.pk for o in offices}},
        status=400 if form.errors else 200,
    )


# --- plans --------------------------------------------------------------------------------------------------


@login_required
def plans(request):
    user = request.user
    qs = (
        selectors.plans_visible(user)
        .filter(Q(published_at__isnull=False) | scoping.scope_q(user, ORGLIFE_PLAN, "organization__path"))
        .select_related("organization")
    )
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "orglife/plans.html", {"page": page, "can_plan": bool(_offices(user))})


@login_required
def plan_edit(request, pk=None):
    user = request.user
    item = selectors.plan_get_visible(user, pk) if pk is not None else None
    if item is not None and not scoping.has_perm_at(user, ORGLIFE_PLAN, item.organization.path):
        raise PermissionDenied
    offices = [item.organization] if item is not None else _offices(user)
    if not offices:
        raise Http404
    if item is not None:
        initial = forms.plan_initial(item)
    else:
        first = next_period_start("month", timezone.localdate().replace(day=1))
        initial = {
            "organization": offices[0].pk,
            "month": first,
            "window_start": first,
            "window_end": month_end(first),
        }
    form = forms.PlanForm(request.POST or None, offices=offices, initial=initial)
    saved = {}
    if request.method == "POST" and form.is_valid():
        organization = next(o for o in offices if o.pk == form.cleaned_data["organization"])

        def save():
            saved["plan"] = services.plan_save(
                by=user, organization=organization, data=form.plan_input(), plan=item
            )

        if attempt(form, save):
            messages.success(request, gettext("The plan is saved."))
            return redirect(saved["plan"])
    return render(
        request, "orglife/plan_form.html", {"form": form, "plan": item}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def plan_publish(request, pk):
    item = selectors.plan_get_visible(request.user, pk)
    try:
        services.plan_publish(plan=item, by=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, gettext("The plan is published: every branch under the office sees it now.")
        )
    return redirect(item)


@login_required
def plan_supervisors(request, pk):
    user = request.user
    item = selectors.plan_get_visible(user, pk)
    if not scoping.has_perm_at(user, ORGLIFE_PLAN, item.organization.path):
        raise PermissionDenied
    branches = list(
        Organization.objects.active()
        .filter(subtree_q([item.organization.path]), holds_members=True)
        .order_by("path")
    )
    candidates, users = forms.supervisor_choices(item.organization, branches)
    current = dict(PlanSupervisor.objects.filter(plan=item).values_list("branch_id", "supervisor_id"))
    form = forms.SupervisorsForm(
        request.POST or None,
        branches=branches,
        candidates=candidates,
        initial={f"branch-{b}": u for b, u in current.items()},
    )
    if request.method == "POST" and form.is_valid():
        assignments = form.assignments(users)
        if attempt(form, lambda: services.supervisors_assign(plan=item, by=user, assignments=assignments)):
            messages.success(request, gettext("Supervisors assigned: %(n)d.") % {"n": len(assignments)})
            return redirect(item)
    return render(
        request,
        "orglife/plan_supervisors.html",
        {"plan": item, "form": form},
        status=400 if form.errors else 200,
    )


def _compliance_html(item, root) -> str:
    """The roll-up and the six marks of every branch under `root`, rendered: the same for everyone who sees
    that subtree, so kept until the data changes (a district's 316 branches took 100 ms to compute and
    render on every request)."""

    def compute():
        rows = selectors.compliance(item, under=root)
        rollup = []
        if len(rows) > 1:
            units = [root] if root.kind != OrgKind.BRANCH else []
            units += list(
                Organization.objects.active()
                .filter(subtree_q([root.path]), kind__in=[OrgKind.STREET, OrgKind.COMMUNITY])
                .exclude(pk=root.pk)
                .order_by("path")
            )
            rollup = selectors.compliance_rollup(rows, units)
        marks = [selectors.MARK_LABELS[m] for m in selectors.MARKS]
        return render_to_string("orglife/_compliance.html", {"rows": rows, "rollup": rollup, "marks": marks})

    key = f"orglife:compliance:{item.pk}:{root.pk}:{get_language()}:{timezone.localdate().isoformat()}"
    return mark_safe(cached(key, compute))  # noqa: S308 — our own template's output


@login_required
def plan(request, pk):
    user = request.user
    item = selectors.plan_get_visible(user, pk)
    root = _root_for(user, item, request.GET.get("under"))
    rows, compliance_html = [], ""
    if item.published_at and root.holds_members:
        rows = selectors.compliance(item, under=root)  # one branch: its own marks, with its own buttons
    elif item.published_at:
        compliance_html = _compliance_html(item, root)
    mine = {r["branch"].pk: r for r in _supervision_of(user, [item])}
    return render(
        request,
        "orglife/plan.html",
        {
            "plan": item,
            "root": root,
            "rows": rows,
            "compliance_html": compliance_html,
            "marks": [selectors.MARK_LABELS[m] for m in selectors.MARKS],
            "supervised": sorted(
                mine.values(), key=lambda r: (r["meeting_id"] is not None, r["branch"].path)
            ),
            "can_plan": scoping.has_perm_at(user, ORGLIFE_PLAN, item.organization.path),
            "can_supervise": scoping.has_perm_on(user, ORGLIFE_SUPERVISE, root.path),
            "record_for": {b.pk for b in _own_branches(user)},
        },
    )


@login_required
def visit(request, pk, branch):
    user = request.user
    item = selectors.plan_get_visible(user, pk)
    org = organization_get_visible(user, branch)
    if item.published_at is None or not org.holds_members or not org.path.startswith(item.organization.path):
        raise Http404
    assigned = PlanSupervisor.objects.filter(plan=item, branch=org).select_related("supervisor").first()
    if not (
        (assigned is not None and assigned.supervisor_id == user.pk)
        or scoping.has_perm_on(user, ORGLIFE_SUPERVISE, org.path)
    ):
        raise Http404
    form = forms.VisitForm(request.POST or None, plan=item)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(
            form,
            lambda: services.supervision_record(
                plan=item,
                branch=org,
                by=user,
                visited_on=data["visited_on"],
                items_seen=data["items_seen"],
                notes=data["notes"],
            ),
        ):
            messages.success(request, gettext("The visit is recorded."))
            return redirect(item)
    return render(
        request,
        "orglife/visit.html",
        {
            "plan": item,
            "branch": org,
            "assigned": assigned,
            "form": form,
            "meeting": Meeting.objects.held().filter(plan=item, branch=org).order_by("starts_at").first(),
            "visits": SupervisionVisit.objects.filter(plan=item, branch=org).select_related("supervisor"),
        },
        status=400 if form.errors else 200,
    )


# --- meetings -----------------------------------------------------------------------------------------------


@login_required
def meetings(request):
    user = request.user
    qs = Meeting.objects.visible_to(user).held().select_related("branch")
    org = None
    if request.GET.get("org"):
        org = organization_pick_visible(user, request.GET["org"])
        qs = qs.filter(subtree_q([org.path], field="branch__path")) if org else qs.none()
    kind = request.GET.get("kind", "")
    if kind in MeetingKind.values:
        qs = qs.filter(kind=kind)
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(starts_at__year=int(year))
    page = Paginator(qs.order_by("-starts_at"), PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    this_year = timezone.localdate().year
    return render(
        request,
        "orglife/meetings.html",
        {
            "page": page,
            "org": org,
            "kinds": MeetingKind.choices,
            "years": range(this_year, this_year - 6, -1),
            "query": params.urlencode(),
            "typed": request.GET,
        },
    )


@login_required
def meeting(request, pk):
    user = request.user
    item = selectors.meeting_get_visible(user, pk)
    can_record = scoping.has_perm_on(user, ORGLIFE_RECORD, item.branch.path)
    day = timezone.localtime(item.starts_at).date()
    today = timezone.localdate()
    show_qr = can_record and item.withdrawn_at is None and day <= today <= day + timedelta(days=1)
    attach_files([item])
    conflicts = list(
        CheckInConflict.objects.filter(attendance__meeting=item).select_related(
            "attendance__member", "confirmed_by", "decided_by"
        )
    )
    by_member = {c.attendance.member_id: c for c in conflicts}
    attendance = list(item.attendance.select_related("member").order_by("-present", "pk"))
    for row in attendance:
        row.conflict = by_member.get(row.member_id)
    return render(
        request,
        "orglife/meeting.html",
        {
            "m": item,
            "attendance": attendance,
            "outside_window": selectors.outside_window(item),
            "conflicts_open": [c for c in conflicts if c.status == ConflictStatus.OPEN],
            "versions": versions_of(item),
            "can_record": can_record and item.withdrawn_at is None,
            "show_qr": show_qr,
            "checkin_url": request.build_absolute_uri(reverse("orglife:checkin", args=[item.checkin_token]))
            if show_qr
            else "",
            "year": day.year,
        },
    )


def _branch_to_record(request):
    """The branch a new record is for: ?branch=, else the user's only own branch; None to ask."""
    wanted = request.POST.get("branch") or request.GET.get("branch")
    if wanted:
        return organization_get_visible(request.user, wanted)
    if request.GET.get("pick"):
        return organization_pick_visible(request.user, request.GET["pick"])
    own = _own_branches(request.user)
    return own[0] if len(own) == 1 else None


@login_required
def meeting_edit(request, pk=None):
    user = request.user
    item = None
    if pk is not None:
        item = selectors.meeting_get_visible(user, pk)
        if item.withdrawn_at is not None:
            raise Http404
        branch = item.branch
    else:
        branch = _branch_to_record(request)
        if branch is None:
            return render(request, "orglife/meeting_branch.html", {"branches": _own_branches(user)})
    if not branch.holds_members:
        raise Http404
    if not scoping.has_perm_on(user, ORGLIFE_RECORD, branch.path):
        raise PermissionDenied
    roll = list(services.roll_of(branch).order_by("pk"))
    presiders, secretary = forms.presider_choices(branch, roll)
    plan_id = str(request.POST.get("plan") or request.GET.get("plan") or (item.plan_id if item else "") or "")
    plan = selectors.plans_for_branch(branch).filter(pk=plan_id).first() if plan_id.isdigit() else None
    from_plan = plan is not None and item is None and request.method == "GET" and "plan" in request.GET
    if plan is None and item is None and not plan_id:
        plan = selectors.current_plan_for(branch)  # offered when the kind chosen is the theme day
    if item is not None:
        initial = forms.meeting_initial(item)
        attendance = {a.member_id: (a.present, a.reason) for a in item.attendance.all()}
    else:
        last = Meeting.objects.held().filter(branch=branch).order_by("-starts_at").first()
        initial = {
            "kind": MeetingKind.THEME_DAY if from_plan else request.GET.get("kind", ""),
            "starts_at": timezone.localtime().replace(second=0, microsecond=0),
            "place": last.place if last else "",
            "topic": plan.theme if from_plan else "",
            "agenda": list(plan.required_items) if from_plan else [],
            "presider": secretary.pk if secretary else None,
            "plan": plan.pk if plan else None,
        }
        attendance = None
    form = forms.MeetingForm(
        request.POST or None, request.FILES or None, presiders=presiders, initial=initial
    )
    if item is None:
        form.fields["kind"].choices = [("", gettext("— choose —"))] + list(MeetingKind.choices)
    duplicate = None
    if request.method == "POST":
        attendance = forms.attendance_from(request.POST)
        if attendance is None:
            form.add_error(None, gettext("The attendance list was not sent whole: reload the page."))
        if plan_id and plan is None:
            form.add_error(None, gettext("That plan is not one published for this branch."))
        if form.is_valid():
            try:
                saved = services.meeting_record(
                    by=user,
                    branch=branch,
                    data=form.meeting_input(plan=plan, attendance=attendance),
                    meeting=item,
                    files=form.cleaned_data["files"],
                )
            except services.DuplicateMeeting as exc:
                duplicate = exc.meeting
                form.add_error("starts_at", exc.message)
            except NotPermitted:
                raise PermissionDenied from None
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if selectors.outside_window(saved):
                    # recorded all the same (a late theme day is better than none), but not silently
                    messages.warning(
                        request,
                        gettext(
                            "Saved, but held on %(day)s, outside the plan's window (%(start)s to %(end)s): it "
                            "does not meet 统一时间 (unified time), and the plan's six marks will say so."
                        )
                        % {
                            "day": timezone.localtime(saved.starts_at).date().isoformat(),
                            "start": saved.plan.window_start.isoformat(),
                            "end": saved.plan.window_end.isoformat(),
                        },
                    )
                else:
                    messages.success(
                        request,
                        gettext("The meeting is recorded.")
                        if item is None
                        else gettext("The correction is saved."),
                    )
                return redirect(saved)
    return render(
        request,
        "orglife/meeting_form.html",
        {
            "form": form,
            "m": item,
            "branch": branch,
            "plan": plan,
            "required": set(plan.required_items) if plan else set(),
            "roll": forms.roll_rows(roll, attendance, default_present=item is None),
            "reasons": forms.absence_reasons(),
            "duplicate": duplicate,
            "presider_open": bool(form["delegation"].value() or form.errors.get("delegation")),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def meeting_withdraw(request, pk):
    item = selectors.meeting_get_visible(request.user, pk)
    if item.withdrawn_at is not None:
        raise Http404
    try:
        services.meeting_withdraw(meeting=item, by=request.user, reason=request.POST.get("reason", ""))
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("The record is withdrawn; it stays in the history."))
    return redirect(item)


@login_required
@require_POST
def checkin_conflict_decide(request, pk):
    """The secretary decides a member's confirmation that contradicts the record: accept it, or keep the
    record (with the reason)."""
    conflict = selectors.checkin_conflict_get_visible(request.user, pk)
    meeting = conflict.attendance.meeting
    decision = request.POST.get("decision")
    if decision not in ("accept", "keep"):
        raise Http404
    try:
        services.checkin_conflict_decide(
            by=request.user, conflict=conflict, accept=decision == "accept", note=request.POST.get("note", "")
        )
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        message = (
            gettext("%(name)s is marked present.")
            if decision == "accept"
            else gettext("Your record of %(name)s stands.")
        )
        messages.success(request, message % {"name": conflict.attendance.member.name})
    return redirect(meeting)


@login_required
def meeting_qr(request, pk):
    """The QR code members scan at the meeting: only for those who record the branch's meetings."""
    import qrcode
    import qrcode.image.svg

    item = selectors.meeting_get_visible(request.user, pk)
    if item.withdrawn_at is not None or not scoping.has_perm_on(
        request.user, ORGLIFE_RECORD, item.branch.path
    ):
        raise Http404
    url = request.build_absolute_uri(reverse("orglife:checkin", args=[item.checkin_token]))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    response = HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def checkin(request, token):
    """A member confirms their own attendance. Never required, never scored."""
    item = Meeting.objects.held().filter(checkin_token=token).select_related("branch").first()
    confirmed, conflict, error = None, None, None
    if request.method == "POST":
        try:
            row = services.attendance_confirm(token=token, user=request.user)
        except ServiceError as exc:
            error = exc.message
        else:
            conflict = selectors.checkin_conflict_of(row)
            confirmed = None if conflict else row
    elif item is None:
        error = gettext("This code is not valid any more.")
    else:
        member = services.member_of_user(request.user)
        if member is not None:
            row = Attendance.objects.filter(meeting=item, member=member).first()
            conflict = selectors.checkin_conflict_of(row) if row is not None else None
            confirmed = row if row is not None and row.confirmed_at and conflict is None else None
    status = 200
    if error:
        status = 404 if item is None else 400
    return render(
        request,
        "orglife/checkin.html",
        {"m": item, "confirmed": confirmed, "conflict": conflict, "error": error, "token": token},
        status=status,
    )


# --- the one-table report and the archive --------------------------------------------------------------------


def _report_params(request):
    user = request.user
    today = timezone.localdate()
    if request.GET.get("org"):
        org = organization_get_visible(user, request.GET["org"])
    else:
        roots = organization_roots_visible(user)
        if not roots:
            raise Http404
        org = roots[0]
    try:
        year = int(request.GET.get("year") or today.year)
        number = int(request.GET.get("quarter") or (today.month - 1) // 3 + 1)
    except ValueError:
        raise Http404 from None
    if not (2000 <= year <= 2100 and 1 <= number <= 4):
        raise Http404
    return org, year, number


@login_required
def report(request):
    org, year, number = _report_params(request)
    start, end = quarter(year, number)
    rows = selectors.quarter_table(org, start, end)
    kinds = MeetingKind.choices
    table = [(row, [row.held[k] for k, _label in kinds]) for row in rows]
    roll, present = sum(r.roll for r in rows), sum(r.present for r in rows)
    totals = {
        "held": [sum(r.held[k] for r in rows) for k, _label in kinds],
        "roll": roll,
        "present": present,
        "rate": present / roll if roll else 0.0,
        "theme_days": sum(r.theme_days for r in rows),
        "compliant": sum(r.compliant for r in rows),
    }
    return render(
        request,
        "orglife/report.html",
        {
            "org": org,
            "year": year,
            "quarter": number,
            "start": start,
            "end": end,
            "kinds": kinds,
            "table": table,
            "totals": totals,
            "roots": organization_roots_visible(request.user),
            "years": range(timezone.localdate().year, timezone.localdate().year - 6, -1),
        },
    )


@login_required
def report_xlsx(request):
    from luoshi.orglife.excel import quarter_workbook

    org, year, number = _report_params(request)
    start, end = quarter(year, number)
    name = gettext("%(org)s organizational life %(year)d Q%(quarter)d") % {
        "org": org.name,
        "year": year,
        "quarter": number,
    }
    return office_file_response(quarter_workbook(org, start, end), f"{name}.xlsx")


@login_required
def archive_zip(request, branch, year):
    """The branch's year archive, for whoever sees the branch."""
    from luoshi.orglife.archive import year_zip

    org = organization_get_visible(request.user, branch)
    if not org.holds_members or year not in selectors.ARCHIVE_YEARS:
        raise Http404
    name = gettext("%(branch)s organizational life archive %(year)d") % {"branch": org.name, "year": year}
    response = HttpResponse(year_zip(org, year), content_type="application/zip")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name + '.zip')}"
    return response
