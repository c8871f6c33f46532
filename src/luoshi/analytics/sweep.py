"""The member sweep (集中排查) as a batch job over an extract: the register of a subtree, each member's last paid
month, the open transfer letters, taken from the database in a few plain queries, then every rule as one SQL
statement in DuckDB (in process, in memory). Engine-independent: the statements are plain SQL over the tables of
TABLES (`members`, `orgs`, `assessed`, `paid`, `transfers`); another engine (Spark) runs the same definitions over
the same extract.

A rule whose data is not in the system reports "no data" for the members it cannot judge — never "compliant":
`no_dues` for members without an assessment, `no_orglife` for the members of a branch that began recording its
meetings after the window's start, `duplicate` until a duplicate search has run.

    tables = extract(root_path, as_of)            # {name: pyarrow.Table}
    result = run(tables, rules, as_of)            # Result(findings=[(member_id, rule, facts)], counts={...})
"""

import json
import time
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
from django.db import connection

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class Result:
    findings: list = field(default_factory=list)  # (member id, rule code, facts as a dict)
    counts: dict = field(default_factory=dict)  # rule code -> {"checked", "found", "no_data"}
    seconds: dict = field(default_factory=dict)  # phase -> seconds
    members: int = 0


# the extract's tables, each column with the SQL type it is given in the engine (the database drivers hand over
# booleans as 0/1 and dates as text from SQLite, as bool and date from PostgreSQL: the engine casts them alike)
TABLES = {
    "members": {
        "id": "BIGINT",
        "org": "BIGINT",
        "national_id": "VARCHAR",
        "phone": "VARCHAR",
        "birth_date": "DATE",
        "sex": "VARCHAR",
        "lost": "BOOLEAN",
        "lost_since": "DATE",
    },
    "orgs": {"id": "BIGINT", "holds": "BOOLEAN", "archived": "BOOLEAN", "name": "VARCHAR"},
    "assessed": {"member": "BIGINT", "last_year": "INTEGER", "first_year": "INTEGER"},
    "paid": {"member": "BIGINT", "last_paid": "DATE"},
    "transfers": {"member": "BIGINT", "number": "VARCHAR", "valid_until": "DATE", "to_name": "VARCHAR"},
    "dups": {"member": "BIGINT", "other": "BIGINT", "probability": "DOUBLE"},
    "searched": {"searches": "INTEGER"},
    "attended": {"member": "BIGINT", "last_day": "DATE"},
    "recording": {"branch": "BIGINT", "first_day": "DATE"},
}


SEP = "\x1f"  # the unit separator: between the columns of the text the database hands over


def _fetch(sql: str, params, table: str) -> pa.Table:
    """A query's rows as an Arrow table. The database writes them as delimited text (SQLite: group_concat;
    PostgreSQL: COPY … TO STDOUT) and DuckDB's CSV reader parses it with the table's types (TABLES): no Python
    object per value, which is what made a province's extract slow (4,000,000 members: 11.4 s as rows, 6.5 s
    as text). The text goes through a temporary file, removed at once."""
    import tempfile

    import duckdb

    types = TABLES[table]
    names = list(types)
    with tempfile.TemporaryDirectory(prefix="luoshi-extract-") as folder:
        path = f"{folder}/{table}.txt"
        with open(path, "wb") as out, connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x1f')"
                with cursor.cursor.copy(copy, params or None) as stream:
                    for block in stream:
                        out.write(block)
            else:
                # quoted text for the text columns (a name may hold anything), plain values for the others
                cells = " || char(31) || ".join(
                    f"coalesce('\"' || replace(c{i}, '\"', '\"\"') || '\"', '')"
                    if types[name] == "VARCHAR"
                    else f"coalesce(c{i}, '')"
                    for i, name in enumerate(names)
                )
                cte = ", ".join(f"c{i}" for i in range(len(names)))
                cursor.execute(
                    f"WITH q({cte}) AS ({sql}) SELECT group_concat({cells}, char(10)) FROM q", params
                )
                (text,) = cursor.fetchone()
                out.write((text or "").encode("utf-8"))
        con = duckdb.connect()
        try:
            return (
                con.read_csv(path, header=False, sep=SEP, quotechar='"', columns=types, auto_detect=False)
                .arrow()
                .read_all()
            )
        finally:
            con.close()


def extract(root_path: str, as_of: date) -> dict[str, pa.Table]:
    """The extract of the subtree at `root_path`: active members with their organization's state, each member's
    dues assessment years and last paid month, and the transfer letters still awaiting receipt."""
    from luoshi.orgs.tree import SEGMENT, subtree_bounds

    low, high = subtree_bounds(root_path)
    # Dates as text and booleans as 0/1 in every database, and the organizations apart (a small table the
    # engine joins): the driver then hands over plain values, the engine casts the columns (TABLES).
    orgs = _fetch(
        """SELECT id, CASE WHEN holds_members THEN 1 ELSE 0 END, CASE WHEN archived_at IS NULL THEN 0 ELSE 1 END,
                  name
           FROM orgs_organization WHERE path >= %s AND path < %s""",
        [low, high],
        "orgs",
    )
    columns = """SELECT m.id, m.organization_id, m.national_id, m.phone, CAST(m.birth_date AS TEXT), m.sex,
                        CASE WHEN m.lost_contact THEN 1 ELSE 0 END, CAST(m.lost_contact_since AS TEXT)
                 FROM members_member m WHERE m.archived_at IS NULL"""
    if len(root_path) == SEGMENT:  # a whole tree: no filter, one plain scan (a province's 4,000,000 rows)
        members = _fetch(columns, [], "members")
    else:
        members = _fetch(
            columns
            + " AND m.organization_id IN (SELECT id FROM orgs_organization WHERE path >= %s AND path < %s)",
            [low, high],
            "members",
        )
    # dues: every member's assessed years and latest paid month, as two plain grouped scans (the engine keeps
    # the members of the subtree by joining)
    assessed = _fetch(
        "SELECT member_id, max(year), min(year) FROM members_duesassessment WHERE year <= %s GROUP BY member_id",
        [as_of.year],
        "assessed",
    )
    paid = _fetch(
        "SELECT member_id, CAST(max(month) AS TEXT) FROM members_duespayment WHERE month <= %s GROUP BY member_id",
        [as_of],
        "paid",
    )
    transfers = _fetch(
        """SELECT t.member_id, t.number, CAST(t.valid_until AS TEXT), coalesce(o.name, t.to_name)
           FROM members_transfer t JOIN members_member m ON m.id = t.member_id
           JOIN orgs_organization f ON f.id = t.from_organization_id
           LEFT JOIN orgs_organization o ON o.id = t.to_organization_id
           WHERE t.status = 'issued' AND t.valid_until < %s AND f.path >= %s AND f.path < %s""",
        [as_of, low, high],
        "transfers",
    )
    # duplicate registrations awaiting review, both records of each pair; and whether a duplicate search has
    # covered the subtree at all (else the rule has no data)
    dups = _fetch(
        """SELECT member_l_id, member_r_id, probability FROM members_duplicatepair WHERE status = 'pending'
           UNION ALL
           SELECT member_r_id, member_l_id, probability FROM members_duplicatepair WHERE status = 'pending'""",
        [],
        "dups",
    )
    prefixes = [root_path[:k] for k in range(SEGMENT, len(root_path) + 1, SEGMENT)]
    searched = _fetch(
        "SELECT count(*) FROM members_duplicatesearch s JOIN orgs_organization o ON o.id = s.organization_id"
        f" WHERE o.path IN ({', '.join(['%s'] * len(prefixes))})",
        prefixes,
        "searched",
    )
    # organizational life: each member's last meeting attended, and when each branch began recording meetings
    # (a branch that began within the window cannot be judged yet); days in the local time zone
    day = _local_day_sql("m.starts_at", as_of)
    attended = _fetch(
        f"""SELECT a.member_id, max({day}) FROM orglife_attendance a JOIN orglife_meeting m ON m.id = a.meeting_id
            WHERE a.present AND m.withdrawn_at IS NULL AND {day} <= %s GROUP BY a.member_id""",
        [as_of.isoformat()],
        "attended",
    )
    recording = _fetch(
        f"SELECT m.branch_id, min({day}) FROM orglife_meeting m WHERE m.withdrawn_at IS NULL GROUP BY m.branch_id",
        [],
        "recording",
    )
    return {
        "attended": attended,
        "recording": recording,
        "members": members,
        "orgs": orgs,
        "assessed": assessed,
        "paid": paid,
        "transfers": transfers,
        "dups": dups,
        "searched": searched,
    }


def _local_day_sql(column: str, on: date) -> str:
    """The local calendar day of a stored (UTC) timestamp, as 'YYYY-MM-DD' text in either database."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings

    if connection.vendor == "postgresql":
        return f"CAST(CAST(({column} AT TIME ZONE '{settings.TIME_ZONE}') AS DATE) AS TEXT)"
    offset = ZoneInfo(settings.TIME_ZONE).utcoffset(datetime(on.year, on.month, on.day))
    return f"date({column}, '{int(offset.total_seconds() // 60):+d} minutes')"


def _check_digit_sql(column: str) -> str:
    terms = " + ".join(
        f"TRY_CAST(substr({column}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(WEIGHTS)
    )
    return f"substr('10X98765432', (({terms}) % 11) + 1, 1)"


def _months_before(as_of: date, months: int) -> date:
    """The first day of the month `months - 1` months before as_of's month: the window's start."""
    index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


class Dialect:
    """The few constructs the two engines spell differently; every statement is written once through these."""

    def __init__(self, engine: str):
        self.spark = engine == "spark"

    def json(self, *pairs) -> str:
        """An object of (key, SQL expression) pairs, as JSON text."""
        inner = ", ".join(f"'{k}', {v}" for k, v in pairs)
        return f"to_json(named_struct({inner}))" if self.spark else f"json_object({inner})"

    def month(self, column: str) -> str:
        return f"date_format({column}, 'yyyy-MM')" if self.spark else f"strftime({column}, '%Y-%m')"

    def day(self, column: str) -> str:
        return f"date_format({column}, 'yyyy-MM-dd')" if self.spark else f"strftime({column}, '%Y-%m-%d')"

    def matches(self, column: str, pattern: str) -> str:
        return (
            f"({column} RLIKE '^{pattern}$')" if self.spark else f"regexp_full_match({column}, '{pattern}')"
        )

    def ymd(self, text: str) -> str:
        """A yyyymmdd text as a date, or NULL if it is none."""
        if self.spark:
            return f"CAST(try_to_timestamp({text}, 'yyyyMMdd') AS DATE)"
        return f"CAST(try_strptime({text}, '%Y%m%d') AS DATE)"

    def present(self, items: list[str]) -> str:
        """The non-null items, as a list."""
        joined = ", ".join(items)
        if self.spark:
            return f"filter(array({joined}), x -> x IS NOT NULL)"
        return f"list_filter([{joined}], lambda x: x IS NOT NULL)"

    def length(self, column: str) -> str:
        return f"size({column})" if self.spark else f"len({column})"


def statements(rules: list[dict], as_of: date, engine: str = "duckdb") -> dict[str, tuple[str, str | None]]:
    """rule code -> (SQL selecting (id, facts JSON text) of the members breaching it, SQL selecting the ids the
    rule cannot judge, or None), in the engine's dialect."""
    d = Dialect(engine)
    out = {}
    for rule in rules:
        code, params = rule["code"], rule.get("params") or {}
        months = int(params.get("months", 6))
        if code == "no_dues":
            # whole months: the month of as_of is not over, so the window is the `months` months before it
            start = _months_before(as_of, months + 1)
            judged = f"a.first_year <= {start.year} AND a.last_year >= {as_of.year}"
            facts = d.json(("last_paid", d.month("p.last_paid")), ("since", f"'{start:%Y-%m}'"))
            out[code] = (
                f"""SELECT m.id, {facts}
                    FROM members m JOIN assessed a ON a.member = m.id LEFT JOIN paid p ON p.member = m.id
                    WHERE {judged} AND (p.last_paid IS NULL OR p.last_paid < DATE '{start}')""",
                f"""SELECT m.id FROM members m LEFT JOIN assessed a ON a.member = m.id
                    WHERE a.member IS NULL OR NOT ({judged})""",
            )
        elif code == "no_orglife":
            # whole months, as for dues; judged only where the branch was recording meetings by the window's start
            start = _months_before(as_of, months + 1)
            facts = d.json(("last_attended", d.day("a.last_day")), ("since", f"'{start:%Y-%m}'"))
            out[code] = (
                f"""SELECT m.id, {facts}
                    FROM members m JOIN recording r ON r.branch = m.org LEFT JOIN attended a ON a.member = m.id
                    WHERE r.first_day <= DATE '{start}' AND (a.last_day IS NULL OR a.last_day < DATE '{start}')""",
                f"""SELECT m.id FROM members m LEFT JOIN recording r ON r.branch = m.org
                    WHERE r.branch IS NULL OR r.first_day > DATE '{start}'""",
            )
        elif code == "lost_contact":
            index = as_of.year * 12 + as_of.month - 1 - months
            limit = date(index // 12, index % 12 + 1, min(as_of.day, 28))
            out[code] = (
                f"""SELECT id, {d.json(("lost_since", d.day("lost_since")))} FROM members
                    WHERE lost AND lost_since IS NOT NULL AND lost_since <= DATE '{limit}'""",
                None,
            )
        elif code == "pocket_member":
            facts = d.json(
                ("letter", "t.number"), ("valid_until", d.day("t.valid_until")), ("to", "t.to_name")
            )
            out[code] = (f"SELECT t.member, {facts} FROM transfers t JOIN members m ON m.id = t.member", None)
        elif code == "unattached":
            out[code] = (
                f"""SELECT m.id, {d.json(("organization", "o.name"))} FROM members m JOIN orgs o ON o.id = m.org
                    WHERE NOT o.holds OR o.archived""",
                None,
            )
        elif code == "invalid_data":
            digit = _check_digit_sql("national_id")
            well_formed = d.matches("coalesce(national_id, '')", "[0-9]{17}[0-9X]")
            birth = d.ymd("substr(national_id, 7, 8)")
            problems = d.present(
                [
                    f"""CASE WHEN NOT {well_formed} THEN 'national_id_format'
                             WHEN {digit} <> substr(national_id, 18, 1) THEN 'national_id_check_digit'
                             WHEN {birth} IS NULL OR {birth} <> birth_date THEN 'birth_date' END""",
                    f"""CASE WHEN {well_formed}
                             AND (CAST(substr(national_id, 17, 1) AS INTEGER) % 2 = 1) <> (sex = 'M') THEN 'sex' END""",
                    f"""CASE WHEN coalesce(phone, '') = '' THEN 'phone_missing'
                             WHEN NOT {d.matches("phone", "1[0-9]{10}")} THEN 'phone_invalid' END""",
                ]
            )
            out[code] = (
                f"""SELECT id, {d.json(("problems", "problems"))} FROM
                    (SELECT id, {problems} AS problems FROM members) q WHERE {d.length("problems")} > 0""",
                None,
            )
        elif code == "duplicate":
            facts = d.json(("other", "min(x.other)"), ("probability", "round(max(x.probability), 3)"))
            out[code] = (
                f"SELECT m.id, {facts} FROM members m JOIN dups x ON x.member = m.id GROUP BY m.id",
                "SELECT id FROM members WHERE (SELECT max(searches) FROM searched) = 0",
            )
        else:
            raise ValueError(f"no check for the sweep rule {code!r}")
    return out


def run(tables: dict[str, pa.Table], rules: list[dict], as_of: date, engine: str = "duckdb") -> Result:
    """Every rule over the extract, on DuckDB (in process) or Spark. The same extract and rules give the same
    result, in the same order, on both."""
    if engine == "spark":
        return _run_spark(tables, rules, as_of)
    if engine != "duckdb":
        raise ValueError(f"no analytics engine {engine!r} (duckdb or spark)")
    import duckdb

    result = Result()
    con = duckdb.connect()
    try:
        started = time.perf_counter()
        for name, table in tables.items():
            con.register(f"{name}_arrow", table)
            columns = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in TABLES[name].items())
            con.execute(f"CREATE TEMP TABLE {name} AS SELECT {columns} FROM {name}_arrow")
        # members of the subtree only (a whole tree is extracted without a filter: another tree may share the
        # database)
        con.execute("DELETE FROM members WHERE org NOT IN (SELECT id FROM orgs)")
        result.members = con.execute("SELECT count(*) FROM members").fetchone()[0]
        result.seconds["load"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        for code, (found_sql, no_data_sql) in statements(rules, as_of).items():
            rows = con.execute(f"SELECT * FROM ({found_sql}) ORDER BY 1").fetchall()
            no_data = con.execute(f"SELECT count(*) FROM ({no_data_sql})").fetchone()[0] if no_data_sql else 0
            _collect(result, code, rows, no_data)
        result.seconds["rules"] = round(time.perf_counter() - started, 3)
    finally:
        con.close()
    return result


def _collect(result: Result, code: str, rows, no_data: int) -> None:
    result.findings.extend((member, code, json.loads(facts)) for member, facts in rows)
    result.counts[code] = {"checked": result.members - no_data, "found": len(rows), "no_data": no_data}


def _run_spark(tables: dict[str, pa.Table], rules: list[dict], as_of: date) -> Result:
    """The same statements on Spark: the extract handed over as Parquet files (what a cluster reads), each a
    temporary view."""
    import pyarrow.parquet as pq

    from luoshi.analytics import spark as engine

    result = Result()
    spark = engine.session()
    with engine.workdir() as folder:
        started = time.perf_counter()
        for name, table in tables.items():
            path = f"{folder}/{name}.parquet"
            pq.write_table(table, path)
            spark.read.parquet(path).createOrReplaceTempView(f"{name}_raw")
            columns = ", ".join(f"CAST({c} AS {_spark_type(t)}) AS {c}" for c, t in TABLES[name].items())
            spark.sql(f"SELECT {columns} FROM {name}_raw").createOrReplaceTempView(name)
        spark.sql("SELECT m.* FROM members m LEFT SEMI JOIN orgs o ON o.id = m.org").createOrReplaceTempView(
            "members_kept"
        )
        spark.catalog.cacheTable("members_kept")
        spark.sql("SELECT * FROM members_kept").createOrReplaceTempView("members")
        result.members = spark.sql("SELECT count(*) FROM members").collect()[0][0]
        result.seconds["load"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        for code, (found_sql, no_data_sql) in statements(rules, as_of, engine="spark").items():
            rows = [tuple(r) for r in spark.sql(f"SELECT * FROM ({found_sql}) q ORDER BY 1").collect()]
            no_data = (
                spark.sql(f"SELECT count(*) FROM ({no_data_sql}) q").collect()[0][0] if no_data_sql else 0
            )
            _collect(result, code, rows, no_data)
        result.seconds["rules"] = round(time.perf_counter() - started, 3)
        spark.catalog.uncacheTable("members_kept")
    return result


def _spark_type(sql_type: str) -> str:
    return {"VARCHAR": "STRING", "INTEGER": "INT"}.get(sql_type, sql_type)
