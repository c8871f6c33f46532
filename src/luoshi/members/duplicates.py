"""重复登记 — the duplicate search over an office's register (analytics.duplicates: Splink on DuckDB) and the
review queue: each candidate pair shows what each comparison contributed; confirming merges the second record into
the first, both histories kept; rejecting marks the two as different people, and the pair never returns."""

import time

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_MANAGE
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members.models import (
    DuesAssessment,
    DuesPayment,
    DuplicatePair,
    DuplicateSearch,
    Member,
    PairStatus,
)
from luoshi.orgs.tree import subtree_q

# the labels analytics.duplicates gives its comparisons and levels, as the review page shows them
LABELS = {
    "National ID": gettext_lazy("National ID"),
    "Name": pgettext_lazy("person", "Name"),
    "Birth date": gettext_lazy("Birth date"),
    "Mobile phone": gettext_lazy("Mobile phone"),
    "Exact match": gettext_lazy("Exact match"),
    "One character off, check digit fails": gettext_lazy("One character off, check digit fails"),
    "Two characters off, check digit fails": gettext_lazy("Two characters off, check digit fails"),
    "Different": gettext_lazy("Different"),
    "Same pinyin (homophone)": gettext_lazy("Same pinyin (homophone)"),
    "One character different": gettext_lazy("One character different"),
    "Same, as the close IDs already say": gettext_lazy("Same, as the close IDs already say"),
    "Day and month swapped, or within 3 days": gettext_lazy("Day and month swapped, or within 3 days"),
}


def label(text: str) -> str:
    return str(LABELS.get(text, text))


def search(*, by, organization) -> DuplicateSearch:
    """Run the search over the active members of `organization`'s subtree and queue the new pairs. A pair
    decided before (merged or two people) is not queued again; a pending one gets its new scores."""
    from luoshi.analytics.duplicates import COMPARISONS, find_duplicates

    if not scoping.has_perm_on(by, MEMBERS_MANAGE, organization.path):
        raise NotPermitted()
    started = time.perf_counter()
    rows = list(
        Member.objects.active()
        .filter(subtree_q([organization.path], field="organization__path"))
        .values_list("id", "name", "national_id", "birth_date", "phone")
    )
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    records = pa.table(
        {
            "id": pa.array(columns[0], pa.int64()),
            "name": pa.array(columns[1], pa.string()),
            "national_id": pa.array(columns[2], pa.string()),
            "birth_date": pa.array(columns[3], pa.date32()),
            "phone": pa.array(columns[4], pa.string()),
        }
    )
    pairs = find_duplicates(records, engine=settings.ANALYTICS_ENGINE) if len(rows) > 1 else None
    found = pairs.to_pylist() if pairs is not None else []
    with transaction.atomic():
        run = DuplicateSearch.objects.create(
            organization=organization, members=len(rows), pairs=len(found), run_by=by
        )
        known = {
            (p.member_l_id, p.member_r_id): p
            for p in DuplicatePair.objects.filter(member_l_id__in={r["id_l"] for r in found})
        }
        new = []
        for r in found:
            comparisons = {c: [r[f"{c}_level"], round(r[f"{c}_weight"], 2)] for c in COMPARISONS}
            pair = known.get((r["id_l"], r["id_r"]))
            if pair is None:
                new.append(
                    DuplicatePair(
                        member_l_id=r["id_l"],
                        member_r_id=r["id_r"],
                        probability=r["match_probability"],
                        weight=r["match_weight"],
                        comparisons=comparisons,
                        search=run,
                    )
                )
            elif pair.status == PairStatus.PENDING:
                DuplicatePair.objects.filter(pk=pair.pk).update(
                    probability=r["match_probability"],
                    weight=r["match_weight"],
                    comparisons=comparisons,
                    search=run,
                )
        DuplicatePair.objects.bulk_create(new, batch_size=2000)
        run.new_pairs = len(new)
        run.seconds = round(time.perf_counter() - started, 2)
        run.save()
    data_changed()
    return run


def _decide(by, pair):
    if not (
        scoping.has_perm_on(by, MEMBERS_MANAGE, pair.member_l.organization.path)
        and scoping.has_perm_on(by, MEMBERS_MANAGE, pair.member_r.organization.path)
    ):
        raise NotPermitted()


def reject(*, by, pair: DuplicatePair, reason: str) -> DuplicatePair:
    """Two different people: the pair is closed and a later search does not bring it back."""
    _decide(by, pair)
    if not (reason or "").strip():
        raise ServiceError(
            _("Say how you know they are two people (e.g. checked their ID cards)."), field="reason"
        )
    with transaction.atomic():
        pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
        if pair.status != PairStatus.PENDING:
            return pair
        pair.status, pair.decided_by, pair.decided_at, pair.reason = (
            PairStatus.REJECTED,
            by,
            timezone.now(),
            reason,
        )
        pair.save()
    data_changed()
    return pair


def merge(*, by, pair: DuplicatePair, keep, reason: str) -> DuplicatePair:
    """The same person: `keep` (one of the two members, or its id as a form or the API sends it) stays in the
    register with any value only the other record had; the other is archived ("merged into …"), its dues
    payments and assessments moved to the kept record. Both records keep their whole history."""
    _decide(by, pair)
    keep_id = str(getattr(keep, "pk", keep))
    if keep_id not in (str(pair.member_l_id), str(pair.member_r_id)):
        raise ServiceError(_("Keep one of the two records."), field="keep")
    keep_id = int(keep_id)
    if not (reason or "").strip():
        raise ServiceError(_("Say how you know it is one person."), field="reason")
    with transaction.atomic():
        pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
        if pair.status != PairStatus.PENDING:
            return pair
        kept = Member.objects.select_for_update().get(pk=keep_id)
        other = Member.objects.select_for_update().get(
            pk=pair.member_r_id if keep_id == pair.member_l_id else pair.member_l_id
        )
        filled = [
            f
            for f in ("phone", "residence", "post", "education")
            if not getattr(kept, f) and getattr(other, f)
        ]
        for f in filled:
            setattr(kept, f, getattr(other, f))
        if filled:
            kept._change_reason = _("Merged with the duplicate record #%(id)d") % {"id": other.pk}
            kept._history_user = by
            kept.save()
        other.archived_at = timezone.now()
        other.archived_reason = str(
            _("A duplicate of #%(id)d, merged into it: %(reason)s")
            % {"id": kept.pk, "reason": reason.strip()}
        )[:200]
        other._change_reason = other.archived_reason
        other._history_user = by
        other.save()
        DuesPayment.objects.filter(member=other).update(member=kept)
        years = set(DuesAssessment.objects.filter(member=kept).values_list("year", flat=True))
        DuesAssessment.objects.filter(member=other).exclude(year__in=years).update(member=kept)
        pair.status, pair.decided_by, pair.decided_at, pair.reason = (
            PairStatus.MERGED,
            by,
            timezone.now(),
            reason,
        )
        pair.save()
    data_changed()
    return pair


def pairs_visible(user):
    return DuplicatePair.objects.visible_to(user).select_related(
        "member_l__organization", "member_r__organization", "decided_by"
    )
