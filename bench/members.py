"""Member import benchmark: a sheet of 100,000 new members (the issue's size) checked and committed through the
app's own import (luoshi.members.services: import_check, then import_apply — what the worker runs), on a copy of
the demo district (bench/results/members/). Reported: the time of each phase, rows per second, and the
process's peak memory; the goal is the whole import under 60 s.

  .venv/bin/python bench/members.py                 # 100,000 rows, .xlsx
  .venv/bin/python bench/members.py --rows 20000 --format csv
"""

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "results" / "members"
GOAL_S = 60.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    for name in ("luoshi.sqlite3", "luoshi.sqlite3-wal", "luoshi.sqlite3-shm"):
        (VAR / name).unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "luoshi.cli", "demo", "--seed-only"],
        env={**os.environ, "LUOSHI_VAR_DIR": str(VAR)},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def rows(n: int, codes: list[str], taken: set[str], today: date) -> list[list]:
    from luoshi.orgs.idcard import check_digit

    rng = random.Random(20261125)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂",
    )
    out = []
    while len(out) < n:
        male = rng.random() < 0.58
        birth = date(1945, 1, 1) + timedelta(days=rng.randrange(0, 365 * 58))
        first17 = f"330106{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + (1 if male else 0):03d}"
        national_id = first17 + check_digit(first17)
        if national_id in taken:
            continue
        taken.add(national_id)
        joined = birth + timedelta(days=365 * rng.randint(19, 40) + rng.randint(0, 300))
        if joined > today - timedelta(days=400):
            joined = today - timedelta(days=400 + rng.randint(0, 300))
        out.append(
            [
                rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2))),
                "男" if male else "女",
                "汉族",
                national_id,
                birth,
                rng.choice(["大学本科", "大学专科", "高中", "研究生", "中等专科"]),
                "正式党员",
                rng.choice(codes),
                joined,
                joined + timedelta(days=366 + rng.randint(0, 20)),
                rng.choice(["社区工作者", "退休", "教师", "企业职工"]),
                f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
                f"杭州市西湖区文三路{rng.randint(1, 500)}号",
                "否",
                "否",
                None,
            ]
        )
    return out


def sheet(data: list[list], fmt: str) -> bytes:
    from luoshi.members.validation import HEADERS

    if fmt == "csv":
        import csv

        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(HEADERS)
        for r in data:
            writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in r])
        return text.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("党员信息")
    ws.append(HEADERS)
    for r in data:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the demo database (members added before stay)"
    )
    args = parser.parse_args()
    if not (args.reuse and (VAR / "luoshi.sqlite3").exists()):
        log("building the demo district …")
        build()
    os.environ["LUOSHI_VAR_DIR"] = str(VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from luoshi.members import services
    from luoshi.members.models import Member, MemberImport
    from luoshi.orgs.models import Organization

    officer = get_user_model().objects.get(username="org_officer")
    root = Organization.objects.get(parent=None)
    codes = list(
        Organization.objects.filter(holds_members=True, archived_at=None).values_list("code", flat=True)
    )
    taken = set(Member.objects.values_list("national_id", flat=True))
    started = time.perf_counter()
    content = sheet(rows(args.rows, codes, taken, timezone.localdate()), args.format)
    log(
        f"{args.rows:,} rows written as .{args.format} ({len(content) / 2**20:.1f} MB) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    before = Member.objects.count()
    t0 = time.perf_counter()
    job = services.import_start(
        by=officer, organization=root, upload=ContentFile(content, name=f"bench.{args.format}"), queue=False
    )
    t1 = time.perf_counter()
    job = services.import_check(job.pk)
    t2 = time.perf_counter()
    assert job.status == "checked", job.errors
    MemberImport.objects.filter(pk=job.pk).update(status="committing", committed_by=officer)
    job = services.import_apply(job.pk)
    t3 = time.perf_counter()
    added = Member.objects.count() - before
    result = {
        "rows": args.rows,
        "format": args.format,
        "file_mb": round(len(content) / 2**20, 1),
        "upload_s": round(t1 - t0, 2),
        "check_s": round(t2 - t1, 2),
        "commit_s": round(t3 - t2, 2),
        "total_s": round(t3 - t0, 2),
        "rows_per_s": round(args.rows / (t3 - t0)),
        "members_added": added,
        "history_rows": Member.history.count(),
        "status": job.status,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "goal_s": GOAL_S,
        "goal_met": (t3 - t0) < GOAL_S and added == args.rows,
    }
    log(
        f"import of {args.rows:,} rows (.{args.format}): keep the file {result['upload_s']} s, check "
        f"{result['check_s']} s, commit {result['commit_s']} s — total {result['total_s']} s "
        f"({result['rows_per_s']:,} rows/s; goal < {GOAL_S:.0f} s: {'met' if result['goal_met'] else 'MISSED'}); "
        f"{added:,} members added; peak memory {result['max_rss_mb']} MB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
