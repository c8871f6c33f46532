"""The duplicate-registration search (luoshi.analytics.duplicates) on a synthetic register of 20,000 members
with known duplicates (luoshi.analytics.synthetic) and a few planted look-alikes: precision and recall, the
review columns, the namesakes and twins left alone, determinism, no network."""

import contextlib
import json
import socket
from datetime import date

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from luoshi.analytics import duplicates, synthetic
from luoshi.analytics.duplicates import COMPARISONS, LEVELS, find_duplicates
from luoshi.orgs.idcard import check_digit

N = 20_000


def valid_id(first17: str) -> str:
    return first17 + check_digit(first17)


def mistype(national_id: str, position: int) -> str:
    digit = str((int(national_id[position]) + 3) % 10)
    return national_id[:position] + digit + national_id[position + 1 :]


# Planted records (an area code the generator never uses, so nothing else comes near them), ids after N:
A = valid_id("65900119750308123")
PLANTED = [
    # the same man twice: the ID mistyped in the birth date, 伟 written 玮, a new phone, another branch
    (N + 1, "张伟", "M", A, date(1975, 3, 8), "13800000001", 1),
    (N + 2, "张玮", "M", mistype(A, 9), date(1975, 3, 8), "13900000002", 2),
    # namesakes: different IDs, birth dates and phones
    (N + 3, "李娜", "F", valid_id("65900119800501024"), date(1980, 5, 1), "13800000003", 3),
    (N + 4, "李娜", "F", valid_id("65900219801123046"), date(1980, 11, 23), "13800000004", 3),
    # namesakes born the same day in the same area: their IDs differ only in the sequence number
    (N + 5, "王芳", "F", valid_id("65900119660214002"), date(1966, 2, 14), "13800000005", 4),
    (N + 6, "王芳", "F", valid_id("65900119660214046"), date(1966, 2, 14), "13800000006", 5),
    # twins: same area and birth date, sequence numbers two apart, a character in common
    (N + 7, "陈子涵", "M", valid_id("65900120010917101"), date(2001, 9, 17), "13800000007", 6),
    (N + 8, "陈子轩", "M", valid_id("65900120010917103"), date(2001, 9, 17), "13800000008", 6),
]
COLUMNS = ["id", "name", "sex", "national_id", "birth_date", "phone", "organization_id"]
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("sex", pa.string()),
        ("national_id", pa.string()),
        ("birth_date", pa.date32()),
        ("phone", pa.string()),
        ("organization_id", pa.int64()),
    ]
)


def planted() -> pa.Table:
    return pa.Table.from_pylist([dict(zip(COLUMNS, row, strict=True)) for row in PLANTED], schema=SCHEMA)


def pairs(result: pa.Table) -> set[frozenset[int]]:
    return {frozenset(p) for p in zip(result["id_l"].to_pylist(), result["id_r"].to_pylist(), strict=True)}


class NetworkUsed(AssertionError):
    pass


@contextlib.contextmanager
def network_refused():
    """Any attempt to open a connection or resolve a name fails."""

    def refuse(*args, **kwargs):
        raise NetworkUsed(f"network use: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture
def no_network():
    with network_refused():
        yield


@pytest.fixture(scope="module")
def register():
    records, truth = synthetic.register(N, duplicate_rate=0.02, seed=7)
    return pa.concat_tables([records, planted()]), truth | {frozenset((N + 1, N + 2))}


@pytest.fixture(scope="module")
def result(register):
    records, _ = register
    with network_refused():
        return find_duplicates(records)


def test_precision_and_recall(register, result):
    _, truth = register
    found = pairs(result)
    right = len(found & truth)
    precision, recall = right / len(found), right / len(truth)
    assert len(truth) == N * 0.02 + 1
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall


def test_a_typo_and_a_homophone_are_found_with_what_contributed(result):
    rows = [r for r in result.to_pylist() if (r["id_l"], r["id_r"]) == (N + 1, N + 2)]
    assert len(rows) == 1
    row = rows[0]
    assert row["match_probability"] >= 0.9
    assert row["national_id_level"] == "One character off, check digit fails"
    assert row["name_level"] == "Same pinyin (homophone)"
    assert row["phone_level"] == "Different"
    # the birth date is in the ID, which has counted it: it adds about nothing
    assert row["birth_date_level"] == "Same, as the close IDs already say"
    assert row["national_id_weight"] > 10 and row["name_weight"] > 5
    assert row["phone_weight"] < 0 and abs(row["birth_date_weight"]) < 0.5
    prior = json.loads(result.schema.metadata[b"duplicates"])["prior_weight"]
    contributions = sum(row[f"{c}_weight"] for c in COMPARISONS)
    assert row["match_weight"] == pytest.approx(prior + contributions)


def test_the_result_columns(result):
    assert result.column_names[:4] == ["id_l", "id_r", "match_probability", "match_weight"]
    assert result.column_names[4:] == [f"{c}_{x}" for c in COMPARISONS for x in ("level", "weight")]
    assert all(result["id_l"][i].as_py() < result["id_r"][i].as_py() for i in range(len(result)))
    weights = result["match_weight"].to_pylist()
    assert weights == sorted(weights, reverse=True)
    labels = {c: {label for label, _, _ in levels} | {"Missing"} for c, levels in LEVELS.items()}
    for c in COMPARISONS:
        assert set(result[f"{c}_level"].to_pylist()) <= labels[c]
    info = json.loads(result.schema.metadata[b"duplicates"])
    assert info["records"] == N + len(PLANTED)
    assert info["comparisons"] == sum(info["comparisons_by_rule"].values()) >= len(result)
    assert info["training"] == "fixed" and info["engine"] == "duckdb"


def test_namesakes_and_twins_are_not_flagged(result):
    found = pairs(result)
    for a, b in ((N + 3, N + 4), (N + 5, N + 6), (N + 7, N + 8)):
        assert frozenset((a, b)) not in found
    planted_ids = set(range(N + 3, N + 9))
    assert not [p for p in found if p & planted_ids]


def test_the_same_twice(register, result):
    records, _ = register
    again = find_duplicates(records)
    assert again.replace_schema_metadata(None).equals(result.replace_schema_metadata(None))


def test_spark_gives_the_same_pairs_as_duckdb(register, result, spark):
    """The same extract and model on Splink's SparkAPI (local mode): the same pairs, levels and weights."""
    records, _ = register
    sparked = find_duplicates(records, engine="spark")
    assert sparked.schema.remove_metadata() == result.schema.remove_metadata()
    assert sparked.column_names == result.column_names
    for name in sparked.column_names:
        theirs, ours = sparked[name].to_pylist(), result[name].to_pylist()
        if name.endswith(("probability", "weight")):
            assert theirs == pytest.approx(ours, rel=1e-9), name
        else:
            assert theirs == ours, name
    info = json.loads(sparked.schema.metadata[b"duplicates"])
    assert info["engine"] == "spark"
    assert info["comparisons"] == json.loads(result.schema.metadata[b"duplicates"])["comparisons"]


def test_no_network_and_no_extension_downloads(monkeypatch, no_network):
    configs = []
    connect = duckdb.connect

    def spy(*args, **kwargs):
        configs.append(kwargs.get("config", {}))
        return connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", spy)
    result = find_duplicates(planted())
    assert frozenset((N + 1, N + 2)) in pairs(result)
    # ours; Splink's DatabaseAPI also opens an idle in-memory connection of its own, which runs nothing
    assert configs[0]["autoinstall_known_extensions"] is False


def test_em_training_finds_them_too(register, no_network):
    records, truth = register
    result = find_duplicates(records, training="em")
    found = pairs(result)
    right = len(found & truth)
    assert right / len(found) >= 0.95 and right / len(truth) >= 0.95
    assert json.loads(result.schema.metadata[b"duplicates"])["training"] == "em"


def test_engines_and_options():
    with pytest.raises(ValueError):
        find_duplicates(planted(), engine="sqlite")
    with pytest.raises(ValueError):
        find_duplicates(planted(), training="guess")
    with pytest.raises(ValueError):
        find_duplicates(planted(), threshold=1.5)
    with pytest.raises(ValueError, match="phone"):
        find_duplicates(planted().drop_columns(["phone"]))


# --- the extract --------------------------------------------------------------------------------------------


def test_the_id_windows_hold_every_two_neighbours():
    for first in range(1, 18):
        assert any(a <= first and first + 1 <= b for a, b in duplicates.ID_WINDOWS), first


ids = st.builds(
    lambda area, birth, seq: valid_id(f"{area}{birth:%Y%m%d}{seq:03d}"),
    st.sampled_from(synthetic.AREA_CODES),
    st.dates(date(1930, 1, 1), date(2010, 12, 31)),
    st.integers(0, 999),
)


def one_row_each(*national_ids: str) -> pa.Table:
    n = len(national_ids)
    return pa.table(
        {
            "id": pa.array(range(1, n + 1), pa.int64()),
            "name": ["张伟"] * n,
            "national_id": list(national_ids),
            "birth_date": pa.array([date(1980, 1, 1)] * n, pa.date32()),
            "phone": [None] * n,
        }
    )


@settings(max_examples=150, deadline=None)
@given(ids, st.integers(0, 17), st.integers(1, 9), st.booleans())
def test_one_typo_or_swap_keeps_a_blocking_key_and_breaks_the_check_digit(national_id, position, shift, swap):
    if swap:
        position = min(position, 16)
        if national_id[position] == national_id[position + 1]:
            return
        chars = list(national_id)
        chars[position], chars[position + 1] = chars[position + 1], chars[position]
        corrupted = "".join(chars)
    else:
        alphabet = "0123456789X" if position == 17 else "0123456789"
        index = (alphabet.index(national_id[position]) + shift) % len(alphabet)
        corrupted = national_id[:position] + alphabet[index] + national_id[position + 1 :]
    extract = duplicates.prepare(one_row_each(national_id, corrupted)).to_pylist()
    keys = [k for k in extract[0] if k.startswith("id_k")]
    assert any(extract[0][k] == extract[1][k] for k in keys)
    assert extract[0]["id_valid"] and not extract[1]["id_valid"]


@settings(max_examples=100, deadline=None)
@given(st.text("0123456789X", min_size=16, max_size=19))
def test_the_check_digit_as_the_register_checks_it(national_id):
    expected = (
        len(national_id) == 18
        and national_id[:17].isdigit()
        and national_id[17] == check_digit(national_id[:17])
    )
    assert duplicates.prepare(one_row_each(national_id)).to_pylist()[0]["id_valid"] is expected


def test_the_extract_normalises():
    table = pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "name": [" 张 伟 ", "单雄", "欧阳娜娜", "古丽·买提"],
            "national_id": [" 65900119750308123x ", "", None, "123"],
            "birth_date": pa.array([date(1975, 3, 8)] * 4, pa.date32()),
            "phone": ["+86 138-0000-0001", "", None, "13800000004"],
        }
    )
    rows = duplicates.prepare(table).to_pylist()
    assert [r["name"] for r in rows] == ["张伟", "单雄", "欧阳娜娜", "古丽买提"]
    assert [r["name_pinyin"] for r in rows] == ["zhang wei", "shan xiong", "ou yang na na", "gu li mai ti"]
    assert [r["national_id"] for r in rows] == ["65900119750308123X", None, None, "123"]
    assert [r["phone"] for r in rows] == ["13800000001", None, None, "13800000004"]
    assert rows[3]["id_k1"] is None and rows[3]["id_valid"] is False


# --- the synthetic register ---------------------------------------------------------------------------------


def test_homophones_share_their_pinyin():
    for group in synthetic.HOMOPHONES:
        assert len({lazy_pinyin(c)[0] for c in group}) == 1, group


def test_the_synthetic_register(register):
    records, truth = register
    generated = records.slice(0, N)
    assert generated["id"].to_pylist() == list(range(1, N + 1))
    extract = duplicates.prepare(generated)
    valid = dict(zip(extract["id"].to_pylist(), extract["id_valid"].to_pylist(), strict=True))
    ids = dict(zip(extract["id"].to_pylist(), extract["national_id"].to_pylist(), strict=True))
    second = set()
    for pair in truth - {frozenset((N + 1, N + 2))}:
        a, b = sorted(pair)
        if ids[a] != ids[b]:  # a corrupted ID never passes the check; the person's own always does
            assert valid[a] != valid[b]
            second.add(a if not valid[a] else b)
    assert all(valid[i] for i in valid if i not in second)
    names = generated["name"].to_pylist()
    assert sum(name in ("张伟", "李伟", "王伟") for name in names) > 50  # the common names are common
    assert len(set(names)) < 0.7 * N
    small, small_truth = synthetic.register(2_000, seed=7)
    assert small.equals(synthetic.register(2_000, seed=7)[0]) and len(small_truth) == 40
