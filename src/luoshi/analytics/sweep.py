"""The member sweep (集中排查) as a batch job over an extract: the register of a subtree, each member's last paid
month, the open transfer letters, taken from the database in a few plain queries, then every rule as one SQL
statement in DuckDB (in process, in memory). Engine-independent: the statements are plain SQL over the tables of
TABLES (`members`, `orgs`, `assessed`, `paid`, `transfers`); another engine (Spark) runs the same definitions over
the same extract.

A rule whose data is not in the system reports "no data" for the members it cannot judge — never "compliant":
`no_dues` for members without an assessment, `no_orglife` for everyone until organizational life is recorded,
`duplicate` until a duplicate search has run.

    tables = extract(root_path, as_of)            # {name: pyarrow.Table}
    result = run(tables, rules, as_of)            # Result(findings=[(member_id, rule, facts)], counts={...})
"""

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
}


def _fetch(sql: str, params, table: str) -> pa.Table:
    """A query's rows as an Arrow table, fetched in batches; the types as the driver gives them."""
    names = list(TABLES[table])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    del rows
    return pa.table({name: pa.array(col) for name, col in zip(names, columns, strict=True)})


def extract(root_path: str, as_of: date) -> dict[str, pa.Table]:
    """The extract of the subtree at `root_path`: active members with their organization's state, each member's
    dues assessment years and last paid month, and the transfer letters still awaiting receipt."""
    from luoshi.orgs.tree import SEGMENT, subtree_bounds

    low, high = subtree_bounds(root_path)
    # Dates as text and booleans as 0/1 in every database, and the organizations apart (a small table the
    # engine joins): the driver then hands over plain values, the engine casts the columns (TABLES).
    jobs = {}
    jobs["orgs"] = (
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
        jobs["members"] = (columns, [], "members")
    else:
        jobs["members"] = (
            columns
            + " AND m.organization_id IN (SELECT id FROM orgs_organization WHERE path >= %s AND path < %s)",
            [low, high],
            "members",
        )
    # dues: every member's assessed years and latest paid month, as two plain grouped scans (the engine keeps
    # the members of the subtree by joining)
    jobs["assessed"] = (
        "SELECT member_id, max(year), min(year) FROM members_duesassessment WHERE year <= %s GROUP BY member_id",
        [as_of.year],
        "assessed",
    )
    jobs["paid"] = (
        "SELECT member_id, CAST(max(month) AS TEXT) FROM members_duespayment WHERE month <= %s GROUP BY member_id",
        [as_of],
        "paid",
    )
    jobs["transfers"] = (
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
    jobs["dups"] = (
        """SELECT member_l_id, member_r_id, probability FROM members_duplicatepair WHERE status = 'pending'
           UNION ALL
           SELECT member_r_id, member_l_id, probability FROM members_duplicatepair WHERE status = 'pending'""",
        [],
        "dups",
    )
    prefixes = [root_path[:k] for k in range(SEGMENT, len(root_path) + 1, SEGMENT)]
    jobs["searched"] = (
        "SELECT count(*) FROM members_duplicatesearch s JOIN orgs_organization o ON o.id = s.organization_id"
        f" WHERE o.path IN ({', '.join(['%s'] * len(prefixes))})",
        prefixes,
        "searched",
    )
    tables = _fetch_all(jobs)
    return {name: tables[name] for name in TABLES}


def _fetch_all(jobs: dict) -> dict[str, pa.Table]:
    """Run the extract's queries one after the other (two threads, each with its own connection, measured
    slower on two cores: the conversion of rows to Python values holds the interpreter)."""
    return {name: _fetch(*job) for name, job in jobs.items()}
