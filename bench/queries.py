"""Province-size query timings. run.py starts this in a child process whose environment (LUOSHI_VAR_DIR,
DATABASE_URL) names the benchmark database; it prints one JSON object on its last line.

  1. list one street's subtree: Organization.objects.subtree(street.path), every row fetched;
  2. count obligations per street: orgs.selectors.obligation_counts_by_subtree(all streets under the root),
     and the same overdue counts from one direct query grouped by the street prefix of the path;
  3. for comparison, obligation_counts_by_subtree(the children of one street), as a street's tree page asks.

The query plans depend on the planner's statistics, which a freshly built database does not have (nothing
runs ANALYZE, and autovacuum may be off): --analyze runs ANALYZE first, --analyze-only does just that.
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db.models.functions import Substr  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from luoshi.core.models import ACTIVE_STATES, Obligation  # noqa: E402
from luoshi.orgs.models import Organization, OrgKind  # noqa: E402
from luoshi.orgs.selectors import obligation_counts_by_subtree  # noqa: E402
from luoshi.orgs.tree import subtree_bounds  # noqa: E402


def timed(fn, repeat: int):
    """Run fn `repeat` times; the first run (cold caches) is reported apart from the steady state.
    A query that fails is reported as such (with the error) instead of stopping the other measurements."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # the error is the result
            return {"error": f"{type(exc).__name__}: {exc}"}, None
        times.append((time.perf_counter() - started) * 1000)
    steady = times[1:] or times
    ordered = sorted(steady)
    return {
        "first_ms": round(times[0], 2),
        "median_ms": round(statistics.median(steady), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "min_ms": round(ordered[0], 2),
        "max_ms": round(ordered[-1], 2),
        "runs": len(times),
    }, result


def statistics_state() -> dict:
    """Whether the planner has statistics for the obligations table (and, on PostgreSQL, autovacuum)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            return {"analyzed": bool(cursor.fetchone()[0]), "autovacuum": None}
        cursor.execute(
            "SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL FROM pg_stat_user_tables"
            " WHERE relname = 'core_obligation'"
        )
        analyzed = bool(cursor.fetchone()[0])
        cursor.execute("SHOW autovacuum")
        return {"analyzed": analyzed, "autovacuum": cursor.fetchone()[0]}


def analyze() -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return round(time.perf_counter() - started, 2)


def plan_of(fn) -> str:
    """The plan of the last query `fn` runs (for a selector whose queryset is not reachable from here)."""
    try:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        with connection.cursor() as cursor:
            cursor.execute(explain + ctx.captured_queries[-1]["sql"])
            return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())
    except Exception as exc:  # a plan is a nice-to-have
        return f"no plan: {type(exc).__name__}: {exc}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE before measuring")
    parser.add_argument("--analyze-only", action="store_true", help="run ANALYZE and stop")
    args = parser.parse_args()
    analyze_s = analyze() if args.analyze or args.analyze_only else None
    if args.analyze_only:
        print(json.dumps({"analyze_s": analyze_s, "statistics": statistics_state()}))
        return 0

    today = timezone.localdate()
    root = Organization.objects.get(parent=None, kind=OrgKind.DISTRICT)
    streets = list(Organization.objects.filter(parent=root).order_by("path"))
    street = streets[len(streets) // 2]  # a street from the middle of the range, not the first rows

    def street_subtree():
        return list(Organization.objects.subtree(street.path))

    def by_selector():
        return obligation_counts_by_subtree(streets, today=today)

    children = list(Organization.objects.filter(parent=street).order_by("path"))

    def by_selector_one_street():  # what the street's own tree page asks: its children's counts
        return obligation_counts_by_subtree(children, today=today)

    low, high = subtree_bounds(root.path)
    direct_qs = (
        Obligation.objects.filter(
            state__in=ACTIVE_STATES,
            due_date__lt=today,
            organization__path__gte=low,
            organization__path__lt=high,
        )
        .annotate(prefix=Substr("organization__path", 1, len(street.path)))
        .values("prefix")
        .annotate(overdue=Count("id"))
        .order_by()
    )

    def direct():
        # The root's own obligations get a shorter prefix, which names no street: ignored below.
        return {row["prefix"]: row["overdue"] for row in direct_qs.all()}  # .all(): a fresh query each time

    subtree_timing, subtree_rows = timed(street_subtree, args.repeat)
    selector_timing, selector_counts = timed(by_selector, args.repeat)
    direct_timing, direct_counts = timed(direct, args.repeat)
    one_street_timing, _counts = timed(by_selector_one_street, args.repeat)

    # Both ways must give the same overdue count for every street, or one of the timings measures a bug.
    from_direct = {s.path: direct_counts.get(s.path, 0) for s in streets} if direct_counts else None
    from_selector = {s.path: selector_counts[s.pk]["overdue"] for s in streets} if selector_counts else None
    disagree = None
    if from_direct is not None and from_selector is not None:
        disagree = [path for path in from_selector if from_selector[path] != from_direct[path]][:20]

    result = {
        "vendor": connection.vendor,
        "repeat": args.repeat,
        "analyze_s": analyze_s,
        "statistics": statistics_state(),
        "database": str(connection.settings_dict["NAME"]),
        "organizations": Organization.objects.count(),
        "streets": len(streets),
        "obligations": Obligation.objects.count(),
        "obligations_active": Obligation.objects.active().count(),
        "obligations_overdue": Obligation.objects.overdue(today).count(),
        "street": {
            "id": street.pk,
            "path": street.path,
            "name": street.name,
            "subtree_rows": len(subtree_rows),
        },
        "street_subtree": subtree_timing,
        "counts_by_selector": selector_timing,
        "counts_direct": direct_timing,
        "counts_one_street": {**one_street_timing, "children": len(children)},
        "overdue_total_selector": sum(from_selector.values()) if from_selector is not None else None,
        "overdue_total_direct": sum(from_direct.values()) if from_direct is not None else None,
        "streets_disagreeing": disagree,  # None when one of the two could not run
        "plans": {
            "street_subtree": Organization.objects.subtree(street.path).explain(),
            "counts_direct": direct_qs.explain(),
            "counts_one_street": plan_of(by_selector_one_street),
        },
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
