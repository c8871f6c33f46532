"""一表通: the quarterly workbook agrees with quarter_table and with the six-unification marks. This month's plan:
b1 holds it completely (and a committee meeting with two absent), b2 leaves out a required item and says why, b3
holds nothing."""

import io

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from luoshi.orglife import selectors, services
from luoshi.orglife.excel import quarter_workbook
from luoshi.orglife.models import AbsenceReason, AgendaItem, MeetingKind
from luoshi.orglife.periods import period_of

HEADER_ROW = 3
KIND_COLUMNS = {kind: 5 + n for n, kind in enumerate(MeetingKind.values)}  # E.. after street..code
ROLL, PRESENT, RATE, THEME_DAYS, COMPLIANT = range(5 + len(MeetingKind.values), 10 + len(MeetingKind.values))


@pytest.fixture
def quarter(life):
    w, plan = life.world, life.plan
    day = plan.window_start
    evening = life.at(day, 20)  # recorded the same evening: none of them late
    services.meeting_record(by=w.users["branch_secretary"], branch=w.b1, data=life.data("b1"), now=evening)
    services.supervision_record(
        plan=plan, branch=w.b1, by=w.users["inspector"], visited_on=day, items_seen=plan.required_items
    )
    zhang, li, wang, liu = life.members["b1"]
    services.meeting_record(
        by=w.users["branch_secretary"],
        branch=w.b1,
        data=life.data(
            "b1",
            kind=MeetingKind.COMMITTEE_MEETING,
            plan=None,
            topic="研究本月工作",
            agenda=(AgendaItem.DISCUSSION,),
            attendance={
                zhang.pk: (True, ""),
                li.pk: (True, ""),
                wang.pk: (False, AbsenceReason.SICK),
                liu.pk: (False, AbsenceReason.MOBILE),
            },
        ),
        now=evening,
    )
    chen, yang, zhao = life.members["b2"]
    services.meeting_record(
        by=w.users["org_officer"],
        branch=w.b2,
        data=life.data(
            "b2",
            agenda=(AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT),
            omission_note="连日大雨，志愿服务改期",
            attendance={chen.pk: (True, ""), yang.pk: (True, ""), zhao.pk: (False, AbsenceReason.WORK)},
        ),
        now=evening,
    )
    return period_of("quarter", timezone.localdate())


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def rows_by_label(ws) -> dict:
    """Branch rows by organization code, total rows by their label."""
    out = {}
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        out[row[3] or row[2]] = row
    return out


def test_the_workbook_agrees_with_quarter_table_and_the_marks(life, quarter):
    w = life.world
    start, end = quarter
    marks = {m.branch.code: m for m in selectors.compliance(life.plan)}
    assert marks["B1"].complete
    assert marks["B2"].ok["standard"] is False and "连日大雨" in marks["B2"].why["standard"]
    assert marks["B3"].meeting is None

    table = {r.branch.code: r for r in selectors.quarter_table(w.district, start, end)}
    ws = sheet_of(quarter_workbook(w.district, start, end))
    rows = rows_by_label(ws)
    for code, expected in table.items():
        row = rows[code]
        assert row[2] == expected.branch.name
        for kind, column in KIND_COLUMNS.items():
            assert row[column - 1] == expected.held[kind], (code, kind)
        assert row[ROLL - 1] == expected.roll
        assert row[PRESENT - 1] == expected.present
        assert row[THEME_DAYS - 1] == expected.theme_days
        assert row[COMPLIANT - 1] == expected.compliant == int(marks[code].complete)
        if expected.roll:
            assert row[RATE - 1] == pytest.approx(expected.attendance_rate)
        else:
            assert row[RATE - 1] is None  # no meeting: no rate, rather than 0 %

    b1, b2, b3 = rows["B1"], rows["B2"], rows["B3"]
    assert (b1[0], b1[1]) == (w.s1.name, w.c1.name) and (b3[0], b3[1]) == (w.s2.name, w.c2.name)
    theme, committee = (
        KIND_COLUMNS[MeetingKind.THEME_DAY] - 1,
        KIND_COLUMNS[MeetingKind.COMMITTEE_MEETING] - 1,
    )
    assert (b1[theme], b1[committee], b1[ROLL - 1], b1[PRESENT - 1]) == (1, 1, 8, 6)
    assert b1[RATE - 1] == pytest.approx(0.75)
    assert (b2[theme], b2[committee], b2[RATE - 1], b2[COMPLIANT - 1]) == (1, 0, pytest.approx(2 / 3), 0)
    assert (b3[theme], b3[THEME_DAYS - 1], b3[COMPLIANT - 1]) == (0, 0, 0)


def test_totals_per_community_street_and_all(life, quarter):
    w = life.world
    start, end = quarter
    ws = sheet_of(quarter_workbook(w.district, start, end))
    labels = [row[3] or row[2] for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    total = gettext("Total of %(unit)s")
    assert labels == [
        "B1",
        "B2",
        total % {"unit": w.c1.name},
        total % {"unit": w.s1.name},
        "B3",
        total % {"unit": w.c2.name},
        total % {"unit": w.s2.name},
        gettext("Grand total"),
    ]
    rows = rows_by_label(ws)
    c1 = rows[total % {"unit": w.c1.name}]
    assert (c1[0], c1[1]) == (w.s1.name, w.c1.name)
    assert rows[total % {"unit": w.s1.name}][:2] == (w.s1.name, None)
    theme = KIND_COLUMNS[MeetingKind.THEME_DAY] - 1
    assert (c1[theme], c1[ROLL - 1], c1[PRESENT - 1], c1[THEME_DAYS - 1], c1[COMPLIANT - 1]) == (
        2,
        11,
        8,
        2,
        1,
    )
    assert c1[RATE - 1] == pytest.approx(8 / 11)
    c2 = rows[total % {"unit": w.c2.name}]
    assert (c2[theme], c2[ROLL - 1], c2[RATE - 1], c2[COMPLIANT - 1]) == (0, 0, None, 0)
    grand = rows[gettext("Grand total")]
    assert grand[:4] == (None, None, gettext("Grand total"), None)
    assert (grand[theme], grand[THEME_DAYS - 1], grand[COMPLIANT - 1]) == (2, 2, 1)
    assert grand[RATE - 1] == pytest.approx(8 / 11)


def test_a_street_table_has_its_title_header_and_frozen_panes(life, quarter):
    w = life.world
    start, end = quarter
    ws = sheet_of(quarter_workbook(w.s1, start, end))
    period = gettext("Q%(quarter)d %(year)d") % {"quarter": (start.month + 2) // 3, "year": start.year}
    assert w.s1.name in ws["A1"].value and period in ws["A1"].value
    assert ws["A1"].font.bold
    assert ws.freeze_panes == f"E{HEADER_ROW + 1}"
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[:4] == [
        gettext("Street"),
        gettext("Community"),
        gettext("Branch"),
        gettext("Organization code"),
    ]
    assert header[4 : 4 + len(MeetingKind.values)] == [str(label) for _k, label in MeetingKind.choices]
    assert header[RATE - 1] == gettext("Attendance rate")
    assert all(c.font.bold for c in ws[HEADER_ROW])
    assert ws.column_dimensions["C"].width >= 20
    rows = rows_by_label(ws)
    # the street's own total would repeat the grand total: only the community's, and b3 is not the street's
    assert list(rows) == [
        "B1",
        "B2",
        gettext("Total of %(unit)s") % {"unit": w.c1.name},
        gettext("Grand total"),
    ]
    assert ws.cell(row=HEADER_ROW + 1, column=RATE).number_format == "0.0%"
