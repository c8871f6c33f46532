"""A construction milestone of a service center: due on its date, on the standard ladder, closed here."""

from django.utils.translation import gettext_lazy as _

from luoshi.core.obligations import STANDARD_LADDER, register_kind

MILESTONE = "sites.milestone"

register_kind(MILESTONE, _("Service center construction milestone"), STANDARD_LADDER)
