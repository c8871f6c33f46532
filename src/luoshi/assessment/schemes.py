"""Schemes as data: a YAML file (the shipped ones live in assessment/schemes/*.yaml) checked whole before
anything is saved — weights that do not add up, a cycle, a leaf without a source, an unknown source or grade —
every problem named by its indicator. Then saved as the next version of its code."""

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
from luoshi.orgs.models import OrgKind

SHIPPED = Path(__file__).resolve().parent / "schemes"


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
    if not number.is_finite():
        errors.append(gettext("%(where)s: %(name)s must be a number.") % {"where": where, "name": name})
        return None
    return number


def scheme_check(data) -> list[str]:
    """Every problem of a scheme file, each naming its indicator, grade or award."""
    if not isinstance(data, dict):
        return [
            gettext("The file is not an assessment scheme: it needs code, name, year, kind and indicators.")
        ]
    errors: list[str] = []
    for key in ("code", "name", "year", "kind", "indicators", "grades"):
        if not data.get(key):
            errors.append(gettext("The scheme has no %(key)s.") % {"key": key})
    if data.get("kind") and data["kind"] not in OrgKind.values:
        errors.append(gettext("kind must be one of: %(kinds)s.") % {"kinds": ", ".join(OrgKind.values)})
    total = _number(data.get("total", 100), gettext("The scheme"), "total", errors)
    rows = data.get("indicators") or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return errors + [gettext("indicators must be a list of indicators.")]

    by_code: dict[str, dict] = {}
    for no, row in enumerate(rows, start=1):
        code = str(row.get("code") or "").strip()
        where = gettext("Indicator %(code)s") % {"code": code or no}
        if not code or not row.get("name"):
            errors.append(gettext("%(where)s: an indicator needs a code and a name.") % {"where": where})
            continue
        if code in by_code:
            errors.append(gettext("%(where)s: the code is used twice.") % {"where": where})
            continue
        row = dict(row, code=code, _where=where)
        row["_points"] = _number(row.get("points", 0), where, gettext("points"), errors)
        if row["_points"] is not None and row["_points"] < 0:
            errors.append(gettext("%(where)s: points cannot be negative.") % {"where": where})
        by_code[code] = row

    children: dict[str | None, list[dict]] = {}
    for row in by_code.values():
        parent = row.get("parent")
        parent = str(parent).strip() if parent not in (None, "") else None
        if parent is not None and parent not in by_code:
            errors.append(
                gettext("%(where)s: its parent %(parent)s is not in the scheme.")
                % {"where": row["_where"], "parent": parent}
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
        if kids and source:
            errors.append(
                gettext("%(where)s: an indicator with sub-indicators has no source of its own.")
                % {"where": where}
            )
        if not kids and not source:
            errors.append(gettext("%(where)s: it has no source (a source, or manual).") % {"where": where})
        if source and source != MANUAL and source not in SOURCES:
            errors.append(
                gettext("%(where)s: there is no source %(source)s.") % {"where": where, "source": source}
            )
        if source in SOURCES:
            known = set(SOURCES[source].params)
            params = row.get("params") or {}
            if not isinstance(params, dict) or set(params) - known:
                errors.append(
                    gettext("%(where)s: the source %(source)s takes only these options: %(known)s.")
                    % {"where": where, "source": source, "known": ", ".join(sorted(known)) or "—"}
                )
            if source == "inspections.average_score" and not (params or {}).get("standard"):
                errors.append(
                    gettext("%(where)s: name the inspection standard (params: standard).") % {"where": where}
                )
            if SOURCES[source].mode == COUNT:
                per_item = _number(row.get("per_item", 0), where, gettext("per_item"), errors)
                if per_item is not None and per_item <= 0:
                    errors.append(
                        gettext("%(where)s: a penalty needs the points deducted per item (per_item).")
                        % {"where": where}
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
            errors.append(
                gettext(
                    "The top-level indicators add up to %(sum)s points, not the scheme's total %(total)s."
                )
                % {"sum": summed, "total": total}
            )

    grades = data.get("grades") or []
    names = []
    if not isinstance(grades, list) or not all(isinstance(g, dict) and g.get("name") for g in grades):
        errors.append(gettext("grades must be a list of grades, each with a name and a from total."))
        grades = []
    previous = None
    for grade in grades:
        where = gettext("Grade %(name)s") % {"name": grade["name"]}
        low = _number(grade.get("from", 0), where, gettext("from"), errors)
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
        errors.append(gettext("The last grade must start from 0, so that every total has a grade."))
    if data.get("veto_cap") and data["veto_cap"] not in names:
        errors.append(gettext("veto_cap %(grade)s is not one of the grades.") % {"grade": data["veto_cap"]})

    for award in data.get("awards") or []:
        where = gettext("Award %(name)s") % {"name": (award or {}).get("name", "?")}
        if not isinstance(award, dict) or not award.get("name"):
            errors.append(gettext("Every award needs a name."))
            continue
        for condition in award.get("conditions") or []:
            check = (condition or {}).get("check")
            if check not in CHECKS:
                errors.append(
                    gettext("%(where)s: there is no condition %(check)s.") % {"where": where, "check": check}
                )
            if check == "grade_at_least" and condition.get("grade") not in names:
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
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemeRefused([gettext("The file is not valid YAML: %(error)s") % {"error": exc}]) from None
    return scheme_load(data, issuer=issuer, by=by, text=text)


def shipped_schemes() -> dict[str, str]:
    """The schemes that ship with Luoshi: file stem → YAML text."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(SHIPPED.glob("*.yaml"))}
