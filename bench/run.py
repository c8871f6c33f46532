"""Luoshi benchmark: page latency at district size, tree queries at province size.

  .venv/bin/python bench/run.py                         # district pages on SQLite (make bench)
  .venv/bin/python bench/run.py --part province         # province build and queries
  .venv/bin/python bench/run.py --part all --postgres   # both, on SQLite and then on PostgreSQL

district  Builds the demo district (`luoshi demo --seed-only`) into its own database, starts `luoshi serve`
          (gunicorn, DEBUG off) on a free 127.0.0.1 port and drives three pages with N concurrent clients
          (wrk): the home page, the district's tree page and /api/orgs/, as org_officer. Right before each
          page the floor is measured the same way: GET /api/ (the API root, a small JSON of links that needs
          a login), with the page's kind of login (session for the HTML pages, token for the API).
          Goal: p95 under 100 ms and within 3x the floor's p95.
province  Builds the province demo (~90,000 organizations) and times listing one street's subtree and
          counting overdue obligations per street (bench/queries.py), as built and again after ANALYZE.

Each size and database gets its own LUOSHI_VAR_DIR under bench/results/ (never the developer's var/), and
is built afresh unless --reuse. PostgreSQL: postgres@127.0.0.1:5432, one database per size
(luoshi_bench_<size>), dropped and created by this script. Every load measurement also records how much of
the machine's CPU other processes took meanwhile ("others"): on a shared machine that is the noise.

Each request opens a new connection, as nginx does towards the app by default (docs/operator.md). With
--keep-alive each client keeps its connection, and a gunicorn worker keeps the connections it accepted:
often one worker gets all 20 and the other idles, halving throughput at random from one run to the next
(the per-worker CPU printed with each measurement shows it).
Results: tables here, JSON in bench/results/<timestamp>.json.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from load import (
    WRK,
    BenchError,
    CpuShare,
    check_ok,
    get_json,
    run_load,
    session_login,
    token_login,
    wait_until_up,
    wrk_version,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent  # the virtualenv's bin/ when run as .venv/bin/python
LUOSHI = str(BIN / "luoshi")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgres://postgres@127.0.0.1:5432/luoshi_bench_{size}"
USER, PASSWORD = "org_officer", "luoshi-demo"  # a district role without two-factor
GOAL_P95_MS, GOAL_RATIO = 100.0, 3.0
# Settings from the developer's shell that would change what is measured or where it is written.
CLEARED = (
    "DEBUG",
    "LUOSHI_DEMO",
    "DATABASE_URL",
    "REDIS_URL",
    "LUOSHI_VAR_DIR",
    "LUOSHI_WEBHOOK_URL",
    "EMAIL_HOST",
    "WEB_CONCURRENCY",
    "DJANGO_SETTINGS_MODULE",
    "LOG_LEVEL",
)


def log(message: str = "") -> None:
    print(message, flush=True)


# --- databases ------------------------------------------------------------------------------------------


def postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:  # psycopg missing or no server: either way, no PostgreSQL run
        return False


def environment(size: str, backend: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["LUOSHI_VAR_DIR"] = str(RESULTS / f"var-{size}-{backend}")
    if backend == "postgres":
        env["DATABASE_URL"] = PG_URL.format(size=size)
    return env


def reset_database(size: str, backend: str, env: dict) -> None:
    var = Path(env["LUOSHI_VAR_DIR"])
    if var.exists():
        shutil.rmtree(var)  # only ever bench/results/var-*
    if backend == "postgres":
        import psycopg

        name = f"luoshi_bench_{size}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def build(size: str, backend: str, env: dict, reuse: bool) -> dict:
    """`luoshi demo --seed-only --size SIZE`; returns its wall time and the time the CLI reports for the
    build itself (without migrations). None when an existing demo was reused."""
    if not reuse:
        reset_database(size, backend, env)
    log(f"Building the {size} demo on {backend} …")
    started = time.monotonic()
    proc = subprocess.Popen(
        [LUOSHI, "demo", "--seed-only", "--size", size],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    for line in proc.stdout:  # ends when the process closes its output
        output.append(line)
        log(f"  | {line.rstrip()}")
    if proc.wait() != 0:
        raise BenchError(f"luoshi demo --size {size} failed with exit code {proc.returncode}")
    wall = time.monotonic() - started
    built = re.search(r"Built in ([\d.]+) s", "".join(output))
    return {
        "reused": built is None,
        "wall_s": round(wall, 1),  # migrations + build
        "build_s": float(built.group(1)) if built else None,
    }


# --- the server -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`luoshi serve` in its own process group, stopped (the whole group) on exit, errors included."""

    def __init__(self, env: dict, workers: int, threads: int):
        self.port = free_port()
        self.log_path = Path(env["LUOSHI_VAR_DIR"]) / "serve.log"
        self.command = [
            LUOSHI,
            "serve",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ]
        self.env = env
        self.proc = None

    def __enter__(self):
        self.log_file = open(self.log_path, "w")  # closed in __exit__
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(self.port, 60, lambda: self.proc.poll() is None)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log_file.close()
        return False


# --- the parts --------------------------------------------------------------------------------------------


def measure(server, name, path, headers, args) -> dict:
    """Warm up, then N clients for --seconds; and one client alone (the latency without queueing)."""
    port = server.port
    if not args.keep_alive:
        headers = {**headers, "Connection": "close"}
    run_load(port, path, headers, args.clients, args.warmup)
    with CpuShare(server.proc.pid) as cpu:
        loaded = run_load(port, path, headers, args.clients, args.seconds)
    alone = run_load(port, path, headers, 1, args.alone_seconds) if args.alone_seconds else None
    for load in (loaded, alone):
        if load and (load.non_200 or load.socket_errors):
            raise BenchError(
                f"{name} {path}: {load.non_200} answers other than 200 and "
                f"{load.socket_errors} socket errors under load ({load.clients} clients)"
            )
    row = {"page": name, "path": path, **loaded.as_dict()}
    row["alone_p50_ms"] = alone.p50_ms if alone else None
    row["cpu"] = cpu.result
    busy = ""
    if cpu.result:
        busy = f"  CPU: server {cpu.result['server_pct']:.0f}%, postgres {cpu.result['postgres_pct']:.0f}%"
        busy += f", others {cpu.result['others_pct']:.0f}%; workers (% of a core) "
        busy += "/".join(str(pct) for pct in cpu.result["workers_pct_of_core"])
    log(
        f"  {name:<16} {path:<22} p50 {loaded.p50_ms:7.1f} ms  p95 {loaded.p95_ms:7.1f} ms  "
        f"{loaded.rps:7.1f} req/s{busy}"
    )
    return row


def run_district(backend: str, args) -> dict:
    env = environment("district", backend)
    result = {"part": "district", "backend": backend, "build": build("district", backend, env, args.reuse)}
    result["connections"] = "keep-alive" if args.keep_alive else "a new connection per request"
    if args.analyze:
        result["analyze"] = queries(env, "--analyze-only")
    with Server(env, args.workers, args.threads) as server:
        port = server.port
        session = session_login(port, USER, PASSWORD)
        token = token_login(port, USER, PASSWORD)
        districts = get_json(port, "/api/orgs/?kind=district&limit=2", token)["results"]
        if len(districts) != 1:
            raise BenchError(f"expected one district root visible to {USER}, found {len(districts)}")
        pages = [
            ("home", "/", session, "floor (session)"),
            ("tree (district)", f"/orgs/{districts[0]['id']}/", session, "floor (session)"),
            ("api orgs", "/api/orgs/", token, "floor (token)"),
        ]
        floors = {"floor (session)": session, "floor (token)": token}
        sizes = {path: check_ok(port, path, headers) for _name, path, headers, _floor in pages}
        sizes["/api/"] = max(check_ok(port, "/api/", headers) for headers in floors.values())
        log(
            f"  server pid {server.proc.pid} on 127.0.0.1:{port}; all pages answer 200; measuring "
            f"{args.clients} clients × {args.seconds:g} s each (after {args.warmup:g} s warm-up)"
        )
        rows = []
        for name, path, headers, floor_name in pages:
            floor = measure(server, floor_name, "/api/", floors[floor_name], args)
            page = measure(server, name, path, headers, args)
            page["floor"] = floor
            page["bytes"] = sizes[path]
            page["ratio_p95"] = page["p95_ms"] / floor["p95_ms"] if floor["p95_ms"] else None
            page["goal_met"] = page["p95_ms"] < GOAL_P95_MS and (page["ratio_p95"] or 0) <= GOAL_RATIO
            rows.append(page)
    result["pages"] = rows
    return result


def queries(env: dict, *flags: str) -> dict:
    """bench/queries.py in a child process with the part's environment; its last line is the JSON."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "queries.py"), *flags],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"bench/queries.py failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_province(backend: str, args) -> dict:
    env = environment("province", backend)
    result = {"part": "province", "backend": backend, "build": build("province", backend, env, args.reuse)}
    # Twice: as `luoshi demo` leaves the database (no planner statistics), then after ANALYZE.
    log("  timing the province queries …")
    result["queries"] = queries(env, "--repeat", str(args.repeat))
    log("  … and again after ANALYZE")
    result["queries_analyzed"] = queries(env, "--repeat", str(args.repeat), "--analyze")
    return result


# --- output -----------------------------------------------------------------------------------------------


def _others(row: dict) -> str:
    cpu = row.get("cpu")
    return f"{cpu['others_pct']:.0f}%" if cpu else "—"


def print_district(result: dict) -> None:
    build_info = result["build"]
    built = (
        "reused"
        if build_info["reused"]
        else f"{build_info['build_s']:.1f} s ({build_info['wall_s']:.1f} s with migrations)"
    )
    analyzed = ", then ANALYZE" if "analyze" in result else ", no ANALYZE"
    log(f"\nDistrict pages — {result['backend']}, demo build {built}{analyzed}; {result['connections']}")
    header = (
        f"{'page':<16} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7} {'alone p50':>9} {'others':>6}"
        f" │ {'floor p50':>9} {'floor p95':>9} {'req/s':>7} {'others':>6} │ {'p95/floor':>9}  goal"
    )
    log(header)
    log("─" * len(header))
    for row in result["pages"]:
        floor = row["floor"]
        ratio = f"{row['ratio_p95']:.2f}x" if row["ratio_p95"] is not None else "—"
        alone = f"{row['alone_p50_ms']:.1f}" if row["alone_p50_ms"] is not None else "—"
        log(
            f"{row['page']:<16} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} {row['p99_ms']:7.1f} {row['rps']:7.1f}"
            f" {alone:>9} {_others(row):>6} │ {floor['p50_ms']:9.1f} {floor['p95_ms']:9.1f} {floor['rps']:7.1f}"
            f" {_others(floor):>6} │ {ratio:>9}  {'met' if row['goal_met'] else 'MISSED'}"
        )
    log(
        f"Goal: p95 < {GOAL_P95_MS:.0f} ms and p95 ≤ {GOAL_RATIO:g}x the floor. Floor = GET /api/"
        " (the API root, a few links, login required) with the page's kind of login: session for home and"
        " tree, token for the API. 'alone p50' = one client, no queueing. 'others' = share of the machine's"
        " CPU used by processes other than the server, wrk and PostgreSQL during the measurement (above ~10%,"
        " the numbers are disturbed)."
    )


def _timing(t: dict) -> str:
    if "error" in t:
        return f"FAILED: {t['error']}"
    return f"{t['first_ms']:9.1f} {t['median_ms']:9.1f} {t['p95_ms']:9.1f}"


def print_province(result: dict) -> None:
    build_info, q, qa = result["build"], result["queries"], result["queries_analyzed"]
    built = (
        "reused"
        if build_info["reused"]
        else f"{build_info['build_s']:.1f} s ({build_info['wall_s']:.1f} s with migrations)"
    )
    log(
        f"\nProvince — {result['backend']}: {q['organizations']:,} organizations, {q['streets']:,} streets, "
        f"{q['obligations']:,} obligations ({q['obligations_overdue']:,} overdue); build {built}"
    )
    stats = q["statistics"]
    log(
        f"As built: planner statistics {'present' if stats['analyzed'] else 'absent'}"
        + (f", autovacuum {stats['autovacuum']}" if stats["autovacuum"] else "")
        + f". ANALYZE took {qa['analyze_s']:.1f} s."
    )
    header = (
        f"{'measurement (ms)':<58} {'first':>9} {'median':>9} {'p95':>9} │ after ANALYZE: first/median/p95"
    )
    log(header)
    log("─" * len(header))
    for key, label in (
        ("street_subtree", f"one street's subtree, {q['street']['subtree_rows']} rows fetched"),
        ("counts_by_selector", f"per street: obligation_counts_by_subtree({q['streets']} streets)"),
        ("counts_direct", "overdue per street: one direct grouped query"),
        (
            "counts_one_street",
            f"one street: obligation_counts_by_subtree({q['counts_one_street']['children']} children)",
        ),
    ):
        log(f"{label:<58} {_timing(q[key])} │ {_timing(qa[key])}")
    for name, run in (("as built", q), ("after ANALYZE", qa)):
        if run["streets_disagreeing"] is None:
            agree = "not compared, one of the two failed"
        elif run["streets_disagreeing"]:
            agree = f"DISAGREE on {len(run['streets_disagreeing'])}+ streets"
        else:
            agree = "agree on every street"
        total = run["overdue_total_selector"]
        log(
            f"Overdue per street {name}: selector total {'—' if total is None else f'{total:,}'}, "
            f"direct total {run['overdue_total_direct'] or 0:,} ({agree})."
        )
    log(f"{q['repeat']} runs each; 'first' is the cold run, median and p95 are over the others.")


def git_state() -> dict:
    def git(*argv):
        done = subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain", "src"))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["district", "province", "all"], default="district")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per page (default 10)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per page (default 2)")
    parser.add_argument(
        "--alone-seconds",
        type=float,
        default=3,
        help="seconds of one client alone per page, 0 to skip (default 3)",
    )
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="keep each client's connection open (default: a new connection per request, see above)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each province query (default 20)")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--postgres-only", action="store_true", help="run on PostgreSQL only")
    parser.add_argument("--reuse", action="store_true", help="keep an existing benchmark database")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE on the district database before the pages (the province part always does both)",
    )
    args = parser.parse_args(argv)

    parts = ["district", "province"] if args.part == "all" else [args.part]
    backends = [] if args.postgres_only else ["sqlite"]
    if args.postgres or args.postgres_only:
        if postgres_answers():
            backends.append("postgres")
        else:
            log("PostgreSQL does not answer at 127.0.0.1:5432 (user postgres): skipping the PostgreSQL run.")
    if not backends:
        return 2
    if not WRK:
        log(
            "wrk is not installed (apt-get install wrk): falling back to a Python client, whose numbers are"
            " only indicative — it competes with the server for the CPU."
        )
    cores = os.cpu_count()
    log(
        f"Note: this machine has {cores} CPU cores; the load generator and the server "
        f"({args.workers} gunicorn workers × {args.threads} threads) share them, so the numbers are a"
        " floor on what dedicated hardware would do."
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {
        "started": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpu_count": cores, "platform": platform.platform(), "python": platform.python_version()},
        "load_tool": wrk_version() or "python thread pool",
        "git": git_state(),
        "args": vars(args),
        "runs": [],
        "errors": [],
    }
    runners = {"district": (run_district, print_district), "province": (run_province, print_province)}
    for backend in backends:
        for part in parts:
            run, _show = runners[part]
            log(f"\n== {part} on {backend} ==")
            try:
                report["runs"].append(run(backend, args))
            except (BenchError, subprocess.SubprocessError, OSError) as exc:
                log(f"FAILED: {exc}")
                report["errors"].append({"part": part, "backend": backend, "error": str(exc)})

    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    for result in report["runs"]:
        runners[result["part"]][1](result)
    log(f"\nNote: {cores} CPU cores shared by the load generator and the server.")
    log(f"Results written to {out.relative_to(ROOT)}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
