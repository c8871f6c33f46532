"""Sweep benchmark: the member sweep (集中排查) of a whole province register — extraction from the database
included — at 1,000,000 and 4,000,000 members (the design's province tier), on DuckDB.

On a copy of the province demo (bench/results/var-province-sqlite, built by `bench/run.py --part province` or
`luoshi demo --size province --seed-only`), this script writes N synthetic members over its 77,891 branches in
bulk (raw INSERTs: no history rows), a dues assessment for 95 % of them and each one's latest payment (the
extract needs only the latest), a few thousand open transfer letters, and known numbers of each problem; then
times luoshi.analytics.sweep.extract and .run for the province root, as luoshi.members.sweeps.sweep_run calls
them, and checks the findings against what was planted.

  .venv/bin/python bench/sweep.py --members 1000000
  .venv/bin/python bench/sweep.py --members 4000000
"""

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT / "results" / "var-province-sqlite"
VAR = ROOT / "results" / "var-sweep"
GOAL_S = 30.0
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def populate(db: Path, n: int, today: date) -> dict:
    """N members, their dues and letters, with planted problems; returns the planted counts."""
    rng = random.Random(20261125)
    con = sqlite3.connect(db)
    branches = [r[0] for r in con.execute("SELECT id FROM orgs_organization WHERE holds_members = 1")]
    communities = [r[0] for r in con.execute("SELECT id FROM orgs_organization WHERE kind = 'community'")]
    user = con.execute("SELECT id FROM accounts_user WHERE username = 'org_officer'").fetchone()[0]
    planted = {"no_dues": 0, "lost_contact": 0, "unattached": 0, "invalid_data": 0, "pocket_member": 0}
    now = f"{today.isoformat()} 00:00:00"
    month_now = today.replace(day=1)
    started = time.perf_counter()
    batch, dues, pays = [], [], []
    member_sql = (
        "INSERT INTO members_member (id, name, initials, sex, ethnicity, national_id, birth_date, education, category,"
        " organization_id, joined_on, full_on, post, phone, residence, mobile, lost_contact, lost_contact_since,"
        " created_at, updated_at, archived_at, archived_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    con.execute("PRAGMA synchronous = OFF")
    taken = set()
    for i in range(1, n + 1):
        male = rng.random() < 0.58
        while True:
            birth = date(1945, 1, 1) + timedelta(days=rng.randrange(0, 365 * 58))
            first17 = (
                f"{330100 + rng.randrange(0, 90):06d}{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + male:03d}"
            )
            if first17 not in taken:
                taken.add(first17)
                break
        nid = first17 + check_digit(first17)
        phone = f"1{rng.choice('3578')}{i:09d}"
        org = rng.choice(branches)
        lost, lost_since = False, None
        roll = rng.random()
        if roll < 0.002:
            lost, lost_since = True, (today - timedelta(days=rng.randint(200, 900))).isoformat()
            planted["lost_contact"] += 1
        elif roll < 0.004:
            org = rng.choice(communities)
            planted["unattached"] += 1
        elif roll < 0.006:
            phone = ""
            planted["invalid_data"] += 1
        joined = birth + timedelta(days=365 * 25)
        batch.append(
            (
                i,
                "党员",
                "dy",
                "M" if male else "F",
                "汉族",
                nid,
                birth.isoformat(),
                "大学本科",
                "full",
                org,
                joined.isoformat(),
                (joined + timedelta(days=366)).isoformat(),
                "",
                phone,
                "",
                False,
                lost,
                lost_since,
                now,
                now,
                None,
                "",
            )
        )
        if rng.random() < 0.95:
            dues.append((i, today.year, "student", None, "0.20", user, now))
            behind = rng.randint(7, 10) if rng.random() < 0.003 else rng.randint(0, 1)
            planted["no_dues"] += behind >= 7
            last = month_now
            for _ in range(behind):
                last = (last - timedelta(days=1)).replace(day=1)
            if last.year == today.year:
                pays.append((i, last.isoformat(), "0.20", last.isoformat(), user, now))
            elif behind >= 7:
                pass  # nothing paid this year
        if len(batch) >= 100_000:
            con.executemany(member_sql, batch)
            con.executemany(
                "INSERT INTO members_duesassessment (member_id, year, basis, monthly_income, monthly_amount,"
                " decided_by_id, decided_at) VALUES (?,?,?,?,?,?,?)",
                dues,
            )
            con.executemany(
                "INSERT INTO members_duespayment (member_id, month, amount, paid_on, entered_by_id, created_at)"
                " VALUES (?,?,?,?,?,?)",
                pays,
            )
            batch, dues, pays = [], [], []
            if i % 1_000_000 == 0:
                log(f"  {i:,} members written")
    if batch:
        con.executemany(member_sql, batch)
        con.executemany(
            "INSERT INTO members_duesassessment (member_id, year, basis, monthly_income, monthly_amount,"
            " decided_by_id, decided_at) VALUES (?,?,?,?,?,?,?)",
            dues,
        )
        con.executemany(
            "INSERT INTO members_duespayment (member_id, month, amount, paid_on, entered_by_id, created_at)"
            " VALUES (?,?,?,?,?,?)",
            pays,
        )
    letters = []
    for k in range(2000):
        member = rng.randrange(1, n + 1)
        issued = today - timedelta(days=rng.randint(10, 120))
        valid = issued + timedelta(days=30)
        planted["pocket_member"] += valid < today
        letters.append(
            (
                member,
                f"B-{k:05d}",
                rng.choice(branches),
                rng.choice(branches),
                "搬家",
                issued.isoformat(),
                valid.isoformat(),
                "issued",
                None,
                "",
                user,
                now,
            )
        )
    con.executemany(
        "INSERT INTO members_transfer (member_id, number, from_organization_id, to_organization_id, reason,"
        " issued_on, valid_until, status, received_on, note, issued_by_id, created_at, to_name)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?, '')",
        letters,
    )
    # a letter's sending organization is the member's: set it from the register
    con.execute(
        "UPDATE members_transfer SET from_organization_id = (SELECT organization_id FROM members_member m"
        " WHERE m.id = members_transfer.member_id)"
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    planted["written_s"] = round(time.perf_counter() - started, 1)
    return planted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    if not (SOURCE / "luoshi.sqlite3").exists():
        sys.exit(
            f"build the province demo first: LUOSHI_VAR_DIR={SOURCE} luoshi demo --size province --seed-only"
        )
    if VAR.exists():
        shutil.rmtree(VAR)
    VAR.mkdir(parents=True)
    src = sqlite3.connect(SOURCE / "luoshi.sqlite3")
    dst = sqlite3.connect(VAR / "luoshi.sqlite3")
    src.backup(dst)
    src.close()
    dst.close()
    os.environ["LUOSHI_VAR_DIR"] = str(VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the province demo may predate the register's tables
    from django.utils import timezone

    from luoshi.analytics import sweep as job
    from luoshi.members.sweeps import rules
    from luoshi.orgs.models import Organization

    today = timezone.localdate()
    from django.db import connections

    connections.close_all()  # the writer below has the database to itself
    log(f"writing {args.members:,} members …")
    planted = populate(VAR / "luoshi.sqlite3", args.members, today)
    log(f"  written in {planted['written_s']} s")
    root = Organization.objects.get(parent=None)
    started = time.perf_counter()
    tables = job.extract(root.path, today)
    extracted = time.perf_counter() - started
    result = job.run(tables, rules(), today)
    total = time.perf_counter() - started
    found = {code: c["found"] for code, c in result.counts.items()}
    out = {
        "members": result.members,
        "extract_s": round(extracted, 2),
        "load_s": result.seconds["load"],
        "rules_s": result.seconds["rules"],
        "total_s": round(total, 2),
        "found": found,
        "planted": planted,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "goal_s": GOAL_S,
        "goal_met": total < GOAL_S,
    }
    log(
        f"sweep of {result.members:,} members: extract {out['extract_s']} s, DuckDB load {out['load_s']} s, rules "
        f"{out['rules_s']} s — total {out['total_s']} s (goal < {GOAL_S:.0f} s: {'met' if out['goal_met'] else 'MISSED'});"
        f" peak memory {out['max_rss_mb']} MB; found {found}; planted {planted}"
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
