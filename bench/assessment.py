# ruff: noqa: B023 — each closure is called within its own loop iteration, never later
"""Assessment benchmark: a full run of each shipped scheme (every unit's scores, totals, grades and ranks,
saved), and beside it the limit — a hand-written DuckDB query doing the same weighted roll-up and ranking over
the same extract (the per-unit numbers the sources measured).

  .venv/bin/python bench/assessment.py                  # district: builds the demo into bench/results/assessment/
  .venv/bin/python bench/assessment.py --reuse          # reuses that database
  .venv/bin/python bench/assessment.py --size province  # on the database the environment names (a COPY: run.py
                                                        # passes the one bench/inspections.py wrote a year into)

At province size the database is the province demo with a year of inspections (bench/inspections.py); this
script adds a year of duty records and escalations (bench/duty_year.py) and loads the shipped schemes on the
root (the province demo has none), then measures.

Reported, per scheme (median of --repeat runs after one warm-up; the first, cold run apart):
  run      assessment.services.run_compute end to end: the sources' grouped queries, the roll-up, the results
           saved (one row per unit) and the commit
  measure  the sources' grouped queries alone
  rollup   the app's roll-up alone (assessment.rollup.roll_up: DuckDB, in memory) on the measured extract:
           loading it, the statements, and the leaf scores and standings back into Python
  statements  of that, the app's two roll-up statements alone (leaf points; totals, grades, ranks) on the
           extract already loaded
  limit    the same roll-up and ranking as one hand-written DuckDB statement (the same exact rounding) over
           the same extract, already loaded (its load time reported apart)
The ratio statements / limit says how far the app's roll-up is from the limit; rollup / limit (with and
without the limit's load) what moving the data in and out of DuckDB adds. The results of both are compared
unit by unit. Nothing here is asserted; the figures go into the note.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "results" / "assessment"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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


def limit(scheme, leaves, orgs, extract, con):
    """The hand-written limit: the extract loaded into DuckDB as one flat table (timed apart), and one
    statement computing totals, grades and ranks with the same exact rounding (hundredths, half up)."""
    from luoshi.assessment.models import MANUAL
    from luoshi.core.indicators import SOURCES

    started = time.perf_counter()
    measured, entered = extract
    cols = {k: [] for k in ("org", "mode", "weight", "per_item", "veto", "num", "den")}
    for indicator in leaves:
        manual = indicator.source == MANUAL
        mode = "manual" if manual else SOURCES[indicator.source].mode
        got = (entered if manual else measured)[indicator.code]
        weight, per_item = int(indicator.weight * 100), int((indicator.per_item or 0) * 100)
        for org_id in orgs:
            value = got.get(org_id)
            if manual:
                num, den = (int(value.points * 100), None) if value else (None, None)
            else:
                num, den = (round(value.num * 100), round(value.den * 100)) if value else (None, None)
            for key, v in zip(
                cols, (org_id, mode, weight, per_item, bool(indicator.veto), num, den), strict=True
            ):
                cols[key].append(v)
    con.execute(
        "CREATE OR REPLACE TABLE m AS SELECT unnest($1::INTEGER[]) org, unnest($2::VARCHAR[]) mode,"
        " unnest($3::BIGINT[]) weight, unnest($4::BIGINT[]) per_item, unnest($5::BOOLEAN[]) veto,"
        " unnest($6::BIGINT[]) num, unnest($7::BIGINT[]) den",
        list(cols.values()),
    )
    bands = [(b.name, int(b.minimum * 100), b.order) for b in scheme.bands.order_by("order")]
    con.execute("CREATE OR REPLACE TABLE bands (name VARCHAR, minimum BIGINT, ord INTEGER)")
    con.executemany("INSERT INTO bands VALUES (?, ?, ?)", bands)
    load = time.perf_counter() - started
    cap = next(b[2] for b in bands if b[0] == scheme.veto_cap)
    # hundredths throughout; x / y rounded half up is (2x + y) // 2y
    sql = f"""
        WITH pts AS (
          SELECT org,
            CASE mode
              WHEN 'manual' THEN coalesce(num, 0)
              WHEN 'share' THEN CASE WHEN coalesce(den, 0) = 0 THEN weight
                                     ELSE least(weight, (2 * weight * num + den) // (2 * den)) END
              WHEN 'average' THEN CASE WHEN coalesce(den, 0) = 0 THEN weight
                                       ELSE least(weight, (2 * weight * num + 100 * den) // (200 * den)) END
              WHEN 'count' THEN (greatest(0, 100 * weight - per_item * coalesce(num, 0)) + 50) // 100
              WHEN 'veto' THEN CASE WHEN coalesce(num, 0) > 0 THEN 0 ELSE weight END
            END AS p,
            (mode = 'veto' AND veto AND coalesce(num, 0) > 0) AS breached
          FROM m),
        tot AS (SELECT org, sum(p) AS total, bool_or(breached) AS vetoed FROM pts GROUP BY org),
        graded AS (
          SELECT org, total, vetoed, (SELECT min(ord) FROM bands WHERE total >= minimum) AS g FROM tot)
        SELECT org, total, CASE WHEN vetoed THEN greatest(g, {cap}) ELSE g END AS grade_ord,
               rank() OVER (ORDER BY total DESC) AS rank
        FROM graded
    """
    return load, sql, {b[2]: b[0] for b in bands}


def app_statements(scheme, leaves, orgs, extract, repeat):
    """The app's roll-up statements alone (leaf points, then totals, grades and ranks), on the extract
    loaded the app's way: what compares with the limit's one statement."""
    from luoshi.assessment import rollup

    con, cap = rollup.connect(scheme)
    rollup.load(con, leaves, orgs, *extract)

    def statements():
        con.execute("DROP TABLE IF EXISTS pts")
        con.execute(rollup.LEAVES_SQL)
        return con.execute(rollup.STANDINGS_SQL, {"cap": cap}).fetchall()

    try:
        return timed(statements, repeat)[1]
    finally:
        con.close()


def timed(fn, repeat):
    """(first run, median of `repeat` more, last result)."""
    started = time.perf_counter()
    result = fn()
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times) if times else first, result


def schemes_ensure(officer):
    """The shipped schemes on the root, as its office would load them (the province demo has none)."""
    from luoshi.assessment import services
    from luoshi.assessment.models import Scheme
    from luoshi.assessment.schemes import shipped_schemes
    from luoshi.orgs.models import Organization

    root = Organization.objects.get(parent=None)
    if not Scheme.objects.filter(issuer=root, archived_at=None).exists():
        year = date.today().year
        for text in shipped_schemes().values():
            services.scheme_upload(by=officer, issuer=root, text=text.replace("year: 2026", f"year: {year}"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["district", "province"], default="district")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--records", action="store_true", help="district: add a year of duty records too")
    args = parser.parse_args()
    if args.size == "district":
        build(args.reuse)
        os.environ["LUOSHI_VAR_DIR"] = str(VAR)
    elif "LUOSHI_VAR_DIR" not in os.environ:
        sys.exit("--size province measures the database the environment names (LUOSHI_VAR_DIR, DATABASE_URL)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    import random

    import duckdb
    import duty_year
    from django.contrib.auth import get_user_model
    from django.db import connection

    from luoshi.assessment import rollup, services
    from luoshi.assessment.models import Scheme
    from luoshi.core.db import refresh_statistics
    from luoshi.core.indicators import Period, Scope

    officer = get_user_model().objects.get(username="org_officer")
    out = {"size": args.size, "vendor": connection.vendor}
    if args.size == "province" or args.records:
        started = time.perf_counter()
        schemes_ensure(officer)
        out["records"] = dict(duty_year.write(random.Random(20261125)))
        refresh_statistics(full=True)
        out["records"]["written_s"] = round(time.perf_counter() - started, 1)
        log(f"records written in {out['records']['written_s']} s: {out['records']}")
    out["schemes"] = {}
    for scheme in Scheme.objects.filter(archived_at=None).order_by("kind"):
        since, until = date(scheme.year, 1, 1), date(scheme.year, 12, 31)
        period, scope = Period(since, until), Scope(scheme.kind, scheme.issuer.path)
        leaves = [i for i in scheme.indicators.order_by("order") if i.source]
        orgs = list(services.assessed_units(scheme).values_list("id", flat=True))
        if not orgs:
            continue
        _f, t_measure, extract = timed(lambda: services.measure_leaves(leaves, period, scope), args.repeat)
        _f, t_rollup, (per_org, standings) = timed(
            lambda: rollup.roll_up(scheme, leaves, orgs, *extract), args.repeat
        )
        con = duckdb.connect()
        load, sql, names = limit(scheme, leaves, orgs, extract, con)
        _f, t_limit, duck = timed(lambda: con.execute(sql).fetchall(), args.repeat)
        con.close()
        t_statements = app_statements(scheme, leaves, orgs, extract, args.repeat)
        agree = len(duck) == len(standings) and all(
            (standings[o].total, standings[o].grade, standings[o].rank) == (Decimal(t) / 100, names[g], r)
            for o, t, g, r in duck
        )
        first_run, t_run, run = timed(
            lambda: services.run_compute(by=officer, scheme=scheme, since=since, until=until),
            max(1, args.repeat // 2) if args.size == "province" else args.repeat,
        )
        row = {
            "units": len(orgs),
            "indicators": len(leaves),
            "leaf_scores": len(orgs) * len(leaves),
            "run_first_s": round(first_run, 3),
            "run_s": round(t_run, 3),
            "measure_s": round(t_measure, 3),
            "rollup_s": round(t_rollup, 4),
            "rollup_statements_s": round(t_statements, 4),
            "limit_s": round(t_limit, 4),
            "limit_load_s": round(load, 4),
            "ratio_statements_to_limit": round(t_statements / t_limit, 2),
            "ratio_rollup_to_limit": round(t_rollup / t_limit, 2),
            "ratio_rollup_to_limit_with_load": round(t_rollup / (t_limit + load), 2),
            "same_results": agree,
        }
        out["schemes"][scheme.code] = row
        log(
            f"{scheme.code:18} units {len(orgs):6}  run {t_run * 1000:8.0f} ms (first {first_run * 1000:.0f})  "
            f"measure {t_measure * 1000:7.0f} ms  roll-up (DuckDB) {t_rollup * 1000:7.1f} ms, its statements "
            f"{t_statements * 1000:6.1f} ms  limit {t_limit * 1000:6.1f} ms (+ load {load * 1000:.0f} ms): "
            f"statements ×{row['ratio_statements_to_limit']}, whole roll-up ×{row['ratio_rollup_to_limit']} "
            f"(×{row['ratio_rollup_to_limit_with_load']} with the limit's load)  same results: {agree}"
        )
    import resource

    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    log(f"peak memory of this process: {out['max_rss_mb']} MB")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
