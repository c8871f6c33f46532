from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_standards(sender, **kwargs):
    from luoshi.inspections.standards import standards_sync

    standards_sync()


class InspectionsConfig(AppConfig):
    name = "luoshi.inspections"
    label = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from luoshi.core.attachments import register_subject
        from luoshi.inspections import (  # noqa: F401 — the rectification obligation kind, assessment sources
            indicators,
            obligations,
            selectors,
        )

        register_subject("inspections.answer", selectors.answer_get_visible)
        register_subject("inspections.rectificationreport", selectors.report_get_visible)
        post_migrate.connect(_load_standards, sender=self, dispatch_uid="luoshi-load-standards")
