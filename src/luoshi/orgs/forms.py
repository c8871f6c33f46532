"""Forms shared by the modules that send work down the tree (letters, tasks, inspections)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.orgs.models import Organization, OrgKind


class TargetingForm(forms.Form):
    """Which organizations receive a letter or a task: every one of a kind under a node (a whole level when
    the node is one's own organization), or a list of codes."""

    MODES = [("kind", _("Every organization of a kind under a node")), ("list", _("A list of organizations"))]
    mode = forms.ChoiceField(label=_("Send to"), choices=MODES, widget=forms.RadioSelect, initial="kind")
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[c for c in OrgKind.choices if c[0] != OrgKind.DISTRICT], required=False
    )
    under = forms.CharField(
        label=_("Under"),
        required=False,
        help_text=_("Type a name or code and pick; empty means under the issuing organization."),
    )
    codes = forms.CharField(
        label=_("Organizations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One organization code or exact name per line."),
    )

    def organizations(self, user, issuer: Organization) -> list[Organization] | None:
        """The organizations the valid form names, or None with the errors added to the form."""
        from luoshi.orgs.selectors import organization_pick_visible, organizations_of_kind_under

        data = self.cleaned_data
        if data["mode"] == "list":
            orgs, unknown = [], []
            for line in data["codes"].splitlines():
                if line.strip():
                    org = organization_pick_visible(user, line)
                    (orgs.append(org) if org is not None else unknown.append(line.strip()))
            if unknown:
                self.add_error(
                    "codes", _("Not found in your scope: %(list)s") % {"list": "、".join(unknown[:5])}
                )
                return None
            return orgs
        under = issuer
        if data["under"].strip():
            under = pick_organization(self, user, "under")
            if under is None:
                return None
        if not data["kind"]:
            self.add_error("kind", _("Choose the kind of organization."))
            return None
        return organizations_of_kind_under(under, data["kind"])


def pick_organization(form, user, field: str = "organization") -> Organization | None:
    """The organization a form's name-or-code field names within the user's scope; otherwise None, with the
    error on that field (the typed text stays)."""
    from luoshi.orgs.selectors import organization_pick_visible

    org = organization_pick_visible(user, form.cleaned_data[field])
    if org is None:
        form.add_error(field, _("No organization with this name or code in your scope."))
    return org
