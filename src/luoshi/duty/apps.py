from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "luoshi.duty"
    label = "duty"
    verbose_name = _("Responsibility and tasks")

    def ready(self):
        from luoshi.duty import obligations  # noqa: F401 — declares the letter and task obligation kinds
