"""HTTP helpers and the load generator for the benchmark.

Load comes from wrk (closed loop: each connection sends its next request when the previous one answered);
when wrk is not installed, from a Python thread pool with one keep-alive connection per client, which is
slower and itself competes for the CPU (the GIL), so its numbers are only indicative.
"""

import http.client
import json
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"
WRK = shutil.which("wrk")


class BenchError(Exception):
    """The benchmark cannot give a meaningful number (a page failed, the server did not start, ...)."""


# --- plain requests ---------------------------------------------------------------------------------------


def fetch(port: int, method: str, path: str, headers=None, body=None, timeout: float = 30):
    """One request on a fresh connection; no redirects followed. Returns (status, headers, body bytes)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _cookies(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def session_login(port: int, username: str, password: str) -> dict[str, str]:
    """Log in through the HTML form; returns the headers that carry the session."""
    status, headers, _body = fetch(port, "GET", "/accounts/login/")
    csrf = _cookies(headers).get("csrftoken")
    if status != 200 or not csrf:
        raise BenchError(f"GET /accounts/login/ answered {status} without a csrftoken cookie")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf})
    status, headers, _body = fetch(
        port,
        "POST",
        "/accounts/login/",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://{HOST}:{port}/accounts/login/",
        },
        form,
    )
    session = _cookies(headers).get("sessionid")
    if status != 302 or not session:
        raise BenchError(f"logging in as {username} through the form answered {status} without a session")
    return {"Cookie": f"sessionid={session}"}


def token_login(port: int, username: str, password: str) -> dict[str, str]:
    """Get an API token; returns the headers that carry it."""
    body = json.dumps({"username": username, "password": password})
    status, _headers, answer = fetch(
        port, "POST", "/api/auth/token/", {"Content-Type": "application/json"}, body
    )
    if status != 200:
        raise BenchError(f"POST /api/auth/token/ as {username} answered {status}: {answer[:200]!r}")
    return {"Authorization": f"Token {json.loads(answer)['token']}"}


def get_json(port: int, path: str, headers: dict) -> object:
    status, _headers, body = fetch(port, "GET", path, headers)
    if status != 200:
        raise BenchError(f"GET {path} answered {status}")
    return json.loads(body)


def check_ok(port: int, path: str, headers: dict) -> int:
    """Fail loudly unless the page answers 200 itself: a redirect to the login page would be measured
    happily (and fast) otherwise. Returns the size of the body."""
    status, answer_headers, body = fetch(port, "GET", path, headers)
    if status != 200:
        where = answer_headers.get("Location", "")
        raise BenchError(f"GET {path} answered {status} {where}".strip() + f": {body[:200]!r}")
    return len(body)


def wait_until_up(port: int, seconds: float, alive) -> None:
    """Poll the login page until the server answers; `alive()` is False when the server process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            raise BenchError("the server exited during start-up (see its log)")
        try:
            status, _headers, _body = fetch(port, "GET", "/accounts/login/", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer on port {port} within {seconds:.0f} s")


# --- load --------------------------------------------------------------------------------------------------


@dataclass
class Load:
    clients: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non_200: int  # answers other than 200 (a redirect counts: it is not the page)
    socket_errors: int  # connect/read/write errors and timeouts
    tool: str

    def as_dict(self) -> dict:
        return asdict(self)


# wrk runs one Lua state per thread plus one for setup/done: the per-thread counters are collected in done().
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %.0f, "p50_us": %.1f, "p95_us": %.1f, "p99_us": %.1f, ' ..
    '"max_us": %.1f, "non_200": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, bad, e.connect + e.read + e.write + e.timeout))
end
"""


def run_load(port: int, path: str, headers: dict, clients: int, seconds: float) -> Load:
    if WRK:
        return _wrk(port, path, headers, clients, seconds)
    return _python_load(port, path, headers, clients, seconds)


def _wrk(port, path, headers, clients, seconds) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="luoshi-bench-") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        command = [WRK, f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s"]
        command += ["-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(f"http://{HOST}:{port}{path}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCH-JSON "))
    duration = raw["duration_us"] / 1e6
    return Load(
        clients=clients,
        seconds=round(duration, 3),
        requests=raw["requests"],
        rps=raw["requests"] / duration if duration else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non_200=raw["non_200"],
        socket_errors=raw["socket_errors"],
        tool="wrk",
    )


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[rank]


def _python_load(port, path, headers, clients, seconds) -> Load:
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    non_200 = [0] * clients
    errors = [0] * clients

    def client(i: int) -> None:
        conn = None
        while time.monotonic() < deadline:  # bounded by the deadline
            if conn is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = None
                continue
            latencies[i].append(time.perf_counter() - started)
            if response.status != 200:
                non_200[i] += 1
            if response.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    ordered = sorted(x for per_client in latencies for x in per_client)
    return Load(
        clients=clients,
        seconds=round(elapsed, 3),
        requests=len(ordered),
        rps=len(ordered) / elapsed,
        p50_ms=_percentile(ordered, 50) * 1000,
        p95_ms=_percentile(ordered, 95) * 1000,
        p99_ms=_percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
        non_200=sum(non_200),
        socket_errors=sum(errors),
        tool="python",
    )


def wrk_version() -> str | None:
    if not WRK:
        return None
    done = subprocess.run([WRK, "--version"], capture_output=True, text=True, timeout=10, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip() if (done.stdout or done.stderr) else WRK


# --- CPU accounting (Linux): how much of the machine went to processes other than ours --------------------


def _machine_busy_s() -> float:
    """CPU seconds spent busy on all cores since boot (/proc/stat: user … steal, minus idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _process_cpu_s(root: int) -> dict:
    """CPU seconds of the server (its master `root` and each worker, by pid) and of all PostgreSQL processes
    (the database's share of the work, when the database is PostgreSQL)."""
    seconds = {"master": 0.0, "postgres": 0.0, "workers": {}}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except (OSError, ValueError):  # the process ended meanwhile
            continue
        fields = tail.split()
        pid, ppid = int(stat.parent.name), int(fields[1])
        cpu = sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
        if pid == root:
            seconds["master"] += cpu
        elif ppid == root:
            seconds["workers"][pid] = cpu
        elif head.endswith("(postgres"):
            seconds["postgres"] += cpu
    return seconds


class CpuShare:
    """Around a measurement: the share of the machine's CPU used by the server, by PostgreSQL (any database
    on it), by the load generator (a child process, or this process for the Python client) and by everything
    else (other people's work); and each server worker's share of one core. With keep-alive connections a
    worker keeps the connections it accepted, so one worker may serve most clients while another idles."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.available = Path("/proc/stat").exists()

    def _sample(self):
        own = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        loadgen = sum(r.ru_utime + r.ru_stime for r in own)
        return time.monotonic(), _machine_busy_s(), _process_cpu_s(self.server_pid), loadgen

    def __enter__(self):
        self.before = self._sample() if self.available else None
        return self

    def __exit__(self, *exc):
        self.result = None
        if self.available:
            (t0, busy0, proc0, gen0), (t1, busy1, proc1, gen1) = self.before, self._sample()
            wall = t1 - t0
            workers = {pid: cpu - proc0["workers"].get(pid, 0.0) for pid, cpu in proc1["workers"].items()}
            server = proc1["master"] - proc0["master"] + sum(workers.values())
            database = proc1["postgres"] - proc0["postgres"]
            loadgen = gen1 - gen0
            capacity = wall * (os.cpu_count() or 1) / 100  # CPU seconds per percent of the machine
            self.result = {
                "server_pct": round(server / capacity, 1),
                "postgres_pct": round(database / capacity, 1),
                "loadgen_pct": round(loadgen / capacity, 1),
                "others_pct": round(max(0.0, busy1 - busy0 - server - database - loadgen) / capacity, 1),
                # each worker as a share of one core (a worker runs Python on one core at a time)
                "workers_pct_of_core": sorted(
                    (round(cpu / wall * 100) for cpu in workers.values()), reverse=True
                ),
            }
        return False
