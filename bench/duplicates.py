"""Duplicate-registration benchmark: the duplicate search (luoshi.analytics.duplicates.find_duplicates, Splink
on DuckDB) over a synthetic register with injected duplicates (luoshi.analytics.synthetic: typos and swapped
digits in the ID, homophones in the name, day and month swapped, new phones, moved branches — and twins and
namesakes that are not duplicates), scored against the known truth.

  .venv/bin/python bench/duplicates.py                  # 1,000,000 members, 2% second registrations
  .venv/bin/python bench/duplicates.py --n 100000
  .venv/bin/python bench/duplicates.py --training em    # parameters estimated on the register (EM)
  .venv/bin/python bench/duplicates.py --engine spark   # the same search on Splink's SparkAPI (local mode)

Reported:
  generate     the register's generation (in a child process, written to Arrow IPC; apart from the search)
               and that child's peak memory
  search       find_duplicates end to end on the loaded table: the extract (derived columns, pinyin), loading
               DuckDB, blocking, scoring and the review table — and its steps as the search reports them
  memory       the search process's peak RSS (ru_maxrss: the table, DuckDB and Python; the table alone before
               the search as the baseline) and DuckDB's own memory just after scoring (duckdb_memory())
  comparisons  the pairs scored (the blocked pairs), per blocking rule and per record; then checked against
               Splink's own cumulative count (splink.blocking_analysis, exact: record_sample_proportion=1),
               timed apart
  quality      candidate pairs above the threshold, and pairwise precision, recall and F1 against the truth
Goal: the search under 120 s with F1 ≥ 0.97 (at 1,000,000). Nothing is asserted; the last line is the JSON.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 120.0
GOAL_F1 = 0.97


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(n: int, rate: float, seed: int, out: Path) -> None:
    """The child: the register and its truth, written to Arrow IPC files."""
    import pyarrow as pa

    from luoshi.analytics.synthetic import register

    records, truth = register(n, duplicate_rate=rate, seed=seed)
    pairs = sorted(tuple(sorted(p)) for p in truth)
    truth_table = pa.table({"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]})
    for table, name in ((records, "records.arrow"), (truth_table, "truth.arrow")):
        with pa.OSFile(str(out / name), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


def read(path: Path):
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_file(source).read_all()


def splink_count(records) -> tuple[list, float]:
    """Splink's cumulative count of the comparisons the blocking rules generate (exact)."""
    import duckdb
    from splink import DuckDBAPI, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from luoshi.analytics.duplicates import BLOCKING_RULES, _threads, prepare

    started = time.perf_counter()
    con = duckdb.connect(config={"threads": _threads(), "autoinstall_known_extensions": False})
    try:
        db_api = DuckDBAPI(connection=con)
        counts = count_comparisons_from_blocking_rules(
            db_api.register(prepare(records)),
            blocking_rules=[block_on(*columns) for columns in BLOCKING_RULES],
            link_type="dedupe_only",
            unique_id_column_name="id",
            record_sample_proportion=1.0,
        )
    finally:
        con.close()
    return counts, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000, help="members in the register")
    parser.add_argument("--duplicate-rate", type=float, default=0.02, help="share of second registrations")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--training", choices=["fixed", "em"], default="fixed")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--no-splink-count", action="store_true", help="skip Splink's blocking analysis")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # the child's output directory
    args = parser.parse_args()
    if args.generate:
        generate(args.n, args.duplicate_rate, args.seed, args.generate)
        return

    import logging

    logging.getLogger("splink").setLevel(logging.ERROR)  # EM's "level not observed" notes
    with tempfile.TemporaryDirectory(prefix="luoshi-dups-") as tmp:
        log(f"generating {args.n:,} members ({args.duplicate_rate:.0%} second registrations) …")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--n", str(args.n), "--duplicate-rate", str(args.duplicate_rate)]
            + ["--seed", str(args.seed), "--generate", tmp],
            check=True,
        )
        generate_s = time.perf_counter() - started
        generate_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        records = read(Path(tmp) / "records.arrow")
        truth_table = read(Path(tmp) / "truth.arrow")
    truth = {
        frozenset(p) for p in zip(truth_table["a"].to_pylist(), truth_table["b"].to_pylist(), strict=True)
    }
    baseline_mb = rss_mb()
    log(f"generated in {generate_s:.1f} s (peak {generate_rss:.0f} MB); searching …")

    from luoshi.analytics.duplicates import find_duplicates

    if args.engine == "spark":  # the session's start (a JVM, ~5 s) is not the search's
        from luoshi.analytics.spark import session

        jvm_pid = session().sparkContext._gateway.proc.pid
    started = time.perf_counter()
    result = find_duplicates(records, threshold=args.threshold, training=args.training, engine=args.engine)
    search_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    jvm_mb = peak_mb_of(jvm_pid) if args.engine == "spark" else None
    info = json.loads(result.schema.metadata[b"duplicates"])

    found = {frozenset(p) for p in zip(result["id_l"].to_pylist(), result["id_r"].to_pylist(), strict=True)}
    right = len(found & truth)
    precision = right / len(found) if found else 0.0
    recall = right / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    out = {
        "n": args.n,
        "duplicate_rate": args.duplicate_rate,
        "seed": args.seed,
        "training": args.training,
        "engine": args.engine,
        "threshold": args.threshold,
        "threads": info.get("threads"),
        "cpus": os.cpu_count(),
        "generate_s": round(generate_s, 2),
        "generate_max_rss_mb": round(generate_rss),
        "search_s": round(search_s, 2),
        "search_steps_s": info["seconds"],
        "baseline_rss_mb": round(baseline_mb),
        "max_rss_mb": round(peak_mb),
        "duckdb_memory_mb": round(info["duckdb_memory_bytes"] / 2**20)
        if "duckdb_memory_bytes" in info
        else None,
        "jvm_max_rss_mb": round(jvm_mb) if jvm_mb else None,
        "comparisons": info["comparisons"],
        "comparisons_per_record": round(info["comparisons"] / args.n, 4),
        "comparisons_by_rule": info["comparisons_by_rule"],
        "true_pairs": len(truth),
        "candidate_pairs": len(found),
        "true_positives": right,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "goal_s": GOAL_S,
        "goal_f1": GOAL_F1,
        "goal_met": search_s < GOAL_S and f1 >= GOAL_F1,
    }
    log(
        f"search of {args.n:,} members ({args.engine}, {args.training}): {search_s:.1f} s {info['seconds']}; "
        f"{info['comparisons']:,} comparisons; {len(found):,} candidate pairs; precision {precision:.4f}, "
        f"recall {recall:.4f}, F1 {f1:.4f}; peak memory {peak_mb:.0f} MB (baseline {baseline_mb:.0f} MB, "
        f"DuckDB after scoring {out['duckdb_memory_mb']} MB, JVM {out['jvm_max_rss_mb']} MB); goal < {GOAL_S:.0f} s and F1 ≥ {GOAL_F1}: "
        f"{'met' if out['goal_met'] else 'MISSED'}"
    )
    if not args.no_splink_count:
        counts, count_s = splink_count(records)
        out["splink_cumulative_comparisons"] = [c["cumulative_comparison_count"] for c in counts]
        out["splink_count_s"] = round(count_s, 2)
        out["splink_count_matches"] = counts[-1]["cumulative_comparison_count"] == info["comparisons"]
        log(
            f"Splink's cumulative count: {counts[-1]['cumulative_comparison_count']:,} comparisons "
            f"({count_s:.1f} s; {'the same' if out['splink_count_matches'] else 'DIFFERENT'})"
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
