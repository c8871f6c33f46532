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
        from luoshi.inspections import obligations  # noqa: F401 — declares the rectification obligation kind

        post_migrate.connect(_load_standards, sender=self, dispatch_uid="luoshi-load-standards")
