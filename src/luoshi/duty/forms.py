from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core.views import MultipleFileField
from luoshi.duty.models import ReportKind, TargetCategory, TargetStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _year():
    return timezone.localdate().year


class LetterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, initial=_year)
    issuer = forms.ChoiceField(label=_("Issued by"))
    sign_by = forms.DateField(label=_("Sign by"), widget=DATE)
    preamble = forms.CharField(
        label=_("Preamble"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The opening paragraph of the letter: its purpose and the basis."),
    )


class TargetForm(forms.Form):
    text = forms.CharField(label=_("Target"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    category = forms.ChoiceField(label=_("Category"), choices=TargetCategory.choices)
    measure = forms.CharField(label=_("Measure of completion"), max_length=300)
    weight = forms.DecimalField(label=_("Weight"), min_value=0.1, max_digits=5, decimal_places=1, initial=10)
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    red_line = forms.BooleanField(label=_("Red line (veto)"), required=False)


TargetFormSet = forms.formset_factory(TargetForm, extra=0, min_num=1, validate_min=True, max_num=40)


class TargetReportForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (TargetStatus.IN_PROGRESS, TargetStatus.IN_PROGRESS.label),
            (TargetStatus.MET, TargetStatus.MET.label),
        ],
        widget=forms.RadioSelect,
        initial=TargetStatus.IN_PROGRESS,
    )
    report = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    files = MultipleFileField(label=_("Evidence (optional)"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, initial=_year)
    organization = forms.ChoiceField(label=_("Issued by"))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead_office = forms.CharField(label=_("Lead office"), max_length=100, required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)
    report_kind = forms.ChoiceField(
        label=_("Required report"), choices=ReportKind.choices, initial=ReportKind.TEXT
    )
    unit = forms.CharField(
        label=_("Unit of the number"), max_length=20, required=False, help_text=_("e.g. 人, 次, 份")
    )
    checklist = forms.CharField(
        label=_("Checklist items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One item per line."),
    )
    files = MultipleFileField(label=_("Attachments (optional)"), required=False)

    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("checklist", "").splitlines() if line.strip()]


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    number = forms.DecimalField(label=_("Figure"), required=False, max_digits=14, decimal_places=2)
    checked = forms.MultipleChoiceField(
        label=_("Items done"), required=False, widget=forms.CheckboxSelectMultiple
    )
    files = MultipleFileField(label=_("Evidence (optional)"), required=False)

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        if task is not None:
            self.fields["checked"].choices = [(item, item) for item in task.checklist]
            if task.unit:
                self.fields["number"].label = _("Figure (%(unit)s)") % {"unit": task.unit}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
