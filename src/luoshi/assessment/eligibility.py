"""Award eligibility (评先评优): an award's conditions are data (AwardRule.conditions); each condition names a
check below. Every unit of a published run — and, for awards that say so, its sitting secretary — is
eligible or not, with the reason for each condition it fails. Facts come from the other apps' selectors, a
fixed number of queries per run whatever the number of units."""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# check code → label (the conditions an award may list)
CHECKS = {
    "grade_at_least": _("Grade at least"),
    "no_veto": _("No red line breached"),
    "no_admonishment_talk": _("No admonishment talk in the year"),
    "no_overdue_rectification": _("No overdue rectification at the end of the period"),
    "no_circular": _("Not named in a circular in the period"),
}


@dataclass
class Verdict:
    organization: object
    result: object
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    secretary: object = None
    secretary_eligible: bool | None = None
    secretary_reasons: list[str] = field(default_factory=list)


def _facts(run) -> dict:
    from luoshi.accountability.selectors import admonished, circulated
    from luoshi.inspections.selectors import overdue_rectifications_at

    year_start = date(run.until.year, 1, 1)
    return {
        "admonished": admonished(since=min(year_start, run.since), until=run.until),
        "circulated": circulated(since=run.since, until=run.until),
        "overdue": overdue_rectifications_at(run.until),
    }


def verdicts(run, award, results) -> list[Verdict]:
    from luoshi.orgs.selectors import sitting_secretaries

    facts = _facts(run)
    ranks = {band.name: band.order for band in run.scheme.bands.all()}
    secretaries = sitting_secretaries([r.organization for r in results]) if award.for_secretaries else {}
    out = []
    for result in results:
        org_id = result.organization_id
        reasons = []
        admonished = None  # the unit's admonishment reason, which bars its secretary only if they are named
        for condition in award.conditions:
            check = condition.get("check")
            if check == "grade_at_least":
                wanted = condition.get("grade")
                if ranks.get(result.grade, 99) > ranks.get(wanted, -1):
                    reasons.append(
                        gettext("grade %(grade)s, below %(wanted)s")
                        % {"grade": result.grade, "wanted": wanted}
                    )
            elif check == "no_veto" and result.vetoed:
                reasons.append(gettext("a red line was breached (一票否决)"))
            elif check == "no_overdue_rectification" and facts["overdue"].get(org_id):
                reasons.append(
                    gettext("%(n)d rectifications overdue on %(day)s")
                    % {"n": facts["overdue"][org_id], "day": run.until}
                )
            elif check == "no_circular" and facts["circulated"].get(org_id):
                reasons.append(gettext("named in %(n)d circulars") % {"n": facts["circulated"][org_id]})
            elif check == "no_admonishment_talk" and facts["admonished"].get(org_id):
                admonished = gettext("an admonishment talk in the year")
                reasons.append(admonished)
        secretary = secretaries.get(org_id)
        personal = []
        if award.for_secretaries and secretary is not None:
            named = any(secretary.name in persons for persons in facts["admonished"].get(org_id, []))
            personal = [r for r in reasons if r is not admonished or named]
        out.append(
            Verdict(
                organization=result.organization,
                result=result,
                eligible=not reasons,
                reasons=reasons,
                secretary=secretary,
                secretary_eligible=(not personal) if secretary is not None else None,
                secretary_reasons=personal,
            )
        )
    return out
