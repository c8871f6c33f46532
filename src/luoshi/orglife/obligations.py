"""A meeting the rules require and the branch did not hold by the end of its period becomes the branch's
obligation to hold it (补开), followed up with the usual ladder and closed when the meeting is recorded."""

from datetime import date, timedelta

from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import StepAction as A
from luoshi.core.obligations import obligations_create_many, register_kind, register_sync

MEETING_DUE = "orglife.meeting_due"
MAKE_UP_DAYS = 15  # the days a branch has after the period to hold the meeting it missed

register_kind(
    MEETING_DUE,
    _("Meeting not held in its period (组织生活未按期开展)"),
    [(-7, A.REMIND), (1, A.WARN), (15, A.CIRCULAR)],
)


def ended_period(frequency: str, today: date) -> tuple[date, date]:
    """The last period of `frequency` that ended before today."""
    from luoshi.orglife.periods import period_of

    current_start, _end = period_of(frequency, today)
    return period_of(frequency, current_start - timedelta(days=1))


def meeting_dues_sync(*, today=None) -> int:
    """For each rule's last ended period: open the obligation of every branch that held fewer meetings of the
    kind than the rule requires (once per branch, kind and period). Idempotent. Returns the number opened."""
    from django.utils import timezone

    from luoshi.orglife.models import Meeting, MeetingDue, MeetingRule
    from luoshi.orglife.services import rules_applying
    from luoshi.orgs.models import Organization

    today = today or timezone.localdate()
    rules = list(MeetingRule.objects.select_related("organization"))
    if not rules:
        return 0
    opened = 0
    by_period: dict[tuple[date, date], list] = {}
    for rule in rules:
        start, end = ended_period(rule.frequency, today)
        if rule.effective_from <= start and (rule.effective_until is None or rule.effective_until >= end):
            by_period.setdefault((start, end), []).append(rule)
    from luoshi.orgs.tree import subtree_q

    for (start, end), period_rules in by_period.items():
        roots = [r.organization.path for r in period_rules]
        branches = list(
            Organization.objects.active()
            .filter(subtree_q(roots), holds_members=True)
            .values_list("pk", "path")
        )
        applies = rules_applying(branches, end)
        kinds = {r.kind for r in period_rules}
        held = {
            (row["branch"], row["kind"]): row["n"]
            for row in Meeting.objects.held()
            .filter(kind__in=kinds, starts_at__date__gte=start, starts_at__date__lte=end)
            .values("branch", "kind")
            .annotate(n=Count("id"))
        }
        known = set(
            MeetingDue.objects.filter(period_start=start, kind__in=kinds).values_list("branch_id", "kind")
        )
        wanted = []
        in_period = {rule.pk for rule in period_rules}
        for (branch_id, kind), rule in applies.items():
            # the rule that applies to the branch must be one whose period this is (a district's quarterly rule
            # is not judged on a street's monthly period)
            if rule.pk not in in_period or (branch_id, kind) in known:
                continue
            count = held.get((branch_id, kind), 0)
            if count < rule.times:
                wanted.append(
                    MeetingDue(
                        branch_id=branch_id,
                        kind=kind,
                        period_start=start,
                        period_end=end,
                        required=rule.times,
                        held=count,
                    )
                )
        if not wanted:
            continue
        dues = MeetingDue.objects.bulk_create(wanted, batch_size=2000)
        orgs = Organization.objects.in_bulk([d.branch_id for d in dues])
        items = [
            (
                orgs[d.branch_id],
                gettext("Hold the %(kind)s missed in %(period)s")
                % {"kind": d.get_kind_display(), "period": _period_label(start, end)},
                end + timedelta(days=MAKE_UP_DAYS),
                d,
            )
            for d in dues
        ]
        obligations = obligations_create_many(kind=MEETING_DUE, items=items)
        for due, obligation in zip(dues, obligations, strict=True):
            due.obligation = obligation
        MeetingDue.objects.bulk_update(dues, ["obligation"], batch_size=2000)
        opened += len(dues)
    return opened


def _period_label(start: date, end: date) -> str:
    if start.month == end.month:
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m}–{end:%Y-%m}"


register_sync(meeting_dues_sync)


def meeting_dues_close(meeting) -> int:
    """A meeting recorded for a branch closes its open obligations to hold that kind of meeting for periods that
    began on or before the meeting's day."""
    from django.utils import timezone

    from luoshi.core.models import UNCLOSED_STATES
    from luoshi.core.obligations import obligation_mark_done
    from luoshi.orglife.models import MeetingDue

    if meeting.withdrawn_at is not None:
        return 0
    day = timezone.localtime(meeting.starts_at).date()
    closed = 0
    for due in MeetingDue.objects.filter(
        branch=meeting.branch, kind=meeting.kind, period_start__lte=day, obligation__state__in=UNCLOSED_STATES
    ).select_related("obligation"):
        due.held += 1
        due.save(update_fields=["held"])
        if due.held >= due.required:
            obligation_mark_done(
                obligation=due.obligation,
                user=meeting.recorded_by,
                note=gettext("Held on %(day)s: %(meeting)s")
                % {"day": day.isoformat(), "meeting": meeting.topic},
            )
            closed += 1
    return closed
