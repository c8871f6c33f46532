"""Codes stay in the data; people read labels: an obligation kind by its name (not `core.supervision_item`),
a scheme indicator's options by the standard's name and a phrase (not `standard=service-center subtree=True`)."""

import re

from luoshi.assessment import services
from luoshi.assessment.models import Indicator
from luoshi.assessment.schemes import shipped_schemes
from luoshi.core.indicators import Source
from luoshi.core.obligations import _KINDS


def visible_text(html: str) -> str:
    """The page without its tags and attributes: what a person reads."""
    return re.sub(r"<[^>]*>", " ", html)


def test_the_ladders_page_names_each_kind_not_its_code(world, login):
    page = login(world.users["org_officer"]).get("/obligations/ladders/")
    text = visible_text(page.content.decode())
    assert "督办事项" in text
    shown = {code for code in _KINDS if code in text}
    assert shown == set(), shown


def test_a_scheme_page_says_the_options_of_an_indicator_in_words(world, login, standards):
    scheme = services.scheme_upload(
        by=world.users["org_officer"], issuer=world.district, text=shipped_schemes()["street"]
    )
    indicator = scheme.indicators.get(params__standard="service-center")
    assert (
        indicator.params_display() == "检查标准：村（社区）党群服务中心达标建设标准 · 下属单位的检查一并计入"
    )
    text = visible_text(login(world.users["org_officer"]).get(scheme.get_absolute_url()).content.decode())
    assert "检查标准：村（社区）党群服务中心达标建设标准" in text
    for raw in ("standard=", "service-center", "subtree", "True"):
        assert raw not in text, raw


def test_options_of_a_source_without_its_own_wording_and_without_options():
    source = Source(code="x.y", mode="share", label="x", rule="y", measure=lambda *a: {})
    assert source.params_text({}) == [] and source.params_text({"a": 1}) == ["a: 1"]
    assert Indicator(source="", params={"a": 1}).params_display() == ""
