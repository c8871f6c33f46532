"""A standard file typed with a mistake is refused with the line and the problem in Chinese, on the page too."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.core.errors import ServiceError
from luoshi.inspections.models import Standard
from luoshi.inspections.standards import standard_load_yaml

GOOD = """code: test-standard
name: 测试标准
sections:
  - title: 场所
    items:
      - {code: X1, text: 面积, scoring: threshold, threshold: 300}
      - code: X2
        text: 标识
        scoring: pass_fail
        weight: 2
"""


def refused(text: str) -> str:
    with pytest.raises(ServiceError) as caught:
        standard_load_yaml(text)
    assert not Standard.objects.filter(code="test-standard").exists()
    return str(caught.value.message)


def test_broken_yaml_names_the_line_in_chinese(db):
    message = refused(GOOD.replace("name: 测试标准", "name: 测试: 标准"))
    assert message.startswith("第 2 行：") and "冒号" in message and "mapping" not in message


def test_mistakes_name_their_line(db):
    message = refused(
        GOOD.replace("weight: 2", "weight: 两").replace("threshold: 300}", "threshold: 300, wieght: 1}")
    )
    assert "第 10 行（第 1 部分检查项 X2）：weight 须为数字。" in message
    assert "第 6 行（第 1 部分检查项 X1）：没有 wieght 这一项" in message
    assert standard_load_yaml(GOOD).code == "test-standard"


def test_the_page_shows_the_line(world, login):
    admin = login(world.users["district_admin"])
    upload = SimpleUploadedFile("standard.yaml", GOOD.replace("weight: 2", "weight: 两").encode())
    page = admin.post("/inspections/standards/", {"file": upload})
    assert page.status_code == 400
    assert "第 10 行（第 1 部分检查项 X2）：weight 须为数字。" in page.content.decode()
