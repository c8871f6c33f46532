"""Obligations the organization tree owes: a term's renewal (换届) when it falls due."""

from datetime import timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import StepAction as A
from luoshi.core.obligations import obligation_create, register_kind, register_sync

TERM_RENEWAL = "orgs.term_renewal"
# Opened half a year ahead: the election needs the superior's approval and preparation.
TERM_RENEWAL_LEAD_DAYS = 180

register_kind(
    TERM_RENEWAL,
    _("Term renewal (换届)"),
    [(-90, A.REMIND), (-30, A.REMIND), (1, A.WARN), (30, A.CIRCULAR), (90, A.NAMED_CRITICISM)],
)


def term_renewal_sync(*, today) -> int:
    """Open a renewal obligation for every current term due within the lead time that has none yet."""
    from django.contrib.contenttypes.models import ContentType

    from luoshi.core.models import Obligation
    from luoshi.orgs.models import Term

    term_type = ContentType.objects.get_for_model(Term)
    have = set(
        Obligation.objects.filter(subject_type=term_type, policy__kind=TERM_RENEWAL).values_list(
            "subject_id", flat=True
        )
    )
    created = 0
    # A root organization's renewal is its superior's business, outside this installation: no one here
    # stands above it to decide on consequences, so it would climb to a proposal nobody can see.
    due_terms = Term.objects.filter(
        ended_on=None,
        renewal_due__lte=today + timedelta(days=TERM_RENEWAL_LEAD_DAYS),
        organization__parent__isnull=False,
    ).select_related("organization")
    for term in due_terms:
        if str(term.pk) in have:
            continue
        obligation_create(
            kind=TERM_RENEWAL,
            title=gettext("Term renewal of %(org)s") % {"org": term.organization.name},
            organization=term.organization,
            due_date=term.renewal_due,
            subject=term,
        )
        created += 1
    return created


register_sync(term_renewal_sync)
