"""Schemes as data: a YAML file (the shipped ones live in assessment/schemes/*.yaml) checked whole before
anything is saved — weights that do not add up, a cycle, a leaf without a source, an unknown source or grade —
every problem named by its indicator and, when typed as text, by its line ("第 N 行"). Then saved as the
next version of its code."""

from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from luoshi.assessment.eligibility import CHECKS
from luoshi.assessment.models import MANUAL, AwardRule, GradeBand, Indicator, Scheme
from luoshi.core.errors import ServiceError
from luoshi.core.indicators import COUNT, SOURCES, VETO
from luoshi.core.yamltext import YamlUnreadable, at_line, line_of, place, unknown_keys, yaml_read
from luoshi.orgs.models import OrgKind

SHIPPED = Path(__file__).resolve().parent / "schemes"

# the keys each part of a scheme may have: any other is a typing mistake, reported rather than ignored
SCHEME_KEYS = ("code", "name", "year", "kind", "total", "veto_cap", "grades", "indicators", "awards")
INDICATOR_KEYS = ("code", "name", "parent", "points", "source", "params", "per_item", "veto", "description")
GRADE_KEYS = ("name", "from")
AWARD_KEYS = ("name", "conditions", "for_secretaries")
CONDITION_KEYS = ("check", "grade")


class SchemeRefused(ServiceError):
    """A scheme file with problems: `errors` lists each of them."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors), field="text")
        self.errors = errors


def _number(value, where: str, name: str, errors: list):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(gettext("%(where)s: %(name)s must be a number.") % {"where": where, "name": name})
        return None
    if not number.is_finite() or isinstance(value, bool):
        errors.append(gettext("%(where)s: %(name)s must be a number.") % {"where": where, "name": name})
        return None
    return number


def _text(value) -> bool:
    """A name or code: text or a number, not empty, not a list or a mapping."""
    return isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip() != ""


def scheme_check(data) -> list[str]:
    """Every problem of a scheme file, each naming its indicator, grade or award — and its line, when the
    scheme was read from text by `scheme_load_yaml`."""
    if not isinstance(data, dict):
        return [
            gettext("The file is not an assessment scheme: it needs code, name, year, kind and indicators.")
        ]
    errors: list[str] = []
    scheme = gettext("The scheme")
    unknown_keys(data, SCHEME_KEYS, scheme, errors)
    for key in ("code", "name", "year", "kind", "indicators", "grades"):
        if not data.get(key):
            problem = gettext("The scheme has no %(key)s.") % {"key": key}
            errors.append(at_line(line_of(data, key) if key in data else None, problem))
    for key in ("code", "name"):
        if data.get(key) and not _text(data[key]):
            errors.append(at_line(line_of(data, key), gettext("%(key)s must be a text.") % {"key": key}))
    year = data.get("year")
    if year and (not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100):
        errors.append(at_line(line_of(data, "year"), gettext("year must be a year, such as 2026.")))
    if data.get("kind") and (not isinstance(data["kind"], str) or data["kind"] not in OrgKind.values):
        problem = gettext("kind must be one of: %(kinds)s.") % {"kinds": ", ".join(OrgKind.values)}
        errors.append(at_line(line_of(data, "kind"), problem))
    total = _number(data.get("total", 100), place(data, scheme, "total"), "total", errors)
    rows = data.get("indicators") or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        problem = gettext("indicators must be a list of indicators.")
        return [*errors, at_line(line_of(data, "indicators"), problem)]

    by_code: dict[str, dict] = {}
    for no, row in enumerate(rows, start=1):
        code = str(row.get("code")).strip() if _text(row.get("code")) else ""
        what = gettext("Indicator %(code)s") % {"code": code or no}
        where = place(row, what)
        unknown_keys(row, INDICATOR_KEYS, what, errors)
        if not code or not _text(row.get("name")):
            errors.append(gettext("%(where)s: an indicator needs a code and a name.") % {"where": where})
            continue
        if code in by_code:
            errors.append(gettext("%(where)s: the code is used twice.") % {"where": where})
            continue
        row = dict(row, code=code, _where=where, _what=what, _row=row)
        points_at = place(row["_row"], what, "points")
        row["_points"] = _number(row.get("points", 0), points_at, gettext("points"), errors)
        if row["_points"] is not None and row["_points"] < 0:
            errors.append(gettext("%(where)s: points cannot be negative.") % {"where": points_at})
        by_code[code] = row

    children: dict[str | None, list[dict]] = {}
    for row in by_code.values():
        parent = row.get("parent")
        parent = str(parent).strip() if _text(parent) else None
        if parent is not None and parent not in by_code or row.get("parent") not in (None, "") and not parent:
            errors.append(
                gettext("%(where)s: its parent %(parent)s is not in the scheme.")
                % {"where": place(row["_row"], row["_what"], "parent"), "parent": parent or row["parent"]}
            )
            parent = None
        row["_parent"] = parent
        children.setdefault(parent, []).append(row)

    # a cycle: follow each indicator's parents; coming back to it means no root can reach it
    for code, row in by_code.items():
        seen, at = {code}, row["_parent"]
        while at is not None:
            if at in seen:
                errors.append(
                    gettext("%(where)s: its parents form a cycle (%(chain)s).")
                    % {"where": row["_where"], "chain": " → ".join([code, *sorted(seen - {code}), at])}
                )
                break
            seen.add(at)
            at = by_code[at]["_parent"]

    for code, row in by_code.items():
        kids = children.get(code, [])
        source = row.get("source")
        where = row["_where"]
        source_at = place(row["_row"], row["_what"], "source")
        if source is not None and not isinstance(source, str):
            errors.append(
                gettext("%(where)s: there is no source %(source)s.") % {"where": source_at, "source": source}
            )
            continue
        if kids and source:
            errors.append(
                gettext("%(where)s: an indicator with sub-indicators has no source of its own.")
                % {"where": source_at}
            )
        if not kids and not source:
            errors.append(gettext("%(where)s: it has no source (a source, or manual).") % {"where": where})
        if source and source != MANUAL and source not in SOURCES:
            errors.append(
                gettext("%(where)s: there is no source %(source)s.") % {"where": source_at, "source": source}
            )
        if source in SOURCES:
            known = set(SOURCES[source].params)
            params = row.get("params") or {}
            params_at = place(row["_row"], row["_what"], "params" if "params" in row else "source")
            if not isinstance(params, dict) or set(params) - known:
                errors.append(
                    gettext("%(where)s: the source %(source)s takes only these options: %(known)s.")
                    % {"where": params_at, "source": source, "known": ", ".join(sorted(known)) or "—"}
                )
            elif source == "inspections.average_score" and not params.get("standard"):
                errors.append(
                    gettext("%(where)s: name the inspection standard (params: standard).")
                    % {"where": params_at}
                )
            if SOURCES[source].mode == COUNT:
                per_item_at = place(row["_row"], row["_what"], "per_item")
                per_item = _number(row.get("per_item", 0), per_item_at, gettext("per_item"), errors)
                if per_item is not None and per_item <= 0:
                    errors.append(
                        gettext("%(where)s: a penalty needs the points deducted per item (per_item).")
                        % {"where": per_item_at}
                    )
        elif row.get("per_item") is not None:
            _number(
                row["per_item"], place(row["_row"], row["_what"], "per_item"), gettext("per_item"), errors
            )
        if kids and row["_points"] is not None:
            summed = sum((k["_points"] or Decimal(0)) for k in kids)
            if summed != row["_points"]:
                errors.append(
                    gettext("%(where)s: its sub-indicators add up to %(sum)s points, not %(points)s.")
                    % {"where": where, "sum": summed, "points": row["_points"]}
                )
    roots = children.get(None, [])
    if rows and total is not None and not errors:
        summed = sum((r["_points"] or Decimal(0)) for r in roots)
        if summed != total:
            problem = gettext(
                "The top-level indicators add up to %(sum)s points, not the scheme's total %(total)s."
            ) % {"sum": summed, "total": total}
            errors.append(at_line(line_of(data, "total" if "total" in data else "indicators"), problem))

    grades = data.get("grades") or []
    names = []
    if not isinstance(grades, list) or not all(isinstance(g, dict) and _text(g.get("name")) for g in grades):
        problem = gettext("grades must be a list of grades, each with a name and a from total.")
        errors.append(at_line(line_of(data, "grades"), problem))
        grades = []
    previous = None
    for grade in grades:
        what = gettext("Grade %(name)s") % {"name": grade["name"]}
        where = place(grade, what)
        unknown_keys(grade, GRADE_KEYS, what, errors)
        low = _number(grade.get("from", 0), place(grade, what, "from"), gettext("from"), errors)
        if grade["name"] in names:
            errors.append(gettext("%(where)s: the name is used twice.") % {"where": where})
        names.append(grade["name"])
        if low is not None and previous is not None and low >= previous:
            errors.append(
                gettext("%(where)s: grades go from the best down, each from a lower total.")
                % {"where": where}
            )
        previous = low if low is not None else previous
    if grades and previous not in (None, Decimal(0)):
        problem = gettext("The last grade must start from 0, so that every total has a grade.")
        errors.append(at_line(line_of(grades[-1]), problem))
    if data.get("veto_cap") and data["veto_cap"] not in names:
        problem = gettext("veto_cap %(grade)s is not one of the grades.") % {"grade": data["veto_cap"]}
        errors.append(at_line(line_of(data, "veto_cap"), problem))

    awards = data.get("awards") or []
    if not isinstance(awards, list):
        errors.append(at_line(line_of(data, "awards"), gettext("Every award needs a name.")))
        awards = []
    for award in awards:
        if not isinstance(award, dict) or not _text(award.get("name")):
            errors.append(at_line(line_of(award), gettext("Every award needs a name.")))
            continue
        what = gettext("Award %(name)s") % {"name": award["name"]}
        unknown_keys(award, AWARD_KEYS, what, errors)
        conditions = award.get("conditions") or []
        if not isinstance(conditions, list):
            errors.append(
                gettext("%(where)s: conditions must be a list of conditions.")
                % {"where": place(award, what, "conditions")}
            )
            conditions = []
        for condition in conditions:
            if not isinstance(condition, dict):  # a bare `- no_veto`: a condition is a mapping with its check
                errors.append(
                    gettext("%(where)s: there is no condition %(check)s.")
                    % {"where": place(award, what, "conditions"), "check": condition}
                )
                continue
            check = condition.get("check")
            where = place(condition, what)
            unknown_keys(condition, CONDITION_KEYS, what, errors)
            if not isinstance(check, str) or check not in CHECKS:
                errors.append(
                    gettext("%(where)s: there is no condition %(check)s.") % {"where": where, "check": check}
                )
            elif check == "grade_at_least" and condition.get("grade") not in names:
                errors.append(
                    gettext("%(where)s: the grade %(grade)s is not one of the grades.")
                    % {"where": where, "grade": condition.get("grade")}
                )
    return errors


def scheme_load(data, *, issuer, by=None, text: str = "") -> Scheme:
    """Check the scheme whole, then save it as the next version of its code; nothing is saved on an error."""
    errors = scheme_check(data)
    if errors:
        raise SchemeRefused(errors)
    with transaction.atomic():
        latest = Scheme.objects.filter(code=data["code"]).aggregate(v=Max("version"))["v"] or 0
        grades = data["grades"]
        scheme = Scheme.objects.create(
            code=data["code"],
            version=latest + 1,
            name=data["name"],
            year=int(data["year"]),
            kind=data["kind"],
            issuer=issuer,
            total=Decimal(str(data.get("total", 100))),
            veto_cap=data.get("veto_cap") or grades[-1]["name"],
            source_text=text or yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
            created_by=by,
        )
        made: dict[str, Indicator] = {}
        # displayed in the file's order
        position = {str(row["code"]).strip(): n for n, row in enumerate(data["indicators"], start=1)}
        pending = list(data["indicators"])
        while pending:  # parents first (the check has ruled out cycles and unknown parents)
            rest = []
            for row in pending:
                parent = str(row["parent"]).strip() if row.get("parent") not in (None, "") else None
                if parent is not None and parent not in made:
                    rest.append(row)
                    continue
                code = str(row["code"]).strip()
                made[code] = Indicator.objects.create(
                    scheme=scheme,
                    parent=made.get(parent),
                    code=code,
                    name=row["name"],
                    order=position[code],
                    weight=Decimal(str(row.get("points", 0))),
                    source=row.get("source") or "",
                    params=row.get("params") or {},
                    per_item=Decimal(str(row["per_item"])) if row.get("per_item") is not None else None,
                    veto=bool(row.get("veto"))
                    or (row.get("source") in SOURCES and SOURCES[row["source"]].mode == VETO),
                    description=row.get("description") or "",
                )
            pending = rest
        GradeBand.objects.bulk_create(
            GradeBand(scheme=scheme, name=g["name"], minimum=Decimal(str(g.get("from", 0))), order=n)
            for n, g in enumerate(grades)
        )
        AwardRule.objects.bulk_create(
            AwardRule(
                scheme=scheme,
                name=a["name"],
                conditions=a.get("conditions") or [],
                for_secretaries=bool(a.get("for_secretaries")),
            )
            for a in data.get("awards") or []
        )
    return scheme


def scheme_load_yaml(text: str, *, issuer, by=None) -> Scheme:
    """Read the text (its lines kept, for the problems to name them), then `scheme_load` it."""
    try:
        data = yaml_read(text)
    except YamlUnreadable as exc:
        raise SchemeRefused([str(exc)]) from None
    return scheme_load(data, issuer=issuer, by=by, text=text)


def shipped_schemes() -> dict[str, str]:
    """The schemes that ship with Luoshi: file stem → YAML text."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(SHIPPED.glob("*.yaml"))}
