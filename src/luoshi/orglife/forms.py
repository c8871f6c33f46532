"""The forms of organizational life's pages. Each one only parses what the user typed; the rules (a meeting not
in the future, attendees on the roll, required items held) are the services' and come back as form errors."""

from datetime import date

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.core.views import MultipleFileField
from luoshi.orglife.models import AbsenceReason, AgendaItem, Frequency, MeetingKind, Organizer
from luoshi.orglife.services import MeetingInput, PlanInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
CHECKBOXES = forms.CheckboxSelectMultiple


class RuleForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Applies under"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    times = forms.IntegerField(label=_("Times per period"), min_value=1, max_value=31, initial=1)
    record_within_days = forms.IntegerField(
        label=_("Days to record after the meeting"),
        min_value=0,
        max_value=60,
        initial=7,
        help_text=_("A record made later is accepted and marked late with the time it was made."),
    )
    effective_from = forms.DateField(label=_("In force from"), widget=DATE, initial=timezone.localdate)
    effective_until = forms.DateField(label=_("In force until"), widget=DATE, required=False)
    basis = forms.CharField(label=_("Basis (regulation and article)"), max_length=200, required=False)

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(org.pk, org.name) for org in offices]


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        return value


class PlanForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Published by"), coerce=int)
    month = forms.DateField(label=_("Month"), widget=MonthInput, input_formats=["%Y-%m", "%Y-%m-%d"])
    window_start = forms.DateField(label=_("Hold it from"), widget=DATE)
    window_end = forms.DateField(label=_("Hold it until"), widget=DATE)
    theme = forms.CharField(label=_("Theme"), max_length=200)
    materials = forms.CharField(
        label=_("Reading materials"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    required_items = forms.MultipleChoiceField(
        label=_("Agenda items every branch must hold"),
        choices=AgendaItem.choices,
        widget=CHECKBOXES,
        required=False,
    )
    records_to_keep = forms.CharField(
        label=_("Records to keep"),
        max_length=300,
        required=False,
        help_text=_("e.g. the meeting record and the attendance; no photos are required."),
    )
    organizer = forms.ChoiceField(
        label=_("Organized by"),
        choices=Organizer.choices,
        initial=Organizer.SECRETARY,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(org.pk, org.name) for org in offices]

    def plan_input(self) -> PlanInput:
        data = self.cleaned_data
        return PlanInput(
            month=data["month"],
            window_start=data["window_start"],
            window_end=data["window_end"],
            theme=data["theme"],
            materials=data["materials"],
            required_items=tuple(data["required_items"]),
            records_to_keep=data["records_to_keep"],
            organizer=data["organizer"],
        )


def plan_initial(plan) -> dict:
    return {
        "organization": plan.organization_id,
        "month": plan.month,
        "window_start": plan.window_start,
        "window_end": plan.window_end,
        "theme": plan.theme,
        "materials": plan.materials,
        "required_items": list(plan.required_items),
        "records_to_keep": plan.records_to_keep,
        "organizer": plan.organizer,
    }


class SupervisorsForm(forms.Form):
    """One choice of supervisor per branch under the plan's office (field `branch-<id>`)."""

    def __init__(self, *args, branches=(), candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = candidates or {}
        self.branches = list(branches)
        for branch in self.branches:
            self.fields[f"branch-{branch.pk}"] = forms.TypedChoiceField(
                label=branch.name,
                coerce=int,
                required=False,
                empty_value=None,
                choices=[("", "—")] + [(u.pk, str(u)) for u in candidates.get(branch.pk, [])],
            )

    def rows(self):
        return [(branch, self[f"branch-{branch.pk}"]) for branch in self.branches]

    def assignments(self, users: dict) -> dict:
        """{branch: user} for the branches given a supervisor."""
        out = {}
        for branch in self.branches:
            user_id = self.cleaned_data.get(f"branch-{branch.pk}")
            if user_id is not None:
                out[branch] = users[user_id]
        return out


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE, initial=timezone.localdate)
    items_seen = forms.MultipleChoiceField(
        label=_("Required items you saw held"), widget=CHECKBOXES, required=False
    )
    notes = forms.CharField(
        label=_("What you found"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(AgendaItem.choices)
        self.fields["items_seen"].choices = [(code, labels.get(code, code)) for code in plan.required_items]


class MeetingForm(forms.Form):
    """The meeting; its attendance comes as the lists `member` (the roll shown), `present` (ticked) and one
    `reason-<member id>` per unticked member (see attendance_from)."""

    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    starts_at = forms.DateTimeField(
        label=_("Held at"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    agenda = forms.MultipleChoiceField(
        label=_("Agenda items held"), choices=AgendaItem.choices, widget=CHECKBOXES, required=False
    )
    omission_note = forms.CharField(
        label=_("If a required item was not held: why"), max_length=300, required=False
    )
    presider = forms.TypedChoiceField(label=_("Presided by"), coerce=int, required=False, empty_value=None)
    delegation = forms.CharField(
        label=_("If not the secretary: why the secretary delegated it"), max_length=200, required=False
    )
    record = forms.CharField(
        label=_("Record of what was decided"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        help_text=_("A few lines in your own words: what was studied, discussed and decided."),
    )
    files = MultipleFileField(
        label=_("Photos or files (optional)"),
        required=False,
        help_text=_("Never required. Images, PDF, Word, Excel."),
    )
    plan = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, presiders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presider"].choices = [("", "—")] + [(p.pk, label) for p, label in presiders]
        self.presiders = {p.pk: p for p, _label in presiders}

    def meeting_input(self, *, plan, attendance: dict) -> MeetingInput:
        data = self.cleaned_data
        return MeetingInput(
            kind=data["kind"],
            starts_at=data["starts_at"],
            place=data["place"],
            topic=data["topic"],
            record=data["record"],
            agenda=tuple(data["agenda"]),
            plan=plan if data["kind"] == MeetingKind.THEME_DAY else None,
            presider=self.presiders.get(data["presider"]),
            delegation=data["delegation"],
            omission_note=data["omission_note"],
            attendance=attendance,
        )


def meeting_initial(meeting) -> dict:
    return {
        "kind": meeting.kind,
        "starts_at": timezone.localtime(meeting.starts_at),
        "place": meeting.place,
        "topic": meeting.topic,
        "agenda": list(meeting.agenda),
        "omission_note": meeting.omission_note,
        "presider": meeting.presider_id,
        "delegation": meeting.delegation,
        "record": meeting.record,
        "plan": meeting.plan_id,
    }


def attendance_from(post) -> dict | None:
    """member id -> (present, reason) from the posted roll; None when the post is not well formed."""
    try:
        members = [int(v) for v in post.getlist("member")]
        present = {int(v) for v in post.getlist("present")}
    except ValueError:
        return None
    return {pk: (pk in present, "" if pk in present else post.get(f"reason-{pk}", "")) for pk in members}


def roll_rows(roll, attendance: dict | None, *, default_present: bool = True) -> list[dict]:
    """The roll as the form shows it: each member ticked or not, with the reason chosen."""
    attendance = attendance or {}
    rows = []
    for member in roll:
        present, reason = attendance.get(member.pk, (default_present, ""))
        rows.append({"member": member, "present": present, "reason": reason})
    return rows


# --- the choices the forms offer ----------------------------------------------------------------------------


def presider_choices(branch, roll) -> tuple[list, object]:
    """(person, label) of those who may preside — the branch's office holders (the secretary first), then the
    members on the roll who have a person record — and the sitting secretary."""
    from luoshi.orgs.models import Person, Position, PositionKind

    positions = sorted(
        Position.objects.current().filter(organization=branch).select_related("person"),
        key=lambda p: (p.kind != PositionKind.SECRETARY, p.pk),
    )
    secretary = next((p.person for p in positions if p.kind == PositionKind.SECRETARY), None)
    out, seen = [], set()
    for p in positions:
        if p.person_id not in seen:
            seen.add(p.person_id)
            out.append((p.person, f"{p.person.name} · {p.get_kind_display()}"))
    nids = [m.national_id for m in roll if m.national_id]
    for person in Person.objects.filter(national_id__in=nids).exclude(pk__in=seen).order_by("name"):
        out.append((person, person.name))
    return out, secretary


def supervisor_choices(office, branches) -> tuple[dict, dict]:
    """(branch id -> users who may supervise it, user id -> user): holders of orglife.supervise whose grant
    covers the branch, on the office, above it or below it."""
    from luoshi.accounts.models import Role, RoleGrant
    from luoshi.accounts.permissions import ORGLIFE_SUPERVISE
    from luoshi.orgs.tree import ancestor_paths, subtree_q

    role_ids = [r.pk for r in Role.objects.all() if ORGLIFE_SUPERVISE in (r.permissions or [])]
    grants = list(
        RoleGrant.objects.active()
        .filter(role_id__in=role_ids)
        .filter(
            Q(organization__path__in=[*ancestor_paths(office.path), office.path])
            | subtree_q([office.path], field="organization__path")
        )
        .select_related("user", "organization")
    )
    users = {g.user_id: g.user for g in grants}
    per_branch = {}
    for branch in branches:
        ids = {g.user_id for g in grants if branch.path.startswith(g.organization.path)}
        per_branch[branch.pk] = sorted((users[i] for i in ids), key=str)
    return per_branch, users


def absence_reasons():
    return [("", gettext("— reason —"))] + list(AbsenceReason.choices)
