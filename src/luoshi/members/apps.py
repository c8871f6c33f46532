from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "luoshi.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        from luoshi.core.attachments import register_subject
        from luoshi.members import obligations, selectors  # noqa: F401 — declares the full-membership obligation

        register_subject("members.memberimport", selectors.import_get_visible)
