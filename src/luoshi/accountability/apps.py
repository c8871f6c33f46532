from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "luoshi.accountability"
    label = "accountability"
    verbose_name = _("Accountability")

    def ready(self):
        from luoshi.accountability import indicators  # noqa: F401 — declares its assessment source
