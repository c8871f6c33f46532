"""A scheme typed with a mistake is refused with the line and the problem in Chinese — never PyYAML's English —
and nothing is saved; the page keeps the text as typed."""

import pytest

from luoshi.assessment.models import Scheme
from luoshi.assessment.schemes import SchemeRefused, scheme_load_yaml

from .conftest import SCHEME

GOOD = SCHEME.format(year=2026)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def refused(world, text: str) -> list[str]:
    with pytest.raises(SchemeRefused) as caught:
        scheme_load_yaml(text, issuer=world.district)
    assert not Scheme.objects.exists()
    return caught.value.errors


def test_broken_yaml_names_the_line_in_chinese(world):
    cases = {
        # a colon inside a name: PyYAML says "mapping values are not allowed here"
        "name: 党支部考核（测试）": ("name: 党支部考核：测试: 二", "冒号"),
        # a list item indented wrongly
        "  - {name: 较好, from: 80}": (" - {name: 较好, from: 80}", "缩进"),
        # a flow mapping never closed
        "  - {code: B, name: 按期整改, points: 30, source: inspections.rectified_on_time}": (
            "  - {code: B, name: 按期整改, points: 30, source: inspections.rectified_on_time",
            "花括号",
        ),
        "veto_cap: 一般": ("veto_cap: 一般\n\tnote: x", "制表符"),
    }
    for original, (broken, says) in cases.items():
        text = GOOD.replace(original, broken)
        line = line_of(text, broken.splitlines()[-1].strip())
        [error] = refused(world, text)
        assert error.startswith(f"第 {line} 行："), (error, line)
        assert says in error, error
        assert not any(word in error for word in ("mapping", "expected", "found", "while")), error


def test_a_key_given_twice_is_refused_at_its_second_line(world):
    text = GOOD.replace("total: 100", "total: 100\ntotal: 90")
    [error] = refused(world, text)
    assert error.startswith(f"第 {line_of(text, 'total: 90')} 行：") and "total" in error


def test_structural_mistakes_name_their_line_and_indicator(world):
    text = (
        GOOD.replace("points: 40, source: duty.tasks_on_time", "points: 四十, source: duty.tasks_on_time")
        .replace("{code: B, name: 按期整改, points: 30,", "{code: B, nmae: 按期整改, points: 30,")
        .replace("kind: branch", "kind: branch\nweight: 100")
    )
    errors = refused(world, text)
    assert f"第 {line_of(text, 'code: A,')} 行（指标 A）：分值 须为数字。" in errors
    assert f"第 {line_of(text, 'code: B,')} 行（指标 B）：指标须有编号（code）和名称（name）。" in errors
    assert any(
        e.startswith(f"第 {line_of(text, 'code: B,')} 行（指标 B）：没有 nmae 这一项") for e in errors
    ), errors
    assert any(
        e.startswith(f"第 {line_of(text, 'weight: 100')} 行（考核方案）：没有 weight 这一项") for e in errors
    )


def test_weights_that_do_not_add_up_name_the_total_line(world):
    text = GOOD.replace("points: 40, source: duty.tasks_on_time", "points: 45, source: duty.tasks_on_time")
    assert refused(world, text) == [
        f"第 {line_of(text, 'total: 100')} 行：一级指标分值合计为 105 分，不等于方案总分 100 分。"
    ]


def test_a_block_indicator_names_the_line_of_the_key_at_fault(world):
    text = GOOD.replace(
        "  - {code: D, name: 述职评议, points: 20, source: manual}",
        "  - code: D\n    name: 述职评议\n    points: 二十\n    source: manual",
    )
    assert f"第 {line_of(text, 'points: 二十')} 行（指标 D）：分值 须为数字。" in refused(world, text)


def test_values_of_the_wrong_type_are_refused_not_crashed_on(world):
    for original, broken in (
        ("year: 2026", "year: 今年"),
        ("source: manual", "source: [manual]"),
        ("{check: no_veto}", "{check: [no_veto]}"),
        ("      - {check: no_veto}", "      - no_veto"),
        ("for_secretaries: true", "for_secretaries: true\n    conditions: no_veto"),
        ("    conditions:\n", "    conditions: {check: no_veto}\n    rules:\n"),
    ):
        text = GOOD.replace(original, broken)
        errors = refused(world, text)
        assert errors and all(e.startswith("第 ") for e in errors), (broken, errors)


def test_the_page_shows_the_line_and_keeps_the_text(world, login):
    officer = login(world.users["org_officer"])
    text = GOOD.replace("name: 党支部考核（测试）", "name: 党支部考核：测试: 二")
    page = officer.post("/assessment/schemes/new/", {"issuer": world.district.pk, "text": text})
    assert page.status_code == 400
    body = page.content.decode()
    assert f"第 {line_of(text, '党支部考核：测试')} 行：" in body and "mapping values" not in body
    assert "党支部考核：测试: 二" in body  # the text as typed
    assert not Scheme.objects.exists()
