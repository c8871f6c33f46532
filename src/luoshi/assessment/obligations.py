"""The assessing office's own obligation: an appeal (申诉) is decided within APPEAL_DECISION_DAYS of its filing,
on a short ladder (a reminder two days before, a warning the day after). Closed by this app when the appeal is
decided; the unit that appealed sees its appeal's deadline, and the office's superiors see it overdue."""

from django.utils.translation import gettext_lazy as _

from luoshi.core.models import StepAction as A
from luoshi.core.obligations import register_kind

APPEAL_DECISION = "assessment.appeal_decision"
APPEAL_DECISION_DAYS = 10

register_kind(APPEAL_DECISION, _("Appeal to decide (申诉)"), [(-2, A.REMIND), (1, A.WARN)])
