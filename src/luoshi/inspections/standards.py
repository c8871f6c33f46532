"""Standards as data: loaded from YAML (the shipped ones live in inspections/standards/*.yaml), checked item
by item before anything is saved, and scored here — the one place that says what an answer is worth."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from luoshi.core.errors import ServiceError
from luoshi.core.yamltext import YamlUnreadable, at_line, line_of, place, unknown_keys, yaml_read
from luoshi.inspections.models import Scoring, Standard, StandardItem, StandardSection

SHIPPED = Path(__file__).resolve().parent / "standards"


# the keys each part of a standard may have: any other is a typing mistake, reported rather than ignored
STANDARD_KEYS = ("code", "name", "description", "pass_score", "sections")
SECTION_KEYS = ("title", "items")
ITEM_KEYS = (
    "code",
    "text",
    "scoring",
    "max",
    "pass",
    "threshold",
    "at_least",
    "unit",
    "weight",
    "finding",
    "note_on_failure",
    "photo_on_failure",
)


def _decimal(value, where: str, errors: list, *, name: str):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or isinstance(value, bool):
        errors.append(gettext("%(where)s: %(name)s must be a number.") % {"where": where, "name": name})
        return None
    return number


def _check(data) -> list[str]:
    """Every problem of a standard file, each naming its place (e.g. "section 2, item B1") — and its line,
    when the standard was read from text by `standard_load_yaml`."""
    errors: list[str] = []
    if not isinstance(data, dict):
        return [gettext("The file is not a standard: it needs code, name and sections.")]
    unknown_keys(data, STANDARD_KEYS, gettext("The standard"), errors)
    for key in ("code", "name", "sections"):
        if not data.get(key):
            problem = gettext("The standard has no %(key)s.") % {"key": key}
            errors.append(at_line(line_of(data, key) if key in data else None, problem))
    if "pass_score" in data:
        _decimal(
            data["pass_score"], place(data, gettext("The standard"), "pass_score"), errors, name="pass_score"
        )
    sections = data.get("sections") or []
    if not isinstance(sections, list):
        return [*errors, at_line(line_of(data, "sections"), gettext("sections must be a list."))]
    codes = set()
    for s_no, section in enumerate(sections, start=1):
        if (
            not isinstance(section, dict)
            or not section.get("title")
            or not isinstance(section.get("items"), list)
        ):
            problem = gettext("Section %(n)d needs a title and items.") % {"n": s_no}
            errors.append(at_line(line_of(section), problem))
            continue
        unknown_keys(section, SECTION_KEYS, gettext("Section %(n)d") % {"n": s_no}, errors)
        for i_no, item in enumerate(section["items"], start=1):
            code = item.get("code") if isinstance(item, dict) else None
            code = str(code).strip() if isinstance(code, str | int) and not isinstance(code, bool) else ""
            what = gettext("Section %(s)d, item %(code)s") % {"s": s_no, "code": code or i_no}
            if not isinstance(item, dict):
                errors.append(gettext("%(where)s: not an item.") % {"where": place(section, what, "items")})
                continue
            where = place(item, what)
            unknown_keys(item, ITEM_KEYS, what, errors)
            if not code or not isinstance(item.get("text"), str) or not item["text"].strip():
                errors.append(gettext("%(where)s: an item needs a code and a text.") % {"where": where})
            elif code in codes:
                errors.append(gettext("%(where)s: the code is used twice.") % {"where": where})
            codes.add(code)
            scoring = item.get("scoring")
            if not isinstance(scoring, str) or scoring not in Scoring.values:
                errors.append(
                    gettext("%(where)s: scoring must be pass_fail, points or threshold.")
                    % {"where": place(item, what, "scoring")}
                )
            if scoring == Scoring.POINTS:
                top = item.get("max")
                if not isinstance(top, int) or isinstance(top, bool) or top <= 0:
                    errors.append(
                        gettext("%(where)s: points need a maximum above 0.")
                        % {"where": place(item, what, "max")}
                    )
                elif not isinstance(item.get("pass", top), int) or not 0 <= item.get("pass", top) <= top:
                    errors.append(
                        gettext("%(where)s: the points to pass must lie between 0 and the maximum.")
                        % {"where": place(item, what, "pass")}
                    )
            if scoring == Scoring.THRESHOLD and item.get("threshold") is None:
                errors.append(gettext("%(where)s: a threshold item needs its threshold.") % {"where": where})
            elif scoring == Scoring.THRESHOLD:
                _decimal(item["threshold"], place(item, what, "threshold"), errors, name="threshold")
            weight = _decimal(item.get("weight", 1), place(item, what, "weight"), errors, name="weight")
            if weight is not None and weight <= 0:
                errors.append(
                    gettext("%(where)s: the weight must be above 0.") % {"where": place(item, what, "weight")}
                )
    return errors


def standard_load(data, *, by=None) -> Standard:
    """Save a standard from its data (a parsed YAML document) as a new version of its code. A file with any
    broken item is refused whole, every problem listed."""
    errors = _check(data)
    if errors:
        raise ServiceError("；".join(errors), field="file")
    with transaction.atomic():
        latest = Standard.objects.filter(code=data["code"]).aggregate(v=Max("version"))["v"] or 0
        standard = Standard.objects.create(
            code=data["code"],
            version=latest + 1,
            name=data["name"],
            description=data.get("description", ""),
            pass_score=Decimal(str(data.get("pass_score", 80))),
            created_by=by,
        )
        for s_no, section_data in enumerate(data["sections"], start=1):
            section = StandardSection.objects.create(
                standard=standard, order=s_no, title=section_data["title"]
            )
            StandardItem.objects.bulk_create(
                StandardItem(
                    section=section,
                    order=i_no,
                    code=str(item["code"]),
                    text=item["text"],
                    scoring=item["scoring"],
                    max_points=item.get("max"),
                    pass_points=item.get("pass", item.get("max")),
                    threshold=Decimal(str(item["threshold"])) if item.get("threshold") is not None else None,
                    at_least=bool(item.get("at_least", True)),
                    unit=item.get("unit", ""),
                    weight=Decimal(str(item.get("weight", 1))),
                    failure_is_finding=bool(item.get("finding", True)),
                    note_on_failure=bool(item.get("note_on_failure", False)),
                    photo_on_failure=bool(item.get("photo_on_failure", False)),
                )
                for i_no, item in enumerate(section_data["items"], start=1)
            )
    return standard


def standard_load_yaml(text: str, *, by=None) -> Standard:
    """Read the text (its lines kept, for the problems to name them), then `standard_load` it."""
    try:
        data = yaml_read(text)
    except YamlUnreadable as exc:
        raise ServiceError(str(exc), field="file") from None
    return standard_load(data, by=by)


def standards_sync() -> int:
    """Load each shipped standard whose code is not in the database yet (run after migrate)."""
    loaded = 0
    for path in sorted(SHIPPED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not Standard.objects.filter(code=data["code"]).exists():
            standard_load(data)
            loaded += 1
    return loaded


# --- Scoring ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    fraction: Decimal  # 0..1 of the item's weight earned
    failed: bool


ONE = Decimal(1)
ZERO = Decimal(0)


def score_item(item: StandardItem, value) -> ItemScore:
    """What an answer is worth. pass/fail: 1 or 0; points: answer/maximum, failed below the points to pass;
    threshold: all or nothing, by comparing the number with the threshold. Refuses an answer out of range."""
    try:
        value = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ServiceError(gettext("%(code)s: the answer must be a number.") % {"code": item.code}) from None
    if item.scoring == Scoring.PASS_FAIL:
        if value not in (ZERO, ONE):
            raise ServiceError(gettext("%(code)s: answer pass or fail.") % {"code": item.code})
        return ItemScore(value, value == ZERO)
    if item.scoring == Scoring.POINTS:
        if not ZERO <= value <= item.max_points or value != value.to_integral_value():
            raise ServiceError(
                gettext("%(code)s: the points must be a whole number from 0 to %(max)d.")
                % {"code": item.code, "max": item.max_points}
            )
        return ItemScore(value / item.max_points, value < item.pass_points)
    if value < 0:
        raise ServiceError(gettext("%(code)s: the number cannot be negative.") % {"code": item.code})
    met = value >= item.threshold if item.at_least else value <= item.threshold
    return ItemScore(ONE if met else ZERO, not met)


def total_score(weighted: list[tuple[Decimal, Decimal]]) -> Decimal:
    """(weight, fraction) pairs to a score out of 100, one decimal."""
    total_weight = sum((w for w, _f in weighted), ZERO)
    if not total_weight:
        return ZERO
    earned = sum((w * f for w, f in weighted), ZERO)
    return (earned / total_weight * 100).quantize(Decimal("0.1"))
