"""Writes of the assessment app: schemes loaded, manual scores entered, runs computed and published, appeals
filed and decided. The arithmetic (points per mode, grade, veto cap, ranks) is the roll-up's (rollup.py)."""

import time
from datetime import timedelta
from decimal import Decimal

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
from luoshi.assessment.obligations import APPEAL_DECISION, APPEAL_DECISION_DAYS
from luoshi.assessment.rollup import Standing, roll_up, standings_of
from luoshi.assessment.schemes import scheme_load_yaml
from luoshi.core import obligations as engine
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.indicators import SOURCES, Period, Scope
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


def manual_scores_set(*, by, indicator: Indicator, entries: list[tuple]) -> dict:
    """Many entered scores at once, all or none: `entries` are (key, organization, points, reason), key naming
    the row to the user (a unit's id on the page, a row number in a sheet). Returns {key: message} for the rows
    refused; when there is any, nothing is saved. A row whose points and reason are what is saved already is
    left alone (its history gets no empty change)."""
    entered = {m.organization_id: m for m in ManualScore.objects.filter(indicator=indicator)}
    errors = {}
    with transaction.atomic():
        for key, organization, points, reason in entries:
            old = entered.get(organization.pk) if organization else None
            points, reason = str(points if points is not None else "").strip(), (reason or "").strip()
            if old and str(old.points) == points and old.reason == reason:
                continue
            if not points and old is None:
                continue  # a unit left empty on the page
            try:
                if organization is None:
                    raise ServiceError(_("No unit of this scheme has this code."))
                manual_score_set(
                    by=by, indicator=indicator, organization=organization, points=points or "x", reason=reason
                )
            except ServiceError as exc:
                errors[key] = exc.message
        if errors:
            transaction.set_rollback(True)
    return errors


# --- the arithmetic -----------------------------------------------------------------------------------------


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


def _finish(run: Run, per_org: dict[int, dict], standings: dict[int, Standing]) -> None:
    """Saves the run's results: each unit's leaf scores with its total, grade, veto and rank."""
    Result.objects.bulk_create(
        (
            Result(
                run=run,
                organization_id=org_id,
                total=s.total,
                grade=s.grade,
                vetoed=s.vetoed,
                rank=s.rank,
                scores=per_org[org_id],
            )
            for org_id, s in standings.items()
        ),
        batch_size=1000,
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
    per_org, standings = roll_up(scheme, leaves, orgs, *measure_leaves(leaves, period, scope))
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
        _finish(run, per_org, standings)
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
        # the office owes a decision: an obligation on its own unit (its notice reaches the unit's users)
        appeal.obligation = engine.obligation_create(
            kind=APPEAL_DECISION,
            title=str(
                _("Decide the appeal of %(unit)s on %(code)s")
                % {"unit": result.organization.name, "code": indicator_code}
            ),
            organization=run.scheme.issuer,
            due_date=timezone.localdate() + timedelta(days=APPEAL_DECISION_DAYS),
            subject=appeal,
            created_by=by,
        )
        appeal.save(update_fields=["obligation"])
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
        if appeal.obligation_id:
            engine.obligation_mark_done(obligation=appeal.obligation, user=by, note=appeal.reason)
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
    _finish(new, per_org, standings_of(run.scheme, per_org))
    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUPERSEDED)
    return new
