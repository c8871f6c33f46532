# ruff: noqa: B023 — each closure is called within its own loop iteration, never later
"""Assessment benchmark at district size: a full run of each shipped scheme (every unit's scores, totals,
grades and ranks, saved), and beside it the limit — a hand-written DuckDB query doing the same weighted
roll-up and ranking over the same extract (the per-unit numbers the sources measured).

  .venv/bin/python bench/assessment.py            # builds the demo district into bench/results/assessment/
  .venv/bin/python bench/assessment.py --reuse    # reuses that database

Reported, per scheme (median of --repeat runs after one warm-up):
  run      assessment.services.run_compute end to end: the sources' grouped queries, the roll-up in Python,
           the results saved (one row per unit) and the commit
  measure  the sources' grouped queries alone
  rollup   the roll-up alone, by the app's own code (assessment.services.unit_scores and standings: points
           per mode, totals, grades, ranks), on the measured extract
  duckdb   the same roll-up and ranking as one SQL statement in DuckDB over the same extract, loaded into
           an in-memory table first (load time reported apart)
The ratio rollup / duckdb says how far the Python roll-up is from the limit. Nothing here is asserted; the
figures go into the issue note. Province size is not measured by this script yet.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "results" / "assessment"


def build(reuse: bool) -> None:
    if reuse and (VAR / "luoshi.sqlite3").exists():
        return
    VAR.mkdir(parents=True, exist_ok=True)
    for name in ("luoshi.sqlite3", "luoshi.sqlite3-wal", "luoshi.sqlite3-shm"):
        (VAR / name).unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "luoshi.cli", "demo", "--seed-only"],
        env={**os.environ, "LUOSHI_VAR_DIR": str(VAR)},
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    build(args.reuse)
    os.environ["LUOSHI_VAR_DIR"] = str(VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    import duckdb
    from django.contrib.auth import get_user_model

    from luoshi.assessment import services
    from luoshi.assessment.models import MANUAL, Scheme
    from luoshi.core.indicators import SOURCES, Period, Scope

    officer = get_user_model().objects.get(username="org_officer")
    out = {}
    for scheme in Scheme.objects.filter(archived_at=None).order_by("kind"):
        since, until = date(scheme.year, 1, 1), date(scheme.year, 12, 31)
        period, scope = Period(since, until), Scope(scheme.kind, scheme.issuer.path)
        leaves = [i for i in scheme.indicators.order_by("order") if i.source]
        orgs = list(services.assessed_units(scheme).values_list("id", flat=True))

        def measure():
            return services.measure_leaves(leaves, period, scope)

        def rollup(extract):
            return services.standings(scheme, services.unit_scores(leaves, orgs, *extract))

        def timed(fn, *a):
            times = []
            result = fn(*a)  # warm-up
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = fn(*a)
                times.append(time.perf_counter() - started)
            return statistics.median(times), result

        t_measure, extract = timed(measure)
        t_rollup, python = timed(rollup, extract)

        # the limit: the same roll-up and ranking in one DuckDB statement over the same extract
        con = duckdb.connect()
        started = time.perf_counter()
        measured, entered = extract
        rows = []
        for indicator in leaves:
            manual = indicator.source == MANUAL
            mode = "manual" if manual else SOURCES[indicator.source].mode
            for org_id in orgs:
                got = (entered if manual else measured)[indicator.code].get(org_id)
                value = (float(got.points), None) if manual and got else (got.num, got.den) if got else None
                rows.append(
                    (
                        org_id,
                        indicator.code,
                        mode,
                        float(indicator.weight),
                        float(indicator.per_item or 0),
                        bool(indicator.veto),
                        value[0] if value else None,
                        value[1] if value else None,
                    )
                )
        con.execute(
            "CREATE TABLE m (org INTEGER, code VARCHAR, mode VARCHAR, weight DOUBLE, per_item DOUBLE, veto BOOLEAN,"
            " num DOUBLE, den DOUBLE)"
        )
        con.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        bands = [(b.name, float(b.minimum), b.order) for b in scheme.bands.all()]
        con.execute("CREATE TABLE bands (name VARCHAR, minimum DOUBLE, ord INTEGER)")
        con.executemany("INSERT INTO bands VALUES (?, ?, ?)", bands)
        load = time.perf_counter() - started
        cap = next(b[2] for b in bands if b[0] == scheme.veto_cap)
        sql = f"""
            WITH pts AS (
              SELECT org,
                CASE mode
                  WHEN 'manual' THEN coalesce(num, 0)
                  WHEN 'share' THEN CASE WHEN coalesce(den, 0) = 0 THEN weight ELSE round(weight * num / den, 2) END
                  WHEN 'average' THEN CASE WHEN coalesce(den, 0) = 0 THEN weight ELSE round(weight * num / den / 100, 2) END
                  WHEN 'count' THEN greatest(0, weight - per_item * coalesce(num, 0))
                  WHEN 'veto' THEN CASE WHEN coalesce(num, 0) > 0 THEN 0 ELSE weight END
                END AS p,
                (mode = 'veto' AND veto AND coalesce(num, 0) > 0) AS breached
              FROM m),
            tot AS (SELECT org, round(sum(p), 2) AS total, bool_or(breached) AS vetoed FROM pts GROUP BY org),
            graded AS (
              SELECT org, total, vetoed,
                (SELECT min(ord) FROM bands WHERE total >= minimum) AS g
              FROM tot)
            SELECT org, total, CASE WHEN vetoed THEN greatest(g, {cap}) ELSE g END AS grade_ord,
                   rank() OVER (ORDER BY total DESC) AS rank
            FROM graded
        """
        t_duck, duck = timed(lambda: con.execute(sql).fetchall())
        names = {b[2]: b[0] for b in bands}
        agree = len(duck) == len(python) and all(
            (round(float(python[o][0]), 2), python[o][1], python[o][3]) == (round(t, 2), names[g], r)
            for o, t, g, r in duck
        )
        t_run, _run = timed(lambda: services.run_compute(by=officer, scheme=scheme, since=since, until=until))
        out[scheme.code] = {
            "units": len(orgs),
            "indicators": len(leaves),
            "run_s": round(t_run, 4),
            "measure_s": round(t_measure, 4),
            "rollup_python_s": round(t_rollup, 4),
            "rollup_duckdb_s": round(t_duck, 4),
            "duckdb_load_s": round(load, 4),
            "ratio_python_to_duckdb": round(t_rollup / t_duck, 2) if t_duck else None,
            "same_results": agree,
        }
        print(
            f"{scheme.code:18} units {len(orgs):6}  run {t_run * 1000:8.1f} ms  measure {t_measure * 1000:7.1f} ms  "
            f"roll-up: python {t_rollup * 1000:7.2f} ms, duckdb {t_duck * 1000:7.2f} ms "
            f"(×{out[scheme.code]['ratio_python_to_duckdb']}; load {load * 1000:.1f} ms)  same results: {agree}"
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
