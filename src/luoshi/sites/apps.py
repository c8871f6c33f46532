from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "luoshi.sites"
    label = "sites"
    verbose_name = _("Service centers")

    def ready(self):
        from luoshi.sites import obligations  # noqa: F401 — declares the milestone obligation kind
