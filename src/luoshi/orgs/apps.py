from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "luoshi.orgs"
    label = "orgs"
    verbose_name = _("Organizations")

    def ready(self):
        from luoshi.orgs import obligations  # noqa: F401 — declares the term-renewal obligation kind
