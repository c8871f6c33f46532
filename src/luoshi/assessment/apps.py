from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "luoshi.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from luoshi.assessment import obligations, selectors  # noqa: F401 — declares the appeal's obligation kind
        from luoshi.core.attachments import register_subject

        register_subject("assessment.appeal", selectors.appeal_get_visible)
        register_subject("assessment.scheme", selectors.scheme_get_visible)
