from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrglifeConfig(AppConfig):
    name = "luoshi.orglife"
    label = "orglife"
    verbose_name = _("Organizational life")

    def ready(self):
        from luoshi.core.attachments import register_subject
        from luoshi.orglife import indicators, obligations, selectors  # noqa: F401 — declares obligation and source

        register_subject("orglife.meeting", selectors.meeting_get_visible)
