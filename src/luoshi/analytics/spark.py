"""Spark for the analytics jobs when LUOSHI_ANALYTICS_ENGINE=spark: the sweep's statements and the duplicate
search run there over the same extract as on DuckDB, handed over as Parquet files.

    session()   the process's Spark session: the cluster named by LUOSHI_SPARK_MASTER, or local mode on this
                machine's cores; with Splink's similarity functions (Damerau–Levenshtein …) on its class path
    workdir()   a folder for one job's Parquet files and Splink's checkpoints, removed afterwards: under
                LUOSHI_SPARK_WORKDIR when set (on a cluster, a path every executor can read: a shared mount),
                else the system's temp directory (enough in local mode)
"""

import os
import tempfile
from contextlib import contextmanager


def session():
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    master = os.environ.get("LUOSHI_SPARK_MASTER", "local[*]")
    builder = SparkSession.builder.master(master)
    if master.startswith("local"):
        # Spark's 200 shuffle partitions suit a cluster; on one machine's cores each costs a task's overhead
        # for nothing (the duplicate search of 100,000 members: 30 s with 200, 22 s with 8 on two cores)
        builder = builder.config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 1)))
    return (
        builder.appName("luoshi-analytics")
        .config("spark.ui.enabled", "false")
        .config("spark.jars", similarity_jar_location())  # shipped inside the splink wheel: nothing fetched
        .config("spark.sql.session.timeZone", "UTC")
        .config(
            "spark.sql.jsonGenerator.ignoreNullFields", "false"
        )  # {"last_paid": null}, as DuckDB writes it
        .getOrCreate()
    )


@contextmanager
def workdir():
    with tempfile.TemporaryDirectory(
        prefix="luoshi-spark-", dir=os.environ.get("LUOSHI_SPARK_WORKDIR")
    ) as path:
        yield path
