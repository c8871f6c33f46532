"""The rectification obligation: the full ladder the speech describes — reminder, overdue warning, then proposed
circular, named criticism, admonishment talk and accountability, each confirmed by a person with the
authority. Closed by this app when the team accepts the rectification."""

from django.utils.translation import gettext_lazy as _

from luoshi.core.obligations import FULL_LADDER, register_kind

RECTIFICATION = "inspections.rectification"

register_kind(RECTIFICATION, _("Rectification (整改)"), FULL_LADDER)
