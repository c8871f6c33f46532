"""Reads of the register: the scoped member list and its search, one member with its history, the imports."""

import re

from django.db.models import Q

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_MANAGE, MEMBERS_SENSITIVE, MEMBERS_VIEW
from luoshi.core.selectors import get_or_404
from luoshi.members.models import Member, MemberImport
from luoshi.orgs.tree import subtree_q

_INITIALS = re.compile(r"^[a-zA-Z]{1,10}$")
_DIGITS = re.compile(r"^[0-9]{2,17}[0-9Xx]?$")


def member_list(user, *, search: str = "", under=None, category: str = "", flag: str = ""):
    """The members the user may see, newest structure first. `search` finds by name (part of it), by the
    initials of its pinyin (张伟 → zw), or by the last digits of the national ID (4 or more)."""
    qs = Member.objects.visible_to(user).active().select_related("organization")
    if under is not None:
        qs = qs.filter(subtree_q([under.path], field="organization__path"))
    if category:
        qs = qs.filter(category=category)
    if flag == "mobile":
        qs = qs.filter(mobile=True)
    elif flag == "lost":
        qs = qs.filter(lost_contact=True)
    search = (search or "").strip()
    if search:
        if _DIGITS.match(search) and len(search) >= 4:
            qs = qs.filter(national_id__endswith=search.upper())
        elif _INITIALS.match(search):
            qs = qs.filter(Q(initials__startswith=search.lower()) | Q(name__icontains=search))
        else:
            qs = qs.filter(name__contains=search)
    return qs.order_by("organization__path", "initials", "id")


def member_get_visible(user, pk) -> Member:
    return get_or_404(Member.objects.visible_to(user).select_related("organization"), pk)


def can_see_sensitive(user, member: Member) -> bool:
    return scoping.has_perm_on(user, MEMBERS_SENSITIVE, member.organization.path)


def can_manage(user, member: Member) -> bool:
    return scoping.has_perm_on(user, MEMBERS_MANAGE, member.organization.path)


def can_import(user) -> bool:
    return scoping.has_perm_anywhere(user, MEMBERS_MANAGE)


def can_view(user) -> bool:
    return scoping.has_perm_anywhere(user, MEMBERS_VIEW)


def mask_id(value: str) -> str:
    """110105********123X: the area code and the last four, the birth date hidden."""
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}" if len(value) > 10 else value


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) == 11 else value


def imports_visible(user):
    return MemberImport.objects.visible_to(user).select_related("organization", "created_by")


def import_get_visible(user, pk) -> MemberImport:
    return get_or_404(imports_visible(user), pk)


def transfers_visible(user):
    from luoshi.members.models import Transfer

    return Transfer.objects.visible_to(user).select_related(
        "member", "from_organization", "to_organization", "obligation"
    )


def transfer_get_visible(user, pk):
    return get_or_404(transfers_visible(user), pk)


def transfer_owner(transfer):
    """The organization that records the receipt: the receiving one, or the sender for a letter outside."""
    return transfer.to_organization or transfer.from_organization


def receiving_organization(text: str):
    """The organization a transfer goes to, named by its exact code or name anywhere in this system (a member
    may move to another street's branch): one that keeps members, or None."""
    from luoshi.orgs.models import Organization

    text = (text or "").strip()
    if not text:
        return None
    candidates = Organization.objects.active().filter(holds_members=True)
    return candidates.filter(code=text).first() or (
        candidates.filter(name=text).first() if candidates.filter(name=text).count() == 1 else None
    )


# --- sweeps -------------------------------------------------------------------------------------------------


def sweeps_visible(user):
    from luoshi.members.models import Sweep

    return Sweep.objects.visible_to(user).select_related("organization", "opened_by")


def sweep_get_visible(user, pk):
    return get_or_404(sweeps_visible(user), pk)


def findings_visible(user, sweep=None):
    from luoshi.members.models import SweepFinding

    qs = SweepFinding.objects.visible_to(user).select_related("member", "organization", "sweep")
    return qs.filter(sweep=sweep) if sweep is not None else qs


def finding_get_visible(user, pk):
    return get_or_404(findings_visible(user), pk)


def sweep_report(user, sweep) -> dict:
    """Counts per rule (found, answered, closed, each outcome) and per unit one level below the office, in two
    grouped queries over the findings the user may see."""
    from django.db.models import Count, Q
    from django.db.models.functions import Substr

    from luoshi.members.models import FindingStatus, Outcome
    from luoshi.members.sweeps import rule_of
    from luoshi.orgs.models import Organization
    from luoshi.orgs.tree import SEGMENT

    findings = findings_visible(user, sweep)
    outcome_counts = {o: Count("id", filter=Q(outcome=o)) for o in Outcome.values}
    per_rule = {
        row["rule"]: row
        for row in findings.values("rule").annotate(
            found=Count("id"),
            answered=Count("id", filter=~Q(status=FindingStatus.OPEN)),
            closed=Count("id", filter=Q(status=FindingStatus.CLOSED)),
            **outcome_counts,
        )
    }
    rules = []
    for rule in sweep.rules:
        counts = (sweep.summary.get("rules") or {}).get(rule["code"], {})
        row = per_rule.get(rule["code"], {})
        rules.append(
            {
                **rule_of(sweep, rule["code"]),
                "checked": counts.get("checked", 0),
                "no_data": counts.get("no_data", 0),
                "found": row.get("found", 0),
                "answered": row.get("answered", 0),
                "closed": row.get("closed", 0),
                "outcomes": {o: row.get(o, 0) for o in Outcome.values},
            }
        )
    depth = len(sweep.organization.path) + SEGMENT
    units = {
        o.path: o for o in Organization.objects.filter(parent=sweep.organization).active().order_by("path")
    }
    per_unit = {
        row["prefix"]: row
        for row in findings.annotate(prefix=Substr("organization__path", 1, depth))
        .values("prefix")
        .annotate(found=Count("id"), closed=Count("id", filter=Q(status=FindingStatus.CLOSED)))
    }
    unit_rows = [
        {
            "org": org,
            "found": per_unit.get(path, {}).get("found", 0),
            "closed": per_unit.get(path, {}).get("closed", 0),
        }
        for path, org in units.items()
    ]
    total = sum(r["found"] for r in rules)
    closed = sum(r["closed"] for r in rules)
    outcomes = {o: sum(r["outcomes"][o] for r in rules) for o in Outcome.values}
    return {"rules": rules, "units": unit_rows, "total": total, "closed": closed, "outcomes": outcomes}


def sweep_sentence(sweep, report) -> str:
    """The sentence an office pastes into its report."""
    from django.utils.translation import gettext as _

    parts = [
        _("%(rule)s %(n)d") % {"rule": r["name"], "n": r["found"]} for r in report["rules"] if r["found"]
    ]
    no_data = [r["name"] for r in report["rules"] if r["no_data"] and not r["checked"]]
    decided = sum(report["outcomes"].values())
    text = _(
        "As of %(day)s, %(org)s checked the organization relationships of %(members)d members and found "
        "%(total)d problems (%(parts)s). The outcome of %(decided)d is decided — %(educate)d educated, %(rectify)d "
        "to rectify, %(persuade)d persuaded to leave, %(remove)d removed, %(cleared)d cleared on checking — and "
        "%(closed)d are closed."
    ) % {
        "day": sweep.as_of.isoformat(),
        "org": sweep.organization.name,
        "members": sweep.summary.get("members", 0),
        "total": report["total"],
        "parts": "、".join(parts) or "—",
        "decided": decided,
        "closed": report["closed"],
        **report["outcomes"],
    }
    if no_data:
        text += _(" Not yet checkable for lack of data: %(rules)s.") % {"rules": "、".join(no_data)}
    return text


def facts_shown(finding) -> list[tuple[str, str]]:
    """The records behind a finding as its readers know them: (label, value)."""
    from django.utils.translation import gettext as _

    labels = {
        "last_paid": _("Last month paid"),
        "last_attended": _("Last organizational life attended"),
        "since": _("Counted from"),
        "lost_since": _("Lost contact since"),
        "letter": _("Transfer letter"),
        "valid_until": _("Valid until"),
        "to": _("To"),
        "organization": _("Kept on"),
        "problems": _("Problems"),
        "other": _("The other registration"),
        "probability": _("Match probability"),
    }
    problems = {
        "national_id_format": _("the national ID is not 17 digits and a digit or X"),
        "national_id_check_digit": _("the check digit of the national ID is wrong"),
        "birth_date": _("the birth date differs from the national ID"),
        "sex": _("the sex differs from the national ID"),
        "phone_missing": _("no mobile phone"),
        "phone_invalid": _("the mobile phone is not 11 digits starting with 1"),
    }
    shown = []
    for key, value in (finding.facts or {}).items():
        if key == "last_paid" and not value:
            value = _("none this year")
        if key == "last_attended" and not value:
            value = _("none recorded")
        if isinstance(value, list):
            value = "；".join(str(problems.get(v, v)) for v in value)
        shown.append((str(labels.get(key, key)), value))
    return shown
