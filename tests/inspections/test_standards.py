"""Standards as data: the shipped ones load and score each item type; a broken file is refused whole."""

from decimal import Decimal

import pytest

from luoshi.core.errors import ServiceError
from luoshi.inspections.models import Standard, StandardItem
from luoshi.inspections.standards import score_item, standard_load_yaml, total_score


def item(standard, code):
    return StandardItem.objects.get(section__standard=standard, code=code)


def test_three_shipped_standards(standards):
    assert set(standards) == {"service-center", "work-style", "branch-records"}
    assert all(s.version == 1 for s in standards.values())
    assert StandardItem.objects.filter(section__standard=standards["service-center"]).count() == 12


def test_each_item_type_scores(standards):
    center, style = standards["service-center"], standards["work-style"]
    area = item(center, "A1")  # threshold: at least 300 m²
    assert score_item(area, 320).fraction == 1 and not score_item(area, 320).failed
    assert score_item(area, 299.5).failed and score_item(area, 299.5).fraction == 0
    rooms = item(center, "A2")  # points 0..10, 6 to pass
    assert score_item(rooms, 7).fraction == Decimal("0.7") and not score_item(rooms, 7).failed
    assert score_item(rooms, 5).failed
    sign = item(center, "B1")  # pass/fail
    assert score_item(sign, 1).fraction == 1 and score_item(sign, 0).failed
    waiting = item(style, "B2")  # at most 20 minutes
    assert not score_item(waiting, 15).failed and score_item(waiting, 25).failed
    for bad_item, bad in ((rooms, 11), (rooms, 2.5), (sign, 2), (area, -1), (area, "很大")):
        with pytest.raises(ServiceError):
            score_item(bad_item, bad)
    assert total_score([(Decimal(10), Decimal(1)), (Decimal(30), Decimal("0.5"))]) == Decimal("62.5")


def test_a_broken_file_is_refused_whole(standards):
    broken = """
code: service-center
name: 新版
sections:
  - title: 场所
    items:
      - {code: X1, text: 面积, scoring: threshold}
      - {code: X2, text: 标识, scoring: stars}
      - {code: X3, text: 布局, scoring: points, max: 10, pass: 12}
"""
    with pytest.raises(ServiceError) as refused:
        standard_load_yaml(broken)
    message = str(refused.value.message)
    assert "X1" in message and "X2" in message and "X3" in message
    assert Standard.objects.filter(code="service-center").count() == 1
    good = broken.replace("scoring: threshold}", "scoring: threshold, threshold: 300}")
    good = good.replace("stars", "pass_fail").replace("pass: 12", "pass: 6")
    second = standard_load_yaml(good)
    assert second.version == 2 and Standard.objects.get(code="service-center", version=1).name != second.name


def test_excel_round_trip_makes_the_next_version(world, standards, login):
    import io

    from openpyxl import load_workbook

    admin = login(world.users["district_admin"])
    exported = admin.get(f"/inspections/standards/{standards['work-style'].pk}/standard.xlsx")
    wb = load_workbook(io.BytesIO(exported.content))
    assert wb["检查项"]["C2"].value.startswith("工作时间在岗在位")
    wb["检查项"]["J2"] = 20  # A1 weighs more in the next version
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "作风纪律.xlsx"
    loaded = admin.post("/inspections/standards/", {"file": out})
    assert loaded.status_code == 302
    second = Standard.objects.get(code="work-style", version=2)
    assert (
        item(second, "A1").weight == 20 and item(standards["work-style"], "A1").weight == 15
    )  # v1 unchanged
    # a broken row: refused whole, nothing saved, every problem listed
    wb["检查项"]["D3"] = "星级"
    wb["检查项"]["E4"] = -1
    broken = io.BytesIO()
    wb.save(broken)
    broken.seek(0)
    broken.name = "broken.xlsx"
    refused = admin.post("/inspections/standards/", {"file": broken})
    assert refused.status_code == 400 and "A2" in refused.content.decode()
    assert Standard.objects.filter(code="work-style").count() == 2
    # loading is for the district administrator only
    assert (
        login(world.users["org_officer"]).post("/inspections/standards/", {"file": broken}).status_code == 404
    )
    assert admin.get("/inspections/standards/template.xlsx").status_code == 200
