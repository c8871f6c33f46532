"""The roll-up of a run, in DuckDB: each unit's points per leaf indicator (by its source's mode), its total,
grade (a crossed red line caps it) and rank among its peers.

One engine for every size. A district's 300 branches would be as quick in Python, but a province's 78,000
branches × 4 indicators are 312,000 leaf scores: exact decimal arithmetic in a Python loop took 0.65 s for
them, the same rules as one DuckDB statement 0.04 s (bench/assessment.py reports both sizes). The rules are
written once, here, as SQL.

The arithmetic is exact and matches the published rule texts: every amount is an integer number of hundredths
(分), and a quotient a/b is rounded half up to the hundredth as floor((2a + b) / 2b) (a, b ≥ 0).
  share    weight × num ÷ den; nothing due (den = 0): the full weight
  average  weight × (num ÷ den) ÷ 100; nothing measured: the full weight
  count    weight − per_item × num, never below 0
  veto     num > 0 breaches (0 points; the flag "breached" when the indicator is a red line), else the weight
  manual   the points the office entered ("manual"), or 0 while none is ("missing")
Every leaf's points lie between 0 and its weight.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from luoshi.assessment.models import MANUAL
from luoshi.core.indicators import SOURCES


@dataclass(frozen=True)
class Standing:
    total: Decimal
    grade: str
    vetoed: bool
    rank: int


def _cents(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


LEAVES_SQL = """
CREATE TEMP TABLE pts AS
WITH cells AS (
  SELECT u.org, l.ord, l.code, l.mode, l.weight, l.per_item, l.veto, m.num, m.den, m.manual
  FROM units u CROSS JOIN leaves l
  LEFT JOIN measures m ON m.org = u.org AND m.code = l.code),
raw AS (
  SELECT org, ord, code, num, den, mode, veto, weight, manual,
    CASE mode
      WHEN 'manual' THEN coalesce(manual, 0)
      WHEN 'share' THEN CASE WHEN coalesce(den, 0) = 0 THEN weight
                             ELSE (2 * weight * num + den) // (2 * den) END
      WHEN 'average' THEN CASE WHEN coalesce(den, 0) = 0 THEN weight
                               ELSE (2 * weight * num + 100 * den) // (200 * den) END
      WHEN 'count' THEN (greatest(0, 100 * weight - per_item * coalesce(num, 0)) + 50) // 100
      WHEN 'veto' THEN CASE WHEN coalesce(num, 0) > 0 THEN 0 ELSE weight END
    END AS p
  FROM cells)
SELECT org, ord, code, num, den,
  least(weight, greatest(0, p)) AS points,
  CASE
    WHEN mode = 'manual' THEN CASE WHEN manual IS NULL THEN 'missing' ELSE 'manual' END
    WHEN mode = 'veto' AND veto AND coalesce(num, 0) > 0 THEN 'breached'
    ELSE ''
  END AS flag
FROM raw
"""

STANDINGS_SQL = """
WITH tot AS (
  SELECT org, sum(points) AS total, bool_or(flag = 'breached') AS vetoed FROM pts GROUP BY org),
graded AS (
  SELECT org, total, vetoed,
    coalesce((SELECT min(ord) FROM bands WHERE total >= minimum), (SELECT max(ord) FROM bands)) AS g
  FROM tot)
SELECT org, printf('%d.%02d', total // 100, total % 100),
       (SELECT name FROM bands WHERE ord = CASE WHEN vetoed THEN greatest(g, $cap) ELSE g END),
       vetoed, rank() OVER (ORDER BY total DESC)
FROM graded
"""

# each unit's leaf scores as one JSON object, code → [points as text ("12.65"), num, den, flag], in scheme order
SCORES_SQL = """
SELECT org, '{' || string_agg(to_json(code) || ':' || json_array(
    printf('%d.%02d', points // 100, points % 100),
    CASE WHEN flag IN ('manual', 'missing') THEN NULL ELSE coalesce(num, 0) / 100 END,
    CASE WHEN flag IN ('manual', 'missing') THEN NULL ELSE coalesce(den, 0) / 100 END,
    flag), ',' ORDER BY ord) || '}'
FROM pts GROUP BY org
"""


def connect(scheme):
    """An in-memory DuckDB holding the scheme's grade bands; returns it and the veto cap's place among them."""
    con = duckdb.connect()
    bands = list(scheme.bands.order_by("order"))
    con.execute(
        "CREATE TEMP TABLE bands AS SELECT unnest($1::VARCHAR[]) AS name, unnest($2::BIGINT[]) AS minimum,"
        " unnest($3::INTEGER[]) AS ord",
        [[b.name for b in bands], [_cents(b.minimum) for b in bands], list(range(len(bands)))],
    )
    names = [b.name for b in bands]
    return con, names.index(scheme.veto_cap) if scheme.veto_cap in names else len(names) - 1


def _standings(con, cap) -> dict[int, Standing]:
    rows = con.execute(STANDINGS_SQL, {"cap": cap}).fetchall()
    return {org: Standing(Decimal(total), grade, vetoed, rank) for org, total, grade, vetoed, rank in rows}


def roll_up(
    scheme, leaves, orgs, measured: dict, entered: dict
) -> tuple[dict[int, dict], dict[int, Standing]]:
    """(unit → code → [points, num, den, flag], unit → Standing) for the units `orgs` and the leaf indicators
    `leaves`, from what the sources measured (code → {unit: Measure}) and the office entered (code → {unit:
    ManualScore})."""
    con, cap = connect(scheme)
    try:
        load(con, leaves, orgs, measured, entered)
        return compute(con, cap)
    finally:
        con.close()


def load(con, leaves, orgs, measured: dict, entered: dict) -> None:
    """The extract into DuckDB: the leaves, the units, and every measured or entered number (× 100)."""
    modes = [MANUAL if i.source == MANUAL else SOURCES[i.source].mode for i in leaves]
    con.execute(
        "CREATE TEMP TABLE leaves AS SELECT unnest($1::VARCHAR[]) AS code, unnest($2::VARCHAR[]) AS mode,"
        " unnest($3::BIGINT[]) AS weight, unnest($4::BIGINT[]) AS per_item, unnest($5::BOOLEAN[]) AS veto,"
        " unnest($6::INTEGER[]) AS ord",
        [
            [i.code for i in leaves],
            modes,
            [_cents(i.weight) for i in leaves],
            [_cents(i.per_item or 0) for i in leaves],
            [bool(i.veto) for i in leaves],
            list(range(len(leaves))),
        ],
    )
    con.execute("CREATE TEMP TABLE units AS SELECT unnest($1::INTEGER[]) AS org", [list(orgs)])
    codes, units, nums, dens, manual = [], [], [], [], []
    for indicator in leaves:
        if indicator.source == MANUAL:
            scores = entered.get(indicator.code, {})
            codes += [indicator.code] * len(scores)
            units += scores.keys()
            nums += [None] * len(scores)
            dens += [None] * len(scores)
            manual += [_cents(s.points) for s in scores.values()]
            continue
        measures = measured.get(indicator.code, {})
        codes += [indicator.code] * len(measures)
        units += measures.keys()
        nums += [round(m.num * 100) for m in measures.values()]
        dens += [round(m.den * 100) for m in measures.values()]
        manual += [None] * len(measures)
    con.execute(
        "CREATE TEMP TABLE measures AS SELECT unnest($1::INTEGER[]) AS org, unnest($2::VARCHAR[]) AS code,"
        " unnest($3::BIGINT[]) AS num, unnest($4::BIGINT[]) AS den, unnest($5::BIGINT[]) AS manual",
        [units, codes, nums, dens, manual],
    )


def compute(con, cap: int) -> tuple[dict[int, dict], dict[int, Standing]]:
    """The roll-up proper, on an extract loaded into `con` (tables bands, leaves, units, measures)."""
    con.execute(LEAVES_SQL)
    per_org = {org: json.loads(scores) for org, scores in con.execute(SCORES_SQL).fetchall()}
    return per_org, _standings(con, cap)


def standings_of(scheme, per_org: dict[int, dict]) -> dict[int, Standing]:
    """The standings from leaf scores already decided (a run's, with an upheld appeal's new points)."""
    con, cap = connect(scheme)
    try:
        orgs, codes, points, flags = [], [], [], []
        for org, scores in per_org.items():
            for code, value in scores.items():
                orgs.append(org)
                codes.append(code)
                points.append(_cents(value[0]))
                flags.append(value[3] or "")
        con.execute(
            "CREATE TEMP TABLE pts AS SELECT unnest($1::INTEGER[]) AS org, unnest($2::VARCHAR[]) AS code,"
            " unnest($3::BIGINT[]) AS points, unnest($4::VARCHAR[]) AS flag",
            [orgs, codes, points, flags],
        )
        return _standings(con, cap)
    finally:
        con.close()
