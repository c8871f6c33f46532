"""Luoshi benchmark: page latency at district size, tree queries and the service-center ranking at province
size, and assigning one task to every branch at both sizes.

  .venv/bin/python bench/run.py                         # district pages on SQLite (make bench)
  .venv/bin/python bench/run.py --part province         # province build, queries and assignment
  .venv/bin/python bench/run.py --part all --postgres   # both, on SQLite and then on PostgreSQL

district  Builds the demo district (`luoshi demo --seed-only`) into its own database, starts `luoshi serve`
          (gunicorn, DEBUG off) on a free 127.0.0.1 port and drives six pages with N concurrent clients
          (wrk), as org_officer: the home page, the district's tree page, /api/orgs/, and two pages of the
          duty app: the cascade view (/duty/tasks/<id>/) of the work plan's first top-level task (found
          through /api/duty/tasks/), the supervision ledger (/duty/ledger/) and the district cockpit
          (/cockpit/, goal p95 under 150 ms), and this month's theme-day plan with the six-unification marks
          of every branch (/orglife/plans/<id>/, as org_officer). Right before each page the
          floor is measured the same way: GET /api/ (the API root, a small JSON of links that needs a login),
          with the page's kind of login (session for the HTML pages, token for the API).
          Goal: p95 under 100 ms and within 3x the floor's p95.
          Then, the server stopped, two pages of the inspections on a year of synthetic inspections
          (bench/inspections.py: ~3,000 visits, ~21,000 item answers, their findings and rectifications,
          over the communities and branches, in bulk) written to a copy of the database (as for assign,
          below), served by a second server and measured the same way, each beside the floor: the
          supervision statistics (/accountability/statistics/, this year to date) and the service-center
          ranking (/centers/, page 1, worst first). Measured after the five pages and on a copy, so those
          are measured on the demo as built, as before. Same goals.
province  Builds the province demo (~90,000 organizations) and times listing one street's subtree and
          counting overdue obligations per street (bench/queries.py), as built and again after ANALYZE.
ranking   Province, after the queries: on a copy of the province database, bench/inspections.py registers
          a service center for each of the ~14,000 communities and writes a year of synthetic inspections
          (~100,000 visits, four per center against the center standard, ~950,000 answers, findings and
          rectifications), then times sites.selectors.centers_ranked(org_officer) — every center, list() —
          and the /centers/ page's own work (count, first 50): first run and median of --ranking-repeat,
          as loaded and after ANALYZE. Goal: the ranking under 2 s. (--skip-inspections leaves out this
          and the two district pages.)
          Then, on the same copy, bench/assessment.py --size province: a year of duty records (≈ 750,000
          assignments, letters, escalations; bench/duty_year.py), the shipped schemes loaded on the root, and
          a full run of each timed (78,000 branches, 14,000 communities, 1,750 streets) beside the limit, a
          hand-written DuckDB roll-up over the same extract. Goal: a run under 10 s, the roll-up within 2x
          the limit.
assign    At the end of both parts (--skip-assign to leave it out): as org_officer, a work plan and a task
          due in 30 days on the district root, sent with duty.services.task_assign to every active branch
          under it (300 at district size, 77,891 at province size): the wall time of that one call, end to
          end (one assignment and one obligation per branch, their history rows, inbox messages, the commit
          and its hooks), the assignments per second, and where the time goes (bench/duty.py). It runs once,
          in a child process, on a copy of the part's database (SQLite: backup API; PostgreSQL: CREATE
          DATABASE … TEMPLATE), dropped afterwards: the database of the pages and queries is never changed.
          Goal: the province-wide assignment under 30 s.

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
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

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
GOAL_ASSIGN_S = 30.0  # one task to every branch of a province
GOAL_RANKING_S = 2.0  # the service-center ranking of a province
GOAL_RUN_S = 10.0  # an assessment run of a province
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
        task = first_top_level_task(port, token)
        result["cascade_task"] = task
        # this month's theme-day plan: its page is the six marks of all 316 branches and their roll-up
        plan = get_json(port, "/api/orglife/plans/?limit=1", token)["results"][0]
        result["orglife_plan"] = {"id": plan["id"], "month": plan["month"]}
        pages = [
            ("home", "/", session, "floor (session)"),
            ("tree (district)", f"/orgs/{districts[0]['id']}/", session, "floor (session)"),
            ("api orgs", "/api/orgs/", token, "floor (token)"),
            (f"cascade (task {task['number']})", f"/duty/tasks/{task['id']}/", session, "floor (session)"),
            ("ledger", "/duty/ledger/", session, "floor (session)"),
            ("cockpit", "/cockpit/", session, "floor (session)"),
            ("orglife compliance", f"/orglife/plans/{plan['id']}/", session, "floor (session)"),
        ]
        floors = {"floor (session)": session, "floor (token)": token}
        sizes = {path: check_ok(port, path, headers) for _name, path, headers, _floor in pages}
        sizes["/api/"] = max(check_ok(port, "/api/", headers) for headers in floors.values())
        log(
            f"  server pid {server.proc.pid} on 127.0.0.1:{port}; all pages answer 200; measuring "
            f"{args.clients} clients × {args.seconds:g} s each (after {args.warmup:g} s warm-up)"
        )
        rows = measure_pages(server, pages, floors, sizes, args)
    result["pages"] = rows
    # After the pages, with the server stopped: these write, each on its own copy.
    if not args.skip_inspections:
        result["inspections"] = inspection_pages(backend, env, args)
    if not args.skip_assign:
        result["assign"] = assign_everywhere("district", backend, env)
    return result


def measure_pages(server, pages, floors: dict, sizes: dict, args) -> list[dict]:
    """Each page right after its floor (GET /api/ with the page's kind of login), against the goals."""
    rows = []
    for name, path, headers, floor_name in pages:
        floor = measure(server, floor_name, "/api/", floors[floor_name], args)
        page = measure(server, name, path, headers, args)
        page["floor"] = floor
        page["bytes"] = sizes[path]
        page["ratio_p95"] = page["p95_ms"] / floor["p95_ms"] if floor["p95_ms"] else None
        page["goal_p95_met"] = page["p95_ms"] < GOAL_P95_MS
        page["goal_ratio_met"] = (page["ratio_p95"] or 0) <= GOAL_RATIO
        page["goal_met"] = page["goal_p95_met"] and page["goal_ratio_met"]
        rows.append(page)
    return rows


INSPECTION_PAGES = (
    ("statistics", "/accountability/statistics/"),
    ("centers", "/centers/"),
)


def _log_tail(server, chars: int = 6000) -> str:
    try:
        return server.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def inspection_pages(backend: str, env: dict, args) -> dict:
    """The statistics page and the center ranking, measured like the other pages (each beside the floor),
    on a copy of the district database to which bench/inspections.py first adds a year of synthetic
    inspections: the database of the other pages stays as built. A failure (a page answering 500, with
    the server's log, where the traceback is) is recorded, not raised: the part's other figures stand."""
    log("  a year of synthetic inspections (bench/inspections.py, on a copy of the database) …")
    result = {}
    try:
        started = time.monotonic()
        copy_env, remove = database_copy("district", backend, env, "inspections")
        result["copy_s"] = round(time.monotonic() - started, 1)
        try:
            data = child(
                "inspections.py", copy_env, "--size", "district", "--repeat", str(args.ranking_repeat)
            )
            result["data"] = data
            totals = data["load"]["totals"]
            log(
                f"  written in {data['load']['s']:.1f} s: {totals['visits']:,} visits, {totals['answers']:,}"
                f" answers, {totals['findings']:,} findings, {totals['centers']} centers; measuring the pages"
            )
            with Server(copy_env, args.workers, args.threads) as server:
                session = session_login(server.port, USER, PASSWORD)
                pages = [(name, path, session, "floor (session)") for name, path in INSPECTION_PAGES]
                floors = {"floor (session)": session}
                try:
                    sizes = {path: check_ok(server.port, path, session) for _n, path, _h, _f in pages}
                    sizes["/api/"] = check_ok(server.port, "/api/", session)
                except BenchError as exc:
                    result["server_log"] = _log_tail(server)
                    raise BenchError(f"{exc}\n--- server log (tail) ---\n{result['server_log']}") from None
                result["pages"] = measure_pages(server, pages, floors, sizes, args)
        finally:
            remove()
    except (BenchError, subprocess.SubprocessError, OSError, sqlite3.Error) as exc:
        log(f"  inspection pages FAILED: {exc}")
        result["error"] = str(exc)
    except Exception as exc:  # psycopg's errors (psycopg is only imported with --postgres)
        log(f"  inspection pages FAILED: {type(exc).__name__}: {exc}")
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


def inspection_ranking(backend: str, env: dict, args) -> dict:
    """The service-center ranking at province size: bench/inspections.py adds centers and a year of
    synthetic inspections (~100,000 visits) to a copy of the province database and times
    sites.selectors.centers_ranked there; the copy is dropped afterwards. A failure is recorded."""
    log("  a year of synthetic inspections and the center ranking (bench/inspections.py, on a copy) …")
    try:
        started = time.monotonic()
        copy_env, remove = database_copy("province", backend, env, "inspections")
        copy_s = time.monotonic() - started
        try:
            result = child(
                "inspections.py", copy_env, "--size", "province", "--repeat", str(args.ranking_repeat)
            )
            log("  assessment runs on the same copy, a year of duty records added (bench/assessment.py) …")
            try:
                result["assessment"] = child("assessment.py", copy_env, "--size", "province", "--repeat", "3")
            except (BenchError, subprocess.SubprocessError) as exc:
                log(f"  assessment FAILED: {exc}")
                result["assessment"] = {"error": str(exc)}
        finally:
            remove()
    except (BenchError, subprocess.SubprocessError, OSError, sqlite3.Error) as exc:
        log(f"  ranking FAILED: {exc}")
        return {"error": str(exc)}
    except Exception as exc:  # psycopg's errors
        log(f"  ranking FAILED: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"}
    result["copy_s"] = round(copy_s, 1)
    runs = [result["ranking"]["list"]] + (
        [result["ranking_analyzed"]["list"]] if "ranking_analyzed" in result else []
    )
    result["goal_s"] = GOAL_RANKING_S
    result["goal_met"] = all(max(t["first_ms"], t["median_ms"]) < GOAL_RANKING_S * 1000 for t in runs)
    log(
        f"  ranking of {result['ranking']['centers']:,} centers: first {runs[0]['first_ms']:.0f} ms, "
        f"median {runs[0]['median_ms']:.0f} ms (data written in {result['load']['s']:.0f} s)"
    )
    return result


def first_top_level_task(port: int, token: dict) -> dict:
    """The work plan's first top-level task (no root: issued, not passed down) visible to USER, through
    the API: its cascade is the one the district officer opens."""
    tasks, path = [], "/api/duty/tasks/?limit=200"
    while path:
        page = get_json(port, path, token)
        tasks += page["results"]
        path = None
        if page.get("next"):
            parts = urlsplit(page["next"])
            path = f"{parts.path}?{parts.query}"
    top = [t for t in tasks if t["root"] is None]
    if not top:
        raise BenchError(f"no top-level duty task visible to {USER} in /api/duty/tasks/ ({len(tasks)} tasks)")
    first = min(top, key=lambda t: (t["plan"], t["number"], t["id"]))
    return {"id": first["id"], "number": first["number"], "title": first["title"], "top_level": len(top)}


def child(script: str, env: dict, *flags: str) -> dict:
    """bench/<script> in a child process with the part's environment; its last line is the JSON."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *flags],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"bench/{script} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def queries(env: dict, *flags: str) -> dict:
    return child("queries.py", env, *flags)


def _create_from_template(name: str, template: str) -> None:
    """CREATE DATABASE … TEMPLATE, which needs the template to have no other session: the server and the
    children have exited by now, but an autovacuum worker may still be on it for a moment."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for attempt in range(30):
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 29:
                    raise
                time.sleep(1)


def database_copy(size: str, backend: str, env: dict, purpose: str) -> tuple[dict, Callable[[], None]]:
    """A copy of the part's database (SQLite: the backup API into its own var dir; PostgreSQL: CREATE
    DATABASE … TEMPLATE) and the environment that names it; returns (environment, remove the copy)."""
    var = RESULTS / f"var-{size}-{backend}-{purpose}"
    if var.exists():
        shutil.rmtree(var)  # only ever bench/results/var-*
    var.mkdir(parents=True)
    copy_env = {**env, "LUOSHI_VAR_DIR": str(var)}
    if backend == "sqlite":
        source = sqlite3.connect(Path(env["LUOSHI_VAR_DIR"]) / "luoshi.sqlite3")
        target = sqlite3.connect(var / "luoshi.sqlite3")
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()

        def remove():
            shutil.rmtree(var, ignore_errors=True)

        return copy_env, remove
    name = f"luoshi_bench_{size}_{purpose}"
    _create_from_template(name, f"luoshi_bench_{size}")
    copy_env["DATABASE_URL"] = PG_URL.format(size=f"{size}_{purpose}")

    def remove_database():
        import psycopg

        shutil.rmtree(var, ignore_errors=True)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return copy_env, remove_database


def assign_everywhere(size: str, backend: str, env: dict) -> dict:
    """One task to every branch (bench/duty.py), committed on a copy of the part's database, so that the
    database the pages and queries were measured on stays as built. A failure is recorded, not raised: the
    part's other figures stand."""
    log("  assigning one task to every branch (bench/duty.py, on a copy of the database) …")
    try:
        started = time.monotonic()
        copy_env, remove = database_copy(size, backend, env, "assign")
        copy_s = time.monotonic() - started
        try:
            result = child("duty.py", copy_env)
        finally:
            remove()
    except (BenchError, subprocess.SubprocessError, OSError, sqlite3.Error) as exc:
        log(f"  assignment FAILED: {exc}")
        return {"error": str(exc)}
    except Exception as exc:  # psycopg's errors (psycopg is only imported with --postgres)
        log(f"  assignment FAILED: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"}
    result["copy_s"] = round(copy_s, 1)
    result["goal_s"] = GOAL_ASSIGN_S if size == "province" else None
    result["goal_met"] = result["assign_s"] < GOAL_ASSIGN_S if size == "province" else None
    log(
        f"  task_assign to {result['assignments']:,} branches: {result['assign_s']:.2f} s "
        f"({result['per_s']:,.0f} assignments/s, {result['queries']:,} queries)"
    )
    return result


def run_province(backend: str, args) -> dict:
    env = environment("province", backend)
    result = {"part": "province", "backend": backend, "build": build("province", backend, env, args.reuse)}
    # Twice: as `luoshi demo` leaves the database (no planner statistics), then after ANALYZE.
    log("  timing the province queries …")
    result["queries"] = queries(env, "--repeat", str(args.repeat))
    log("  … and again after ANALYZE")
    result["queries_analyzed"] = queries(env, "--repeat", str(args.repeat), "--analyze")
    if not args.skip_inspections:
        result["ranking"] = inspection_ranking(backend, env, args)
    if not args.skip_assign:
        result["assign"] = assign_everywhere("province", backend, env)
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
        _page_row(row)
    inspections = result.get("inspections")
    if inspections and inspections.get("pages"):
        log("─" * len(header))
        for row in inspections["pages"]:
            _page_row(row)
    log(
        f"Goal: p95 < {GOAL_P95_MS:.0f} ms and p95 ≤ {GOAL_RATIO:g}x the floor. Floor = GET /api/"
        " (the API root, a few links, login required) with the page's kind of login: session for home, tree,"
        " cascade, ledger, statistics and centers, token for the API. 'alone p50' = one client, no queueing."
        " 'others' = share of the machine's CPU used by processes other than the server, wrk and PostgreSQL"
        " during the measurement (above ~10%, the numbers are disturbed)."
    )
    task = result.get("cascade_task")
    if task:
        log(
            f"Cascade = /duty/tasks/<id>/ of the plan's first top-level task (id {task['id']}, no. "
            f"{task['number']}, {task['title']}); ledger = /duty/ledger/ (supervision ledger, first page)."
        )
    if inspections:
        print_inspection_pages(inspections)
    if "assign" in result:
        print_assign(result["assign"], "district", result["backend"])


def _page_row(row: dict) -> None:
    floor = row["floor"]
    ratio = f"{row['ratio_p95']:.2f}x" if row["ratio_p95"] is not None else "—"
    alone = f"{row['alone_p50_ms']:.1f}" if row["alone_p50_ms"] is not None else "—"
    log(
        f"{row['page']:<16} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} {row['p99_ms']:7.1f} {row['rps']:7.1f}"
        f" {alone:>9} {_others(row):>6} │ {floor['p50_ms']:9.1f} {floor['p95_ms']:9.1f} {floor['rps']:7.1f}"
        f" {_others(floor):>6} │ {ratio:>9}  {_goal(row)}"
    )


def _written(data: dict) -> str:
    load, totals = data["load"], data["load"]["totals"]
    per = data["load"]["center_visits_per_center"]
    return (
        f"{totals['visits']:,} visits ({totals['visits_center_standard']:,} against the center standard, "
        f"{per['mean']:g} per center on average), {totals['answers']:,} answers, {totals['findings']:,} "
        f"findings with their rectifications, {totals['centers']:,} centers "
        f"({load['written']['centers_added']:,} added); written in {load['s']:.1f} s"
    )


def _ranking_line(label: str, r: dict) -> str:
    return (
        f"  {label:<26} every center (list): first {r['list']['first_ms']:8.1f} ms, median "
        f"{r['list']['median_ms']:8.1f} ms │ the page (count + first 50): first {r['page']['first_ms']:7.1f} ms,"
        f" median {r['page']['median_ms']:7.1f} ms"
    )


def print_inspection_pages(insp: dict) -> None:
    log("\nStatistics and centers pages (the last two rows above) — on a copy of the district database with")
    if "data" not in insp:
        log(f"  a year of synthetic inspections: FAILED: {insp.get('error')}")
        return
    data = insp["data"]
    log(f"  a year of synthetic inspections (bench/inspections.py): {_written(data)}.")
    if "error" in insp:
        log(f"  FAILED: {insp['error']}")
    r = data["ranking"]
    log(
        f"  The ranking itself, as org_officer, {r['centers']} centers ({r['centers_scored']} scored, "
        f"{r['below_pass']} below 80):"
    )
    log(_ranking_line("as loaded:", r))
    if "ranking_analyzed" in data:
        log(_ranking_line("after ANALYZE:", data["ranking_analyzed"]))
    log(
        "  Statistics = /accountability/statistics/ (this year to date); centers = /centers/ (worst first, page 1)."
    )


def print_ranking(r: dict, backend: str) -> None:
    log(f"\nService-center ranking — province, {backend}, as org_officer (sites.selectors.centers_ranked):")
    if "error" in r:
        log(f"  FAILED: {r['error']}")
        return
    ranking = r["ranking"]
    log(f"  on a copy with a year of synthetic inspections: {_written(r)}.")
    log(
        f"  {ranking['centers']:,} centers ranked, {ranking['centers_scored']:,} with a score (worst "
        f"{ranking['worst']}, mean {ranking['mean']}, best {ranking['best']}; {ranking['below_pass']:,} below 80)"
    )
    log(_ranking_line("as loaded:", ranking))
    if "ranking_analyzed" in r:
        log(_ranking_line(f"after ANALYZE ({r['analyze_s']:.1f} s):", r["ranking_analyzed"]))
    runs = ranking["list"]["runs"]
    log(
        f"  goal < {r['goal_s']:g} s for every center: {'met' if r['goal_met'] else 'MISSED'}"
        f" ({runs} runs each; 'first' is the cold run, the median is over the others)"
    )
    if not r["goal_met"]:
        log("  query plan (after ANALYZE when run):")
        for line in r.get("ranking_analyzed", ranking)["plan"]:
            log(f"    {line}")
    if "assessment" in r:
        print_assessment(r["assessment"], backend)


def print_assessment(a: dict, backend: str) -> None:
    log(f"\nAssessment runs — province, {backend}, the shipped schemes (bench/assessment.py, same copy):")
    if "error" in a:
        log(f"  FAILED: {a['error']}")
        return
    records = {k: v for k, v in a["records"].items() if k != "written_s"}
    log(f"  a year of duty records added in {a['records']['written_s']:.0f} s: {records}")
    for code, row in a["schemes"].items():
        log(
            f"  {code:17} {row['units']:>6,} units × {row['indicators']} indicators: run {row['run_s']:.2f} s "
            f"(goal < {GOAL_RUN_S:g} s: {'met' if row['run_s'] < GOAL_RUN_S else 'MISSED'}); roll-up "
            f"statements {row['rollup_statements_s'] * 1000:.0f} ms vs the limit's {row['limit_s'] * 1000:.0f} ms "
            f"(×{row['ratio_statements_to_limit']}), same results: {row['same_results']}"
        )


def _goal(row: dict) -> str:
    if row["goal_met"]:
        return "met"
    # JSON from before the two goals were recorded apart has only goal_met.
    missed = [
        name for name, key in (("p95", "goal_p95_met"), ("ratio", "goal_ratio_met")) if not row.get(key)
    ]
    return f"MISSED ({', '.join(missed)})" if len(missed) < 2 else "MISSED"


def print_assign(a: dict, size: str, backend: str) -> None:
    log(f"\nAssigning one task to every branch — {size}, {backend}:")
    if "error" in a:
        log(f"  FAILED: {a['error']}")
        return
    written = a["written"]
    if a["goal_met"] is None:
        goal = f"(the goal, < {GOAL_ASSIGN_S:.0f} s, is for the province)"
    else:
        goal = f"goal < {GOAL_ASSIGN_S:.0f} s: {'met' if a['goal_met'] else 'MISSED'}"
    log(
        f"  task_assign, {a['assignments']:,} branches of {a['organizations']:,} organizations: "
        f"{a['assign_s']:.2f} s wall, {a['per_s']:,.0f} assignments/s   {goal}"
    )
    log(
        f"  wrote {written['assignments']:,} assignments, {written['obligations']:,} obligations, "
        f"{written['obligation_history'] + written['assignment_history']:,} history rows, "
        f"{written['notifications']:,} inbox messages; {a['queries']:,} queries; this process's CPU "
        f"{a['cpu_s']:.2f} s, peak memory {a['max_rss_mb']:.0f} MB ({a['mode']})"
    )
    if a.get("mismatch"):
        log(f"  MISMATCH: {a['mismatch']}")
    log(
        f"  before it: plan and task {a['plan_and_task_s']:.3f} s, collecting the branches"
        f" {a['collect_s']:.3f} s (not in the time above); copying the database {a['copy_s']:.1f} s"
    )
    log("  where the time goes (inclusive):")
    for label, phase in a["phases"].items():
        calls = f" ({phase['calls']:,} calls)" if phase["calls"] and phase["calls"] > 1 else ""
        log(f"    {label:<58} {phase['s']:8.3f} s{calls}")


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
    if "ranking" in result:
        print_ranking(result["ranking"], result["backend"])
    if "assign" in result:
        print_assign(result["assign"], "province", result["backend"])


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
        "--skip-assign", action="store_true", help="skip assigning a task to every branch (bench/duty.py)"
    )
    parser.add_argument(
        "--skip-inspections",
        action="store_true",
        help="skip the synthetic inspections: statistics and centers pages, province ranking (bench/inspections.py)",
    )
    parser.add_argument(
        "--ranking-repeat", type=int, default=5, help="runs of each ranking timing (default 5)"
    )
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
                for key in ("assign", "inspections", "ranking"):
                    failed = report["runs"][-1].get(key, {}).get("error")
                    if failed:  # recorded beside the part's other figures; still a failed run
                        report["errors"].append(
                            {"part": f"{part} {key}", "backend": backend, "error": failed}
                        )
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
