"""Writes of the assessment app: schemes loaded, manual scores entered, runs computed and published, appeals
filed and decided. The arithmetic (points per mode, grade, veto cap, ranks) lives here, once."""

import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.accounts import scoping
from luoshi.accounts.permissions import ASSESSMENT_MANAGE, OBLIGATIONS_COMPLETE
from luoshi.assessment.models import (
    MANUAL,
    Appeal,
    AppealStatus,
    Disclosure,
    Indicator,
    ManualScore,
    Result,
    Run,
    RunStatus,
    Scheme,
)
from luoshi.assessment.schemes import scheme_load_yaml
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.indicators import AVERAGE, COUNT, SHARE, SOURCES, VETO, Measure, Period, Scope
from luoshi.orgs.models import Organization

CENT = Decimal("0.01")
APPEAL_DAYS = 7


def can_manage(user, scheme: Scheme) -> bool:
    return scoping.has_perm_on(user, ASSESSMENT_MANAGE, scheme.issuer.path)


def _require_manage(user, scheme: Scheme) -> None:
    if not can_manage(user, scheme):
        raise NotPermitted()


def scheme_upload(*, by, issuer: Organization, text: str) -> Scheme:
    """Load a scheme (YAML) for an office: checked whole, saved as the next version of its code."""
    if not scoping.has_perm_on(by, ASSESSMENT_MANAGE, issuer.path):
        raise NotPermitted()
    scheme = scheme_load_yaml(text, issuer=issuer, by=by)
    data_changed()
    return scheme


def manual_score_set(
    *, by, indicator: Indicator, organization: Organization, points, reason: str
) -> ManualScore:
    """述职评议 / 民主评议 — the office enters a unit's points on a manual indicator, with the reason."""
    scheme = indicator.scheme
    _require_manage(by, scheme)
    if indicator.source != MANUAL:
        raise ServiceError(_("This indicator is computed from the records, not entered."))
    if organization.kind != scheme.kind or not organization.path.startswith(scheme.issuer.path):
        raise ServiceError(_("This unit is not assessed by this scheme."), field="organization")
    try:
        points = Decimal(str(points)).quantize(CENT)
    except Exception:
        raise ServiceError(_("Enter the points as a number."), field="points") from None
    if not Decimal(0) <= points <= indicator.weight:
        raise ServiceError(
            _("The points must lie between 0 and %(max)s.") % {"max": indicator.weight}, field="points"
        )
    if not (reason or "").strip():
        raise ServiceError(_("Give the reason for the points."), field="reason")
    score, _created = ManualScore.objects.update_or_create(
        indicator=indicator,
        organization=organization,
        defaults={"scheme": scheme, "points": points, "reason": reason.strip(), "entered_by": by},
    )
    data_changed()
    return score


# --- the arithmetic -----------------------------------------------------------------------------------------


def points_of(indicator: Indicator, mode: str, measure: Measure | None) -> tuple[Decimal, bool]:
    """(points, breached) of one indicator for one unit, by its source's mode."""
    weight = indicator.weight
    num = Decimal(str(measure.num)) if measure else Decimal(0)
    den = Decimal(str(measure.den)) if measure else Decimal(0)
    if mode == SHARE:
        points = weight if den == 0 else weight * num / den
    elif mode == AVERAGE:
        points = weight if den == 0 else weight * (num / den) / Decimal(100)
    elif mode == COUNT:
        points = max(Decimal(0), weight - (indicator.per_item or Decimal(0)) * num)
    elif mode == VETO:
        return (Decimal(0) if num > 0 else weight), num > 0
    else:
        raise ValueError(mode)
    return min(weight, max(Decimal(0), points)).quantize(CENT, ROUND_HALF_UP), False


def grade_of(total: Decimal, vetoed: bool, bands: list, veto_cap: str) -> str:
    grade_index = next((n for n, band in enumerate(bands) if total >= band.minimum), len(bands) - 1)
    if vetoed:
        cap = next((n for n, band in enumerate(bands) if band.name == veto_cap), len(bands) - 1)
        grade_index = max(grade_index, cap)
    return bands[grade_index].name


def rank_all(totals: dict[int, Decimal]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4): the highest total first; equal totals share a rank."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks, previous, rank = {}, None, 0
    for position, (org_id, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[org_id] = rank
    return ranks


def assessed_units(scheme: Scheme):
    """The units a scheme assesses: every active organization of its kind under its office."""
    return Organization.objects.subtree(scheme.issuer.path).active().filter(kind=scheme.kind)


def measure_leaves(leaves, period: Period, scope: Scope) -> tuple[dict, dict]:
    """What the leaves rest on: (code → {unit: Measure}) from each computed indicator's source, one grouped
    query each, and (code → {unit: ManualScore}) for each entered one."""
    measured = {
        i.code: SOURCES[i.source].measure(period, scope, i.params or {}) for i in leaves if i.source != MANUAL
    }
    entered = {
        i.code: {m.organization_id: m for m in ManualScore.objects.filter(indicator=i)}
        for i in leaves
        if i.source == MANUAL
    }
    return measured, entered


def unit_scores(leaves, orgs, measured: dict, entered: dict) -> dict[int, dict]:
    """Each unit's leaf scores, code → [points, num, den, flag], from what the sources measured (code →
    {unit: Measure}) and what the office entered (code → {unit: ManualScore}). The flag says "breached" for a
    red line crossed (the veto), "manual" or "missing" for an entered score."""
    per_org: dict[int, dict] = {org_id: {} for org_id in orgs}
    for indicator in leaves:
        if indicator.source == MANUAL:
            scores = entered.get(indicator.code, {})
            for org_id in orgs:
                manual = scores.get(org_id)
                per_org[org_id][indicator.code] = (
                    [str(manual.points), None, None, "manual"] if manual else ["0.00", None, None, "missing"]
                )
            continue
        mode = SOURCES[indicator.source].mode
        measures = measured.get(indicator.code, {})
        for org_id in orgs:
            measure = measures.get(org_id)
            points, breached = points_of(indicator, mode, measure)
            per_org[org_id][indicator.code] = [
                str(points),
                measure.num if measure else 0,
                measure.den if measure else 0,
                "breached" if breached and indicator.veto else "",
            ]
    return per_org


def standings(scheme: Scheme, per_org: dict[int, dict]) -> dict[int, tuple[Decimal, str, bool, int]]:
    """Unit → (total, grade, vetoed, rank) from the leaf scores: a crossed red line caps the grade."""
    bands = list(scheme.bands.order_by("order"))
    totals = {
        org_id: sum((Decimal(str(v[0])) for v in scores.values()), Decimal(0)).quantize(CENT)
        for org_id, scores in per_org.items()
    }
    ranks = rank_all(totals)
    out = {}
    for org_id, scores in per_org.items():
        vetoed = any(value[3] == "breached" for value in scores.values())
        grade = grade_of(totals[org_id], vetoed, bands, scheme.veto_cap)
        out[org_id] = (totals[org_id], grade, vetoed, ranks[org_id])
    return out


def _finish(run: Run, per_org: dict[int, dict]) -> None:
    """Saves the run's results: each unit's leaf scores with its total, grade, veto and rank."""
    Result.objects.bulk_create(
        (
            Result(
                run=run,
                organization_id=org_id,
                total=total,
                grade=grade,
                vetoed=vetoed,
                rank=rank,
                scores=per_org[org_id],
            )
            for org_id, (total, grade, vetoed, rank) in standings(run.scheme, per_org).items()
        ),
        batch_size=500,
    )


def run_compute(*, by, scheme: Scheme, since, until, note: str = "") -> Run:
    """Score every active organization of the scheme's kind under its office, from the records of the
    period: one grouped query per computed indicator, whatever the number of units. A draft until published."""
    _require_manage(by, scheme)
    if since > until:
        raise ServiceError(_("The period ends before it starts."), field="until")
    started = time.perf_counter()
    period, scope = Period(since, until), Scope(scheme.kind, scheme.issuer.path)
    leaves = [i for i in scheme.indicators.order_by("order") if i.source]
    orgs = list(assessed_units(scheme).values_list("id", flat=True))
    per_org = unit_scores(leaves, orgs, *measure_leaves(leaves, period, scope))
    with transaction.atomic():
        number = (
            Run.objects.filter(scheme=scheme, since=since, until=until).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        previous = (
            Run.objects.filter(scheme=scheme, since=since, until=until)
            .exclude(status=RunStatus.SUPERSEDED)
            .order_by("-number", "-version")
            .first()
        )
        run = Run.objects.create(
            scheme=scheme,
            since=since,
            until=until,
            number=number,
            based_on=previous,
            computed_by=by,
            note=(note or "").strip(),
        )
        _finish(run, per_org)
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
    data_changed()
    return run


def run_publish(*, by, run: Run, disclosure: str = Disclosure.RANKS, appeal_days: int = APPEAL_DAYS) -> Run:
    """Publish a draft: units see their results (and their peers' as `disclosure` allows) and may appeal for
    `appeal_days` days. Publishing twice changes nothing."""
    _require_manage(by, run.scheme)
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.DRAFT:
            return run
        if disclosure not in Disclosure.values:
            raise ServiceError(_("Choose what units see."), field="disclosure")
        if not 0 < int(appeal_days) <= 60:
            raise ServiceError(_("The appeal window is 1 to 60 days."), field="appeal_days")
        from luoshi.assessment.selectors import missing_manual_count

        missing = missing_manual_count(run)
        if missing:
            raise ServiceError(
                _("%(n)d entered scores are missing: enter them and run again before publishing.")
                % {"n": missing}
            )
        # an earlier published run of the same scheme and period gives way to this one
        Run.objects.filter(
            scheme=run.scheme, since=run.since, until=run.until, status=RunStatus.PUBLISHED
        ).update(status=RunStatus.SUPERSEDED)
        run.status = RunStatus.PUBLISHED
        run.disclosure = disclosure
        run.published_at = timezone.now()
        run.published_by = by
        run.appeal_until = timezone.localdate() + timedelta(days=int(appeal_days))
        run.save()
    data_changed()
    return run


def can_appeal(user, result: Result) -> bool:
    return scoping.has_perm_at(user, OBLIGATIONS_COMPLETE, result.organization.path)


def appeal_file(*, by, result: Result, indicator_code: str, text: str, uploads=()) -> Appeal:
    """申诉 — the unit contests one indicator of its published result, within the window, with evidence."""
    from luoshi.core.attachments import attachment_add

    if not can_appeal(by, result):
        raise NotPermitted()
    run = result.run
    if run.status != RunStatus.PUBLISHED:
        raise ServiceError(_("Only a published result can be appealed."))
    if run.appeal_until is None or timezone.localdate() > run.appeal_until:
        raise ServiceError(
            _("The appeal window closed on %(day)s.") % {"day": run.appeal_until}, field="text"
        )
    if indicator_code not in result.scores:
        raise ServiceError(_("Choose an indicator of the result."), field="indicator_code")
    if not (text or "").strip():
        raise ServiceError(_("Give the grounds of the appeal."), field="text")
    if result.appeals.filter(indicator_code=indicator_code, status=AppealStatus.PENDING).exists():
        raise ServiceError(_("This indicator already has an appeal awaiting decision."))
    with transaction.atomic():
        appeal = Appeal.objects.create(
            result=result, indicator_code=indicator_code, text=text.strip(), filed_by=by
        )
        for upload in uploads:
            attachment_add(upload=upload, user=by, subject=appeal)
    from luoshi.core.notifications import notify

    notify(
        [run.published_by] if run.published_by else [],
        title=_("Appeal: %(unit)s"),
        body=_("%(unit)s appeals indicator %(code)s of the assessment."),
        values={"unit": result.organization.name, "code": indicator_code},
        url=appeal.get_absolute_url(),
    )
    data_changed()
    return appeal


def appeal_decide(*, by, appeal: Appeal, upheld: bool, reason: str, new_points=None) -> Appeal:
    """The office decides with a reason. Upheld: the indicator gets the new points and a new published version
    of the run (totals, grades and ranks recomputed) supersedes the one appealed. Deciding twice changes
    nothing."""
    result = appeal.result
    run = result.run
    _require_manage(by, run.scheme)
    if not (reason or "").strip():
        raise ServiceError(_("Give the reason for the decision."), field="reason")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != AppealStatus.PENDING:
            return appeal
        if upheld:
            indicator = run.scheme.indicators.get(code=appeal.indicator_code)
            try:
                points = Decimal(str(new_points)).quantize(CENT)
            except Exception:
                raise ServiceError(_("Enter the new points as a number."), field="new_points") from None
            if not Decimal(0) <= points <= indicator.weight:
                raise ServiceError(
                    _("The points must lie between 0 and %(max)s.") % {"max": indicator.weight},
                    field="new_points",
                )
            current = (
                Run.objects.filter(
                    scheme=run.scheme, since=run.since, until=run.until, status=RunStatus.PUBLISHED
                ).first()
                or run
            )
            appeal.new_points = points
            appeal.new_run = _new_version(current, appeal, indicator, points, by)
        appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
        appeal.decided_by = by
        appeal.decided_at = timezone.now()
        appeal.reason = reason.strip()
        appeal.save()
    from luoshi.core.notifications import notify

    notify(
        [appeal.filed_by],
        title=_("Appeal decided: %(code)s"),
        body=_("Your appeal was %(status)s: %(reason)s"),
        values={
            "code": appeal.indicator_code,
            "status": appeal.get_status_display(),
            "reason": appeal.reason,
        },
        url=appeal.get_absolute_url(),
    )
    data_changed()
    return appeal


def _new_version(run: Run, appeal: Appeal, indicator: Indicator, points: Decimal, by) -> Run:
    new = Run.objects.create(
        scheme=run.scheme,
        since=run.since,
        until=run.until,
        number=run.number,
        version=run.version + 1,
        based_on=run,
        status=RunStatus.PUBLISHED,
        disclosure=run.disclosure,
        computed_by=by,
        published_at=timezone.now(),
        published_by=by,
        appeal_until=run.appeal_until,
        note=str(
            _("Appeal of %(unit)s on %(code)s upheld.")
            % {"unit": appeal.result.organization.name, "code": indicator.code}
        ),
    )
    per_org = {}
    for result in run.results.all():
        scores = dict(result.scores)
        if result.organization_id == appeal.result.organization_id:
            old = scores[indicator.code]
            scores[indicator.code] = [str(points), old[1], old[2], "appeal"]
        per_org[result.organization_id] = scores
    _finish(new, per_org)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUPERSEDED)
    return new
