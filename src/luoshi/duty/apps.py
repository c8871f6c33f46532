from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "luoshi.duty"
    label = "duty"
    verbose_name = _("Responsibility and tasks")

    def ready(self):
        from luoshi.core.attachments import register_subject
        from luoshi.core.history import HISTORY_SOURCES
        from luoshi.duty import (  # noqa: F401 — the letter and task obligation kinds, the assessment sources
            indicators,
            obligations,
            selectors,
        )

        register_subject("duty.task", selectors.task_get_visible)
        register_subject("duty.report", selectors.report_get_visible)
        register_subject("duty.targetprogress", selectors.progress_get_visible)
        HISTORY_SOURCES["letter"] = (selectors.letter_get_visible, lambda letter: letter.issuer)
        HISTORY_SOURCES["task"] = (selectors.task_get_visible, lambda task: task.organization)
        HISTORY_SOURCES["assignment"] = (selectors.assignment_get_visible, lambda a: a.organization)
