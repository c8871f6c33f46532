"""Reads of the assessment app, and who sees what:

- a scheme: whoever's scope overlaps its office's subtree (the rules are no secret to those assessed);
- a draft run: only those who may manage the scheme (the assessing office);
- a published run: the office; each unit's own people see their own result in full, and their peers' as the
  run's disclosure says (own only / grades and ranks / the whole table); a street sees its own units' results.
Hidden and missing answer 404 alike."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.http import Http404

from luoshi.accounts import scoping
from luoshi.accounts.permissions import ORGS_VIEW
from luoshi.assessment.models import (
    MANUAL,
    Disclosure,
    Indicator,
    ManualScore,
    Result,
    Run,
    RunStatus,
    Scheme,
)
from luoshi.assessment.services import can_manage
from luoshi.core.indicators import SOURCES, Period
from luoshi.orgs.tree import subtree_q


def _overlaps(user, path: str) -> bool:
    return any(p.startswith(path) or path.startswith(p) for p in scoping.paths_with_perm(user, ORGS_VIEW))


def schemes_visible(user) -> list[Scheme]:
    schemes = (
        Scheme.objects.filter(archived_at=None).select_related("issuer").order_by("-year", "code", "-version")
    )
    return [s for s in schemes if _overlaps(user, s.issuer.path)]


def scheme_get_visible(user, pk) -> Scheme:
    try:
        scheme = Scheme.objects.select_related("issuer").get(pk=pk)
    except (Scheme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not _overlaps(user, scheme.issuer.path):
        raise Http404
    return scheme


def run_visible(user, run: Run) -> bool:
    if can_manage(user, run.scheme):
        return True
    return run.status != RunStatus.DRAFT and _overlaps(user, run.scheme.issuer.path)


def runs_visible(user, scheme: Scheme | None = None) -> list[Run]:
    qs = Run.objects.select_related("scheme__issuer").order_by("-computed_at", "-id")
    if scheme is not None:
        qs = qs.filter(scheme=scheme)
    return [r for r in qs if run_visible(user, r)]


def run_get_visible(user, pk) -> Run:
    try:
        run = Run.objects.select_related("scheme__issuer").get(pk=pk)
    except (Run.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not run_visible(user, run):
        raise Http404
    return run


def own_q(user) -> Q:
    """Results of the units in the user's own scope (their unit and those below it)."""
    return subtree_q(scoping.paths_with_perm(user, ORGS_VIEW), field="organization__path")


def results_visible(user, run: Run):
    """The results the user may list for the run (in rank order), each with `.own` (the user's scope, full
    detail) — or None when the run is hidden from them."""
    qs = run.results.select_related("organization").order_by("rank", "organization__path")
    if can_manage(user, run.scheme) or run.disclosure != Disclosure.OWN:
        return qs
    return qs.filter(own_q(user))


def may_see_detail(user, result: Result) -> bool:
    run = result.run
    if can_manage(user, run.scheme) or run.disclosure == Disclosure.FULL:
        return True
    return result.run.results.filter(own_q(user), pk=result.pk).exists()


def own_ids(user, run: Run) -> set[int]:
    if can_manage(user, run.scheme):
        return set(run.results.values_list("organization_id", flat=True))
    return set(run.results.filter(own_q(user)).values_list("organization_id", flat=True))


def result_get_visible(user, pk) -> Result:
    try:
        result = Result.objects.select_related("run__scheme__issuer", "organization").get(pk=pk)
    except (Result.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not run_visible(user, result.run) or not may_see_detail(user, result):
        raise Http404
    return result


def missing_manual_count(run: Run) -> int:
    return sum(
        1
        for scores in Result.objects.filter(run=run).values_list("scores", flat=True)
        for value in scores.values()
        if value[3] == "missing"
    )


# --- explanation ---------------------------------------------------------------------------------------------


@dataclass
class Line:
    indicator: Indicator
    depth: int
    points: Decimal
    num: float | None = None
    den: float | None = None
    flag: str = ""
    mode: str = ""
    label: str = ""
    rule: str = ""
    records: list = field(default_factory=list)
    manual: object = None


def explain(result: Result, *, with_records: bool = True) -> list[Line]:
    """The result's indicator tree, each line with its points; a leaf with its numbers, the rule that turned
    them into points, and the records behind them (listed now, for the run's period)."""
    scheme = result.run.scheme
    indicators = list(scheme.indicators.order_by("order"))
    children: dict[int | None, list[Indicator]] = {}
    for indicator in indicators:
        children.setdefault(indicator.parent_id, []).append(indicator)
    period = Period(result.run.since, result.run.until)
    manual = {
        m.indicator_id: m
        for m in ManualScore.objects.filter(organization=result.organization, indicator__scheme=scheme)
    }

    def points(indicator) -> Decimal:
        if indicator.source:
            return Decimal(result.scores.get(indicator.code, ["0"])[0])
        return sum((points(child) for child in children.get(indicator.pk, [])), Decimal(0))

    lines: list[Line] = []

    def walk(parent_id, depth):
        for indicator in children.get(parent_id, []):
            line = Line(indicator=indicator, depth=depth, points=points(indicator))
            if indicator.source:
                value = result.scores.get(indicator.code, ["0", None, None, ""])
                line.num, line.den, line.flag = value[1], value[2], value[3]
                if indicator.source == MANUAL:
                    line.mode, line.manual = MANUAL, manual.get(indicator.pk)
                else:
                    source = SOURCES.get(indicator.source)
                    if source is not None:
                        line.mode, line.label, line.rule = source.mode, str(source.label), str(source.rule)
                        if with_records and source.list_records is not None:
                            line.records = source.list_records(
                                period, result.organization, indicator.params or {}
                            )
            lines.append(line)
            walk(indicator.pk, depth + 1)

    walk(None, 0)
    return lines


# --- differences between runs ------------------------------------------------------------------------------


@dataclass
class Change:
    organization: object
    before: Result | None
    after: Result | None
    indicators: list = field(default_factory=list)  # (code, before points, after points)


def run_diff(run: Run, other: Run | None = None) -> list[Change]:
    """What changed from `other` (default: the run this one is based on) to `run`: per unit, total, grade,
    rank and the indicators whose points moved. Units unchanged are left out."""
    other = other or run.based_on
    if other is None:
        return []
    before = {r.organization_id: r for r in other.results.select_related("organization")}
    changes = []
    for after in run.results.select_related("organization").order_by("rank"):
        old = before.pop(after.organization_id, None)
        if old is None:
            changes.append(Change(after.organization, None, after))
            continue
        moved = [
            (code, old.scores.get(code, ["—"])[0], value[0])
            for code, value in after.scores.items()
            if old.scores.get(code, [None])[0] != value[0]
        ]
        if moved or old.total != after.total or old.grade != after.grade or old.rank != after.rank:
            changes.append(Change(after.organization, old, after, moved))
    for old in before.values():
        changes.append(Change(old.organization, old, None))
    return changes


# --- for the cockpit and other readers ----------------------------------------------------------------------


def latest_grades(organization_ids=None, runs=None) -> dict[int, tuple[str, int]]:
    """Organization id → (grade, rank) from the newest published run of each kind (one query per run).
    `runs` (newest first), e.g. those a user may see, replaces the installation-wide choice, so that with two
    districts in one database one district's newer run does not hide the other's grades."""
    if runs is None:
        runs, seen_kinds = [], set()
        newest = Run.objects.filter(status=RunStatus.PUBLISHED).select_related("scheme")
        for run in newest.order_by("-until", "-published_at"):
            if run.scheme.kind not in seen_kinds:
                seen_kinds.add(run.scheme.kind)
                runs.append(run)
    out: dict[int, tuple[str, int]] = {}
    for run in runs:
        rows = run.results.values_list("organization_id", "grade", "rank")
        if organization_ids is not None:
            rows = rows.filter(organization_id__in=organization_ids)
        for org_id, grade, rank in rows:
            out.setdefault(org_id, (grade, rank))
    return out


def appeal_get_visible(user, pk):
    from luoshi.assessment.models import Appeal

    try:
        appeal = Appeal.objects.select_related("result__run__scheme__issuer", "result__organization").get(
            pk=pk
        )
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    result = appeal.result
    if can_manage(user, result.run.scheme) or result.run.results.filter(own_q(user), pk=result.pk).exists():
        return appeal
    raise Http404
