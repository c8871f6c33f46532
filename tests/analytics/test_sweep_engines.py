"""The sweep's statements give the same findings on Spark (local mode, as the tests can run it) as on DuckDB,
over the same extract: one definition of each rule, two engines. PySpark is in requirements/dev.lock (through
spark.in) and needs a Java runtime (.ci/run installs one)."""

from django.utils import timezone

from luoshi.analytics import sweep as job
from luoshi.members.sweeps import rules
from tests.members.test_sweep import TODAY, frozen, register_with_problems  # noqa: F401 — the fixtures


def test_spark_gives_the_same_findings_as_duckdb(world, register_with_problems, spark, frozen):  # noqa: F811
    tables = job.extract(world.district.path, TODAY)
    duck = job.run(tables, rules(), TODAY)
    sparked = job.run(tables, rules(), TODAY, engine="spark")
    assert duck.counts == sparked.counts
    assert sorted(duck.findings, key=repr) == sorted(sparked.findings, key=repr)
    assert {code for _m, code, _f in duck.findings} == {
        "lost_contact",
        "no_dues",
        "unattached",
        "invalid_data",
        "pocket_member",
    }
    assert timezone.localdate() == TODAY
