from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "luoshi.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from luoshi.assessment import selectors
        from luoshi.core.attachments import register_subject

        register_subject("assessment.appeal", selectors.appeal_get_visible)
