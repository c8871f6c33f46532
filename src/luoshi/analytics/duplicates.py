"""Duplicate registrations (重复登记): pairs of member records that are probably the same person, for a review
queue — probabilistic record linkage (Fellegi–Sunter) with Splink, on DuckDB in this process by default.

Public API

    find_duplicates(records, *, threshold=0.9, engine="duckdb", training="fixed") -> pyarrow.Table
    COMPARISONS   {comparison: title}, in the order of the result's columns
    LEVELS        {comparison: [(level label, m, u)]}: the fixed model, e.g. for a review page's legend

`records` is an extract of the register — a pyarrow Table with the columns id (int64), name, national_id,
birth_date (date32) and phone (null or "" when missing); other columns are ignored. Nothing here touches the
database or Django models: the caller extracts (the active members, say), this module scores.

The result has one row per candidate pair with match probability ≥ `threshold`, strongest first:
    id_l, id_r (id_l < id_r), match_probability, match_weight,
    and per comparison c in COMPARISONS: c_level, the label of the level the pair falls in ("One character
    off, check digit fails"), and c_weight, that level's match weight — log2 of its Bayes factor m/u, positive
    for evidence of one person, negative against — so a review page can show 公民身份号码：差一位 (+23.6).
match_weight = the prior's weight + the sum of the c_weight columns. The prior's weight, the number of pairs
scored (in all and per blocking rule), DuckDB's memory after scoring and the timings of the steps are in the
schema metadata, as JSON under b"duplicates". The labels are English, as the code's msgids are: the review
page that shows them marks them for translation (they are not in the catalogue yet).

The extract step (pyarrow and pypinyin, the same whatever the engine) adds: the name without spaces or dots
and its pinyin without tones, syllables apart (张伟 and 张玮 both "zhang wei"; compound and polyphonic
surnames read as surnames: 欧阳 "ou yang", 单 "shan", 曾 "zeng"); the national ID upper-cased, whether its
check digit holds (GB 11643) and eight blocking keys from it (below); the phone's digits.

Comparisons and their levels (the first that applies; null on either side counts for nothing):
  national_id  exact · one edit (a character mistyped, or two neighbours swapped: Damerau–Levenshtein ≤ 1)
               with the check digit failing on either side · two edits, check digit failing · else.
               A typo or a swap of two different neighbouring digits always breaks the check digit (no weight
               is 0 mod 11 and no two neighbouring weights are equal mod 11), so two IDs that both pass and
               differ are two people's — twins, and namesakes born the same day in the same area, whose IDs
               differ by a digit or two of the sequence number — and fall to "else".
  name         exact · the same pinyin (homophones: 伟/玮/炜) · one character different (Levenshtein ≤ 1) · else
  birth_date   the same, when the IDs are within two edits (then the ID comparison has counted it already: the
               birth date is in the ID, and different people with close IDs share it too — so this level
               weighs about nothing rather than counting it twice) · exact · day and month swapped, or within
               3 days · else
  phone        exact · else

Blocking: Splink ORs the rules and scores each pair once.
  1–8   id_k1 … id_k8: the ID with one window of characters masked — 1–4, 4–8, 8–11, 11–13, 13–15, 15–16,
        16–17, 17–18. A typo or a swap touches at most two neighbouring characters and every two neighbours
        lie together in one window, so an ID one edit off always agrees with the right one on some key (an
        edit in the area code: k1 or k2; in the birth date: k2 … k5; in the sequence number or the check
        digit: k5 … k8). The windows are wide where a register's IDs say little (its few area codes, the
        century) and narrow where they say most (the day, the sequence number), so every key stays nearly
        unique and the pairs grow about with the register, not with its square: the windows were chosen to
        minimise the pairs on a synthetic register of a million (masking the whole sequence number, 15–17,
        would alone give 170,000 pairs).
  9     phone: the ID corrupted beyond one edit, the number kept.
  10    name pinyin + birth date: the ID corrupted beyond one edit and a new number, the name the same or a
        homophone.
Rule 10 blocks on a bounded domain, so its pairs grow with the square of the register, but it stays small
(17,000 pairs at a million). A rule on surname pinyin + birth date + sex (for an ID two edits off, a new
number and a mistyped given name as well) would add 450,000 pairs at a million — four times all the others —
and found no more duplicates above the threshold on the synthetic register: left out. bench/duplicates.py
reports the pairs at 100,000 and 1,000,000 members.

Parameters. training="fixed" (the default) uses the m and u probabilities of LEVELS. m (how often a true
duplicate falls in the level) follows what corrupts a second registration: about a quarter keep the ID and
most of the rest mistype or swap one character; most keep the name and a third of the others write a
homophone; a few swap day and month; about half change phone. u (how often two different people do) follows
the population: two members share a full name about once in 3,000 pairs (Chinese names concentrate), a birth
date once in 24,000 (six decades). For the identifier levels (ID, phone) and for the prior, what holds
whatever the register's size is the number of other people per member: c others at the level (0.0001 share
an ID by mistake, 0.02 a family phone), hence u = c / (n − 1); an expected share r = 1% of records being
second registrations, hence a prior of 2r / (n − 1). So an ID one edit off means the same among 20,000
members as among a million. Fixed parameters cost nothing per run and give the same answer every run. EM on a
synthetic register of a million found m within a few points of them (ID exact 0.25, one edit 0.71, two 0.04;
name exact 0.64, homophone 0.28, one character 0.08; day-month 0.08; phone 0.58) and the u of the attribute
levels within a factor of two or three (the synthetic names concentrate more than real ones).
training="em" re-estimates them from the register — u by random sampling (5 million pairs, seeded), m by
expectation maximisation on the pairs sharing a phone and on those sharing name pinyin and birth date — for a
register whose data quality differs. It costs about 8 s more (at 20,000 members as at a million: the sampling
dominates) and needs duplicates enough to learn from; the rare identifier levels keep their u (random
sampling does not see them), the birth date's conditional level keeps its m and u, and the prior stays.

engine="duckdb" runs Splink's DuckDB API in memory, with threads capped to the CPUs this process may use and
extension auto-install off (no network). engine="spark" runs the same extract (`prepare`) and model
(`settings`: comparisons, blocking rules, prior) on Splink's SparkAPI (luoshi.analytics.spark: a cluster, or
local mode), for registers beyond one machine; Splink renders the same comparisons in Spark's SQL, with the
Damerau–Levenshtein function from the jar the splink wheel ships. Both give the same pairs, levels and
weights (tests/analytics/test_duplicates.py). Spark's metadata has no "duckdb_memory_bytes".
"""

import json
import math
import os
import time
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["COMPARISONS", "LEVELS", "find_duplicates"]


COMPARISONS = {
    "national_id": "National ID",
    "name": "Name",
    "birth_date": "Birth date",
    "phone": "Mobile phone",
}

# Expected share of records that are a second registration of someone (sets the prior).
EXPECTED_DUPLICATE_SHARE = 0.01

# Per comparison, its levels (most specific first, the last is "else"): (label, m, u) where u is None for the
# else level (one minus the others), for identifier levels given as c: u = c / (n − 1) (IDENTIFIER), and for
# CONDITIONAL levels conditional on the IDs being close.
LEVELS: dict[str, list[tuple[str, float, float | None]]] = {
    "national_id": [
        ("Exact match", 0.27, 1e-4),
        ("One character off, check digit fails", 0.67, 1e-3),
        ("Two characters off, check digit fails", 0.04, 0.02),
        ("Different", 0.02, None),
    ],
    "name": [
        ("Exact match", 0.62, 3e-4),
        ("Same pinyin (homophone)", 0.28, 1e-4),
        ("One character different", 0.08, 1e-2),
        ("Different", 0.02, None),
    ],
    "birth_date": [
        ("Same, as the close IDs already say", 0.92, 0.9),
        ("Exact match", 0.92, 4.5e-5),
        ("Day and month swapped, or within 3 days", 0.06, 3.2e-4),
        ("Different", 0.02, None),
    ],
    "phone": [
        ("Exact match", 0.60, 0.02),
        ("Different", 0.40, None),
    ],
}
# The (comparison, level index) whose u is c / (n − 1): identifiers, where a member has about c other people
# at that level whatever the register's size.
IDENTIFIER = {("national_id", 0), ("national_id", 1), ("national_id", 2), ("phone", 0)}
# Levels whose m and u are conditional and fixed: the birth date agreeing when the IDs are within two edits,
# which they mostly are for different people too (twins, namesakes born the same day: the birth date is in
# the ID) — counted by the ID comparison already, so its weight is about 0 (Fellegi–Sunter's independence
# would count it twice otherwise).
CONDITIONAL = {("birth_date", 0)}
NULL_LABEL = "Missing"

# The ID's characters (1-based, inclusive) masked by each blocking key; every two neighbours share a window.
ID_WINDOWS = ((1, 4), (4, 8), (8, 11), (11, 13), (13, 15), (15, 16), (16, 17), (17, 18))
# The blocking rules: the columns a pair must agree on (see the module's docstring).
BLOCKING_RULES = (
    *((f"id_k{k}",) for k in range(1, len(ID_WINDOWS) + 1)),
    ("phone",),
    ("name_pinyin", "birth_date"),
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 轩辕 呼延 "
    "万俟 闻人 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 钟离 赫连 第五".split()
)
# Surnames read otherwise than the character's common reading.
SURNAME_PINYIN = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "盖": "ge", "乐": "yue", "缪": "miao", "种": "chong", "覃": "qin", "翟": "zhai", "员": "yun",
    "祭": "zhai", "秘": "bi", "隗": "wei", "黑": "he", "尉迟": "yu chi", "万俟": "mo qi", "单于": "chan yu",
}  # fmt: skip


def find_duplicates(
    records: pa.Table, *, threshold: float = 0.9, engine: str = "duckdb", training: str = "fixed"
) -> pa.Table:
    """The candidate duplicate pairs of `records` with match probability ≥ `threshold` (see the module's
    docstring for the columns, the model and the options)."""
    if not 0 < threshold < 1:
        raise ValueError("threshold is a probability between 0 and 1")
    if training not in ("fixed", "em"):
        raise ValueError('training is "fixed" or "em"')
    if engine not in ("duckdb", "spark"):
        raise ValueError('engine is "duckdb" or "spark"')
    started = time.perf_counter()
    extract = prepare(records)
    prepared = time.perf_counter() - started
    run = _run_spark if engine == "spark" else _run_duckdb
    result, info = run(extract, settings(len(extract)), threshold, training)
    info["seconds"] = {"prepare": round(prepared, 3), **info["seconds"]}
    info.update(records=len(extract), threshold=threshold, engine=engine, training=training)
    return result.replace_schema_metadata({"duplicates": json.dumps(info)})


# --- the extract --------------------------------------------------------------------------------------------


def prepare(records: pa.Table) -> pa.Table:
    """The extract with the derived columns the comparisons and blocking rules use."""
    for column in ("id", "name", "national_id", "birth_date", "phone"):
        if column not in records.column_names:
            raise ValueError(f"the extract has no column {column!r}")

    def column(name: str) -> pa.Array:
        return records[name].combine_chunks().cast(pa.string())

    nid = pc.utf8_upper(pc.utf8_trim_whitespace(column("national_id")))
    nid = pc.if_else(pc.equal(nid, ""), pa.scalar(None, pa.string()), nid)
    shaped = pc.fill_null(pc.match_substring_regex(nid, r"^[0-9]{17}[0-9X]$"), False)
    digits = pc.if_else(shaped, nid, "0" * 18)
    total = None
    for i, weight in enumerate(_ID_WEIGHTS):
        term = pc.multiply(pc.cast(pc.utf8_slice_codeunits(digits, i, i + 1), pa.int64()), weight)
        total = term if total is None else pc.add(total, term)
    remainder = pc.subtract(total, pc.multiply(pc.divide(total, 11), 11))
    expected = pc.take(pa.array(list(_ID_CHECK)), remainder)
    id_valid = pc.and_(shaped, pc.equal(pc.utf8_slice_codeunits(digits, 17, 18), expected))
    eighteen = pc.fill_null(pc.equal(pc.utf8_length(nid), 18), False)
    keys = {}
    for k, (first, last) in enumerate(ID_WINDOWS, start=1):
        key = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(nid, 0, first - 1), pc.utf8_slice_codeunits(nid, last, 18), ""
        )
        keys[f"id_k{k}"] = pc.if_else(eighteen, key, pa.scalar(None, pa.string()))

    name = pc.replace_substring_regex(column("name"), r"[\s·•.]", "")
    name = pc.if_else(pc.equal(name, ""), pa.scalar(None, pa.string()), name)
    encoded = pc.dictionary_encode(name)  # pinyin once per distinct name
    readings = pa.array([_pinyin(n) for n in encoded.dictionary.to_pylist()], pa.string())
    name_pinyin = pc.take(readings, encoded.indices)

    phone = pc.replace_substring_regex(pc.fill_null(column("phone"), ""), r"\D", "")
    phone = pc.if_else(
        pc.and_(pc.equal(pc.utf8_length(phone), 13), pc.starts_with(phone, "86")),
        pc.utf8_slice_codeunits(phone, 2, 13),
        phone,
    )
    phone = pc.if_else(pc.equal(phone, ""), pa.scalar(None, pa.string()), phone)
    birth = records["birth_date"].combine_chunks().cast(pa.date32())
    return pa.table(
        {
            "id": records["id"].combine_chunks().cast(pa.int64()),
            "national_id": nid,
            "id_valid": id_valid,
            **keys,
            "name": name,
            "name_pinyin": name_pinyin,
            "birth_date": birth,
            "phone": phone,
        }
    )


@lru_cache(maxsize=1 << 16)
def _syllables(text: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text)).lower()


def _pinyin(name: str | None) -> str | None:
    """The name's pinyin without tones, syllables apart: 张玮 → "zhang wei"; the surname read as a surname.
    Read per surname and per given name (far fewer distinct than names), each cached."""
    if name is None:
        return None
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    surname_py = SURNAME_PINYIN.get(surname) or _syllables(surname)
    given = name[len(surname) :]
    return f"{surname_py} {_syllables(given)}" if given else surname_py


# --- the model (engine-independent) -------------------------------------------------------------------------


def settings(n: int):
    """Splink's SettingsCreator for a register of n records: comparisons with their m and u, blocking rules,
    the prior. No SQL dialect is fixed here; Splink renders it for the engine."""
    import splink.comparison_level_library as cll
    from splink import SettingsCreator, block_on
    from splink.comparison_library import CustomComparison

    pairs_per_record = max(n - 1, 1)

    def levels(comparison, conditions):
        spec = LEVELS[comparison]
        given = [
            (u / pairs_per_record if (comparison, i) in IDENTIFIER else u) for i, (_, _, u) in enumerate(spec)
        ]
        given[-1] = 1.0 - sum(u for i, u in enumerate(given[:-1]) if (comparison, i) not in CONDITIONAL)
        out = [cll.NullLevel(conditions[0]).configure(label_for_charts=NULL_LABEL)]
        for i, (condition, (label, m, _)) in enumerate(zip(conditions[1:], spec, strict=True)):
            out.append(
                condition.configure(
                    label_for_charts=label,
                    m_probability=m,
                    u_probability=given[i],
                    # random sampling cannot see the rare identifier levels: their u stays as set
                    fix_u_probability=(comparison, i) in IDENTIFIER | CONDITIONAL,
                    fix_m_probability=(comparison, i) in CONDITIONAL,
                )
            )
        return CustomComparison(
            out, output_column_name=comparison, comparison_description=COMPARISONS[comparison]
        )

    id_fails = cll.CustomLevel("NOT (coalesce(id_valid_l, false) AND coalesce(id_valid_r, false))")
    comparisons = [
        levels(
            "national_id",
            [
                "national_id",
                cll.ExactMatchLevel("national_id"),
                cll.And(cll.DamerauLevenshteinLevel("national_id", 1), id_fails),
                cll.And(cll.DamerauLevenshteinLevel("national_id", 2), id_fails),
                cll.ElseLevel(),
            ],
        ),
        levels(
            "name",
            [
                "name",
                cll.ExactMatchLevel("name"),
                cll.ExactMatchLevel("name_pinyin"),
                cll.LevenshteinLevel("name", 1),
                cll.ElseLevel(),
            ],
        ),
        levels(
            "birth_date",
            [
                "birth_date",
                cll.And(cll.ExactMatchLevel("birth_date"), cll.DamerauLevenshteinLevel("national_id", 2)),
                cll.ExactMatchLevel("birth_date"),
                cll.CustomLevel(
                    "(month(birth_date_l) = day(birth_date_r) AND day(birth_date_l) = month(birth_date_r)"
                    " AND year(birth_date_l) = year(birth_date_r))"
                    " OR abs(date_diff('day', birth_date_l, birth_date_r)) <= 3",
                    base_dialect_str="duckdb",
                ),
                cll.ElseLevel(),
            ],
        ),
        levels("phone", ["phone", cll.ExactMatchLevel("phone"), cll.ElseLevel()]),
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on(*columns) for columns in BLOCKING_RULES],
        probability_two_random_records_match=_prior(n),
        retain_matching_columns=True,  # the gamma_ (level) columns …
        retain_intermediate_calculation_columns=True,  # … and the mw_ (match weight) columns
        comparison_vector_value_column_prefix="gamma_",
        match_weight_column_prefix="mw_",
    )


def _prior(n: int) -> float:
    """The probability that two records drawn at random are the same person's."""
    return min(0.5, 2 * EXPECTED_DUPLICATE_SHARE / max(n - 1, 1))


def _train_em(linker) -> None:
    from splink import block_on

    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_pinyin", "birth_date"))


# --- DuckDB -------------------------------------------------------------------------------------------------


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _run_duckdb(extract: pa.Table, settings_creator, threshold: float, training: str):
    import duckdb
    from splink import DuckDBAPI, Linker

    con = duckdb.connect(
        ":memory:",
        config={
            "threads": _threads(),
            "autoinstall_known_extensions": False,  # never fetch anything over the network
            "preserve_insertion_order": False,
        },
    )
    try:
        timings = {}
        started = time.perf_counter()
        con.register("extract_arrow", extract)
        con.sql("CREATE TABLE members AS SELECT * FROM extract_arrow")
        con.unregister("extract_arrow")
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register("members"), settings_creator, log_level=None)
        timings["load"] = time.perf_counter() - started
        by_rule, predictions = _predict(
            linker, threshold, training, timings, lambda sql: con.sql(sql).fetchall()
        )
        started = time.perf_counter()
        memory = con.sql("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0][0]
        result = con.sql(_review_sql(predictions.physical_name)).to_arrow_table()
        timings["scoring"] += time.perf_counter() - started
        info = _info(len(extract), by_rule, timings)
        info.update(duckdb_memory_bytes=int(memory or 0), threads=_threads())
        return result, info
    finally:
        con.close()


# --- Spark --------------------------------------------------------------------------------------------------


def _run_spark(extract: pa.Table, settings_creator, threshold: float, training: str):
    import pyarrow.parquet as pq
    from splink import Linker, SparkAPI

    from luoshi.analytics import spark as engine

    spark = engine.session()
    with engine.workdir() as folder:
        timings = {}
        started = time.perf_counter()
        pq.write_table(extract, f"{folder}/members.parquet")
        members = spark.read.parquet(f"{folder}/members.parquet")
        spark.sparkContext.setCheckpointDir(f"{folder}/checkpoints")
        db_api = SparkAPI(spark_session=spark, break_lineage_method="parquet")
        linker = Linker(db_api.register(members), settings_creator, log_level=None)
        timings["load"] = time.perf_counter() - started
        by_rule, predictions = _predict(
            linker, threshold, training, timings, lambda sql: spark.sql(sql).collect()
        )
        started = time.perf_counter()
        result = spark.sql(_review_sql(predictions.physical_name)).toArrow()
        timings["scoring"] += time.perf_counter() - started
        # Spark's Arrow gives int64 / double / string as DuckDB's does; the same schema, field for field
        result = result.cast(_review_schema())
        return result, _info(len(extract), by_rule, timings)


# --- both engines -------------------------------------------------------------------------------------------


def _predict(linker, threshold: float, training: str, timings: dict, fetch):
    """EM training if asked; the blocked pairs counted per blocking rule (`fetch` runs SQL on the engine); the
    predictions above `threshold` (Splink's table). The steps' times go into `timings`."""
    if training == "em":
        started = time.perf_counter()
        _train_em(linker)
        timings["training"] = time.perf_counter() - started
    started = time.perf_counter()
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    by_rule = dict(fetch(f"SELECT match_key, count(*) FROM {blocked.physical_name} GROUP BY match_key"))
    timings["blocking"] = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    blocked.drop_table_from_database_and_remove_from_cache()
    timings["scoring"] = time.perf_counter() - started
    return by_rule, predictions


def _info(n: int, by_rule: dict, timings: dict) -> dict:
    prior = _prior(n)
    return {
        "comparisons": sum(by_rule.values()),
        "comparisons_by_rule": {
            "+".join(BLOCKING_RULES[int(k)]): v for k, v in sorted(by_rule.items(), key=lambda kv: int(kv[0]))
        },
        "prior_weight": math.log2(prior / (1 - prior)),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }


def _review_sql(predictions: str) -> str:
    """The predictions as the review queue's rows: ids, probability, weight, and per comparison its level's
    label and match weight; strongest first (ties by ids, so the order is stable). Splink numbers a
    comparison's levels from the most specific, k − 1 … 0, and a null level −1. Plain SQL that DuckDB and
    Spark read alike."""
    columns = ["id_l", "id_r", "match_probability", "match_weight"]
    for comparison, spec in LEVELS.items():
        labels = [(-1, NULL_LABEL)] + [(len(spec) - 1 - i, label) for i, (label, _, _) in enumerate(spec)]
        cases = " ".join(f"WHEN {gamma} THEN '{label}'" for gamma, label in labels)
        columns.append(f"CASE gamma_{comparison} {cases} END AS {comparison}_level")
        columns.append(f"CAST(mw_{comparison} AS DOUBLE) AS {comparison}_weight")
    return f"SELECT {', '.join(columns)} FROM {predictions} ORDER BY match_weight DESC, id_l, id_r"


def _review_schema() -> pa.Schema:
    fields = [
        ("id_l", pa.int64()),
        ("id_r", pa.int64()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
    ]
    for comparison in LEVELS:
        fields += [(f"{comparison}_level", pa.string()), (f"{comparison}_weight", pa.float64())]
    return pa.schema(fields)
