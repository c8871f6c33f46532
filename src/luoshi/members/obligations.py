"""Obligations the register owes: a probationary member's full-membership decision (预备党员转正), due one year
after joining — the branch meets and decides, and a decision not made is followed up like any other."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import StepAction as A
from luoshi.core.obligations import obligations_create_many, register_kind, register_sync

FULL_MEMBERSHIP = "members.full_membership"

# a month ahead the branch prepares the member's application and the meeting; then the usual ladder
register_kind(
    FULL_MEMBERSHIP,
    _("Full-membership decision (预备党员转正)"),
    [(-30, A.REMIND), (-7, A.REMIND), (1, A.WARN), (30, A.CIRCULAR)],
)


def full_membership_sync(*, today=None) -> tuple[int, int]:
    """Open the decision for every probationary member who has none, and close it for those now full members
    (or who left the register). Idempotent; run after each import and before each sweep. Returns (opened,
    closed)."""
    from django.contrib.contenttypes.models import ContentType

    from luoshi.core.models import UNCLOSED_STATES, Obligation
    from luoshi.core.obligations import obligation_mark_done
    from luoshi.members.models import Category, Member
    from luoshi.orgs.services import add_years

    member_type = ContentType.objects.get_for_model(Member)
    owed = Obligation.objects.filter(subject_type=member_type, policy__kind=FULL_MEMBERSHIP)
    have = set(owed.values_list("subject_id", flat=True))
    waiting = Member.objects.active().filter(category=Category.PROBATIONARY).select_related("organization")
    items = [
        (
            m.organization,
            gettext("Full-membership decision for %(name)s") % {"name": m.name},
            add_years(m.joined_on, 1),
            m,
        )
        for m in waiting
        if str(m.pk) not in have
    ]
    obligations_create_many(kind=FULL_MEMBERSHIP, items=items)
    probationary = {str(pk) for pk in waiting.values_list("pk", flat=True)}
    closed = 0
    for obligation in owed.filter(state__in=UNCLOSED_STATES).exclude(subject_id__in=probationary):
        obligation_mark_done(
            obligation=obligation, note=gettext("Recorded as a full member in the register.")
        )
        closed += 1
    return len(items), closed


register_sync(full_membership_sync)


TRANSFER_RECEIPT = "members.transfer_receipt"

# the letter's validity is the deadline: a reminder a week before, the usual ladder after
register_kind(
    TRANSFER_RECEIPT,
    _("Transfer letter to receive (组织关系转接)"),
    [(-7, A.REMIND), (1, A.WARN), (14, A.CIRCULAR)],
)


SWEEP_RECTIFY = "members.sweep_rectify"

# a finding to put right by the date the branch set
register_kind(
    SWEEP_RECTIFY,
    _("Sweep finding to rectify (集中排查整改)"),
    [(-3, A.REMIND), (1, A.WARN), (14, A.CIRCULAR)],
)
