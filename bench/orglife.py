"""Organizational-life benchmark: the six-unification compliance of every branch for a month and the quarterly
one-table report (一表通), at district and province size.

  .venv/bin/python bench/orglife.py                     # district: the demo (eight months of meetings) in
                                                        # bench/results/var-orglife-district, built if missing
  .venv/bin/python bench/orglife.py --size province     # a COPY of the province demo (bench/results/
                                                        # var-province-sqlite, built by `bench/run.py --part
                                                        # province` or here if missing) with a quarter of meetings

District: the demo district as `luoshi demo` builds it (316 branches, ~20,000 members, ~8,300 meetings and
~290,000 attendance rows over eight months). Province: the province demo's ~78,000 branches, to which this
script writes, in bulk (no history rows), a quarter of meetings — per branch three theme days answering the
district's three monthly plans (≈92% held, some outside the window, some with an item missing, 5% recorded
late), three committee meetings and one general meeting; roll and attendance counts on each meeting (the
compliance and the table read those, not the attendance rows) — and a supervisor for every tenth branch.

Reported (median of --repeat runs after one warm-up; the first, cold run apart):
  compliance  orglife.selectors.compliance(plan) for every branch under the root, for the last month's plan,
              and compliance_rollup over every community and street
  table       orglife.selectors.quarter_table(root, quarter): meetings per kind, attendance, theme days held and
              compliant (this runs compliance for each of the quarter's plans)
Goals: district compliance under 1 s, province under 60 s. The compliance page's p95 under load is measured by
bench/run.py (district pages). Nothing is asserted; the last line is the JSON.
"""

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUOSHI = str(ROOT / ".venv" / "bin" / "luoshi")
GOALS = {"district": 1.0, "province": 60.0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_demo(var: Path, size: str) -> None:
    if (var / "luoshi.sqlite3").exists():
        return
    log(f"building the {size} demo in {var} …")
    env = {**os.environ, "LUOSHI_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    subprocess.run([LUOSHI, "demo", "--seed-only", "--size", size], env=env, cwd=ROOT, check=True)


def copy_database(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)  # only ever bench/results/var-*
    target.mkdir(parents=True)
    src, dst = sqlite3.connect(source / "luoshi.sqlite3"), sqlite3.connect(target / "luoshi.sqlite3")
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def timed(func, repeat: int) -> tuple[float, float, object]:
    """(cold seconds, median warm seconds, the last result)."""
    started = time.perf_counter()
    result = func()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        warm.append(time.perf_counter() - started)
    return cold, statistics.median(warm), result


def province_quarter(today: date) -> dict:
    """A quarter of meetings for every branch of the province (see the module's docstring)."""
    from django.utils import timezone

    from luoshi.accounts.models import User
    from luoshi.orglife import services
    from luoshi.orglife.models import AgendaItem, Meeting, MeetingKind, PlanSupervisor
    from luoshi.orglife.periods import month_end, period_of
    from luoshi.orgs.models import Organization

    rng = random.Random(20261125)
    officer = User.objects.get(username="org_officer")
    root = Organization.objects.get(parent=None)
    services.rules_default(organization=root, effective_from=date(today.year, 1, 1))
    start, _end = period_of("quarter", today)
    previous = period_of("quarter", start - timedelta(days=1))[0]  # a whole quarter, ended
    required = (AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT, AgendaItem.SERVICE_ACTIVITY)
    plans = []
    for k in range(3):
        first = date(previous.year, previous.month + k, 1)
        plan = services.plan_save(
            by=officer,
            organization=root,
            data=services.PlanInput(
                month=first,
                window_start=first.replace(day=10),
                window_end=month_end(first),
                theme=f"主题{k + 1}",
                required_items=required,
            ),
        )
        services.plan_publish(plan=plan, by=officer)
        plans.append(plan)
    from luoshi.orgs.models import Position, PositionKind

    branches = list(Organization.objects.active().filter(holds_members=True).values_list("pk", flat=True))
    secretaries = dict(
        Position.objects.current()
        .filter(kind=PositionKind.SECRETARY)
        .values_list("organization_id", "person_id")
    )
    started = time.perf_counter()
    rows = []
    now = timezone.now()

    def meeting(branch, kind, day, plan=None, agenda=(), topic="会议", late=False, roll=50):
        present = int(roll * rng.uniform(0.7, 1.0))
        starts = timezone.make_aware(datetime(day.year, day.month, day.day, 9))
        rows.append(
            Meeting(
                branch_id=branch,
                kind=kind,
                plan=plan,
                starts_at=starts,
                place="党群服务中心",
                topic=topic,
                agenda=list(agenda),
                record="学习、讨论、部署。",
                roll=roll,
                present=present,
                absent=roll - present,
                recorded_by=officer,
                late=late,
                checkin_token=f"b{len(rows)}",
                presider_id=secretaries.get(branch),
            )
        )

    for branch in branches:
        roll = rng.randint(10, 90)
        for plan in plans:
            if rng.random() < 0.92:
                day = plan.window_start + timedelta(days=rng.randint(-3, 12))
                agenda = required if rng.random() > 0.08 else required[:2]
                meeting(
                    branch, MeetingKind.THEME_DAY, day, plan, agenda, plan.theme, rng.random() < 0.05, roll
                )
            meeting(branch, MeetingKind.COMMITTEE_MEETING, plan.month + timedelta(days=3), roll=5)
        meeting(branch, MeetingKind.GENERAL_MEETING, plans[1].month + timedelta(days=15), roll=roll)
    Meeting.objects.bulk_create(rows, batch_size=5000)
    Meeting.objects.filter(recorded_at__gte=now).update(recorded_at=now)
    supervisors = [PlanSupervisor(plan=plans[-1], branch_id=b, supervisor=officer) for b in branches[::10]]
    PlanSupervisor.objects.bulk_create(supervisors, batch_size=5000)
    return {
        "branches": len(branches),
        "meetings": len(rows),
        "write_s": round(time.perf_counter() - started, 1),
        "plan": plans[-1].pk,
        "quarter": [previous.isoformat(), period_of("quarter", previous)[1].isoformat()],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["district", "province"], default="district")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    if args.size == "district":
        var = RESULTS / "var-orglife-district"
        ensure_demo(var, "district")
    else:
        source = RESULTS / "var-province-sqlite"
        ensure_demo(source, "province")
        var = RESULTS / "var-province-sqlite-orglife"
        copy_database(source, var)
    os.environ["LUOSHI_VAR_DIR"] = str(var)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    from django.utils import timezone

    from luoshi.orglife import selectors
    from luoshi.orglife.models import Attendance, Meeting, ThemeDayPlan
    from luoshi.orglife.periods import period_of
    from luoshi.orgs.models import Organization, OrgKind

    today = timezone.localdate()
    out = {"size": args.size}
    if args.size == "province":
        out["generated"] = province_quarter(today)
        plan = ThemeDayPlan.objects.get(pk=out["generated"]["plan"])
        q_start, q_end = (date.fromisoformat(d) for d in out["generated"]["quarter"])
    else:
        plan = ThemeDayPlan.objects.published().order_by("-month").first()
        q_start, q_end = period_of("quarter", today)
    root = Organization.objects.get(parent=None)
    units = list(Organization.objects.active().filter(kind__in=[OrgKind.COMMUNITY, OrgKind.STREET]))
    out.update(
        branches=Organization.objects.active().filter(holds_members=True).count(),
        meetings=Meeting.objects.count(),
        attendance_rows=Attendance.objects.count(),
        plan_month=f"{plan.month:%Y-%m}",
        quarter=[q_start.isoformat(), q_end.isoformat()],
    )
    log(
        f"{out['branches']:,} branches, {out['meetings']:,} meetings, {out['attendance_rows']:,} attendance rows"
    )

    def compliance_and_rollup():
        rows = selectors.compliance(plan)
        return rows, selectors.compliance_rollup(rows, units)

    cold, warm, (rows, rollup) = timed(compliance_and_rollup, args.repeat)
    out["compliance"] = {
        "cold_s": round(cold, 3),
        "median_s": round(warm, 3),
        "branches": len(rows),
        "held": sum(r.meeting is not None for r in rows),
        "complete": sum(r.complete for r in rows),
        "units_rolled_up": len(rollup),
    }
    log(
        f"compliance of {len(rows):,} branches for {plan.month:%Y-%m}: cold {cold:.2f} s, median {warm:.2f} s"
    )
    cold, warm, table = timed(lambda: selectors.quarter_table(root, q_start, q_end), args.repeat)
    out["table"] = {
        "cold_s": round(cold, 3),
        "median_s": round(warm, 3),
        "rows": len(table),
        "meetings_counted": sum(sum(r.held.values()) for r in table),
    }
    log(f"one-table report {q_start}–{q_end}: cold {cold:.2f} s, median {warm:.2f} s")
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["goal_s"] = GOALS[args.size]
    out["goal_met"] = out["compliance"]["median_s"] < GOALS[args.size]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
