"""The roll-up's arithmetic at the edges a unit would query: halves rounded up to the hundredth, penalties
that never go below zero, nothing due earning the full points, a missing entered score."""

from decimal import Decimal

from luoshi.assessment.rollup import roll_up, standings_of
from luoshi.core.indicators import Measure


def leaves_of(scheme):
    return {i.code: i for i in scheme.indicators.all() if i.source}


def test_points_round_half_up_and_stay_between_zero_and_the_weight(world, scheme):
    leaves = leaves_of(scheme)
    a, b, c = (world.orgs[k].pk for k in ("b1", "b2", "b3"))
    measured = {
        # A, 40 points: 1 of 32 on time is 1.25; 7 of 64 is 4.375 → 4.38; nothing due → 40
        "A": {a: Measure(1, 32), b: Measure(7, 64)},
        # B, 30 points: 1 of 3 is 10.00 (not 9.99 nor 10.01)
        "B": {a: Measure(1, 3)},
        # C, 10 points less 5 per escalation: 1 → 5, 3 → 0 (never below zero)
        "C": {a: Measure(1, 1), b: Measure(3, 3)},
        "V": {},
    }
    entered = {"D": {}}
    per_org, standings = roll_up(scheme, list(leaves.values()), [a, b, c], measured, entered)
    assert per_org[a]["A"][0] == "1.25"
    assert per_org[b]["A"][0] == "4.38"
    assert per_org[c]["A"][:3] == ["40.00", 0, 0]
    assert per_org[a]["B"][0] == "10.00"
    assert per_org[a]["C"][0] == "5.00" and per_org[b]["C"][0] == "0.00"
    assert per_org[a]["D"] == ["0.00", None, None, "missing"]
    # totals: a 1.25 + 10 + 5 = 16.25; b 4.38 + 30 + 0 = 34.38; c 40 + 30 + 10 = 80
    assert standings[a].total == Decimal("16.25")
    assert standings[b].total == Decimal("34.38")
    assert (standings[c].total, standings[c].grade, standings[c].rank) == (Decimal("80.00"), "较好", 1)
    assert (standings[b].rank, standings[a].rank) == (2, 3)


def test_equal_totals_share_a_rank_and_a_breach_caps_the_grade(world, scheme):
    a, b, c = (world.orgs[k].pk for k in ("b1", "b2", "b3"))
    full = {"A": ["40.00", 1, 1, ""], "B": ["30.00", 0, 0, ""], "C": ["10.00", 0, 0, ""]}
    per_org = {
        a: {**full, "D": ["20.00", None, None, "manual"], "V": ["0.00", 1, 1, ""]},
        b: {**full, "D": ["20.00", None, None, "manual"], "V": ["0.00", 1, 1, "breached"]},
        c: {**full, "D": ["15.00", None, None, "manual"], "V": ["0.00", 0, 0, ""]},
    }
    standings = standings_of(scheme, per_org)
    assert [standings[o].rank for o in (a, b, c)] == [1, 1, 3]
    assert [standings[o].grade for o in (a, b, c)] == ["好", "一般", "好"]
    assert standings[b].vetoed and not standings[a].vetoed
