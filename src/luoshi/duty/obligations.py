"""Obligations of the duty app: a letter to sign, a letter target to meet, a task assignment to finish.
Each is closed by this app when its record is finished (signed, met, accepted), never by hand."""

from django.utils.translation import gettext_lazy as _

from luoshi.core.obligations import STANDARD_LADDER, register_kind

LETTER_SIGNATURE = "duty.letter_signature"
LETTER_TARGET = "duty.letter_target"
TASK_ASSIGNMENT = "duty.task_assignment"

# remind 3 days before, warn when overdue, propose a circular 7 days after, a named criticism 14 days after
register_kind(LETTER_SIGNATURE, _("Responsibility letter to sign"), STANDARD_LADDER)
register_kind(LETTER_TARGET, _("Responsibility letter target"), STANDARD_LADDER)
register_kind(TASK_ASSIGNMENT, _("Task assignment"), STANDARD_LADDER)
