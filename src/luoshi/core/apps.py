from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_data(sender, **kwargs):
    from luoshi.accounts.services import roles_sync
    from luoshi.core.obligations import policies_sync

    roles_sync()
    policies_sync()


class CoreConfig(AppConfig):
    name = "luoshi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from luoshi.core import (  # noqa: F401 — the core kind, the queue tasks, the indicator source
            obligations,
            sources,
            tasks,
        )

        obligations.register_kind(
            "core.supervision_item",
            _("Supervision item"),
            obligations.FULL_LADDER,
            manual_completion=True,
        )
        from luoshi.core.attachments import register_subject
        from luoshi.core.selectors import obligation_get_visible

        register_subject("core.obligation", obligation_get_visible)
        # Run once after all apps migrated (sender filter: this app's signal only).
        post_migrate.connect(_sync_data, sender=self, dispatch_uid="luoshi-sync-data")
