"""Writes of the accountability app. Issuing a circular or recording a talk is a decision about others: it
needs the right to confirm consequences above the unit concerned, a basis, and — for a proposal of the
ladder — the confirmed escalation it carries out."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.accountability.models import (
    Circular,
    CircularBasis,
    Decision,
    DecisionKind,
    FourForms,
    Talk,
    TalkKind,
)
from luoshi.accounts import scoping
from luoshi.accounts.permissions import OBLIGATIONS_CONFIRM
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import EscalationStatus, StepAction
from luoshi.orgs.models import Organization
from luoshi.orgs.tree import subtree_q


def can_decide(user, organization, *, own_level: bool = False) -> bool:
    """Consequences for a unit are decided above it; a collective talk may also be recorded at the office's
    own level (it talks to several units below at once)."""
    return scoping.has_perm_on(user, OBLIGATIONS_CONFIRM, organization.path, above=not own_level)


def can_decide_somewhere(user, *, own_level: bool = False) -> bool:
    """Whether `can_decide` holds for some organization: who is shown, and may open, the forms that record a
    talk or a decision (one query at most: whether some unit lies below a grant to confirm)."""
    paths = scoping.paths_with_perm(user, OBLIGATIONS_CONFIRM)
    if own_level or not paths:
        return bool(paths)
    return Organization.objects.filter(subtree_q(paths)).exclude(path__in=paths).exists()


def _may_decide(user, organization, *, own_level: bool = False) -> None:
    if not can_decide(user, organization, own_level=own_level):
        raise NotPermitted()


def _check_escalation(escalation, action: str, organization) -> None:
    if escalation is None:
        return
    if escalation.action != action or escalation.status != EscalationStatus.CONFIRMED:
        raise ServiceError(_("Only a confirmed proposal of this kind can be carried out."))
    if escalation.obligation.organization_id != organization.pk:
        raise ServiceError(_("The proposal concerns another organization."))


def circular_text(facts: list[dict], *, organization_name: str, today: date) -> str:
    """The circular's body, written from the records: each finding with when it was found, its rectification
    deadline and how far past it the unit is."""
    lines = [f"经检查，{organization_name}存在以下问题："]
    for number, fact in enumerate(facts, start=1):
        line = f"{number}. {fact['description']}（{fact['found_on']:%Y年%m月%d日}检查发现"
        if fact["deadline"]:
            late = (today - fact["deadline"]).days
            line += f"，整改时限{fact['deadline']:%Y年%m月%d日}"
            if not fact["rectified"] and late > 0:
                line += f"，截至{today:%Y年%m月%d日}已逾期{late}天未完成整改"
        lines.append(line + "）。")
    return "\n".join(lines)


def circular_issue(
    *,
    by,
    issuer,
    organization,
    findings: list,
    title: str,
    public: bool = False,
    persons_named: str = "",
    requirement: str = "",
    escalation=None,
    form: str = FourForms.FORM_1,
) -> Circular:
    """通报 — issue a circular about an organization from chosen findings (and, when it carries out a
    confirmed proposal of the ladder, that escalation)."""
    from luoshi.inspections.selectors import finding_facts

    _may_decide(by, organization)
    if not scoping.has_perm_on(by, OBLIGATIONS_CONFIRM, issuer.path):
        raise NotPermitted()
    _check_escalation(escalation, StepAction.CIRCULAR, organization)
    if not findings:
        raise ServiceError(_("A circular rests on at least one finding."), field="findings")
    if any(f.organization_id != organization.pk for f in findings):
        raise ServiceError(_("Every finding must concern the organization named."), field="findings")
    if not (title or "").strip():
        raise ServiceError(_("Give the circular a title."), field="title")
    today = timezone.localdate()
    facts = finding_facts(findings)
    with transaction.atomic():
        circular = Circular.objects.create(
            title=title.strip(),
            public=public,
            organization=organization,
            issuer=issuer,
            persons_named=persons_named.strip(),
            body=circular_text(facts, organization_name=organization.name, today=today),
            requirement=requirement.strip(),
            escalation=escalation,
            form=form,
            issued_on=today,
            created_by=by,
        )
        CircularBasis.objects.bulk_create(CircularBasis(circular=circular, finding=f) for f in findings)
    data_changed()
    return circular


def talk_record(
    *,
    by,
    kind: str,
    organization,
    persons: str,
    held_on: date,
    talker: str,
    basis: str,
    record: str,
    statement: str = "",
    persons_count: int = 1,
    escalation=None,
    form: str = FourForms.FORM_1,
) -> Talk:
    """约谈 / 诫勉谈话 — a talk held, with its basis, the record, and the person's own statement."""
    _may_decide(by, organization, own_level=kind == TalkKind.COLLECTIVE)
    if kind not in TalkKind.values:
        raise ServiceError(_("Choose the kind of talk."), field="kind")
    if kind == TalkKind.ADMONISHMENT:
        _check_escalation(escalation, StepAction.ADMONISHMENT, organization)
    for field, value in (("persons", persons), ("basis", basis), ("record", record), ("talker", talker)):
        if not (value or "").strip():
            raise ServiceError(_("This field is required."), field=field)
    if held_on > timezone.localdate():
        raise ServiceError(_("A talk is recorded after it is held."), field="held_on")
    talk = Talk.objects.create(
        kind=kind,
        organization=organization,
        persons=persons.strip(),
        persons_count=max(persons_count, 1),
        held_on=held_on,
        talker=talker.strip(),
        basis=basis.strip(),
        record=record.strip(),
        statement=statement.strip(),
        escalation=escalation,
        form=form,
        created_by=by,
    )
    data_changed()
    return talk


def decision_record(
    *,
    by,
    kind: str,
    organization,
    basis: str,
    decision: str,
    decided_on: date,
    persons: str = "",
    statement: str = "",
    escalation=None,
    form: str = FourForms.FORM_1,
) -> Decision:
    """点名批评 / 问责 — a decision about a unit below, carrying out the confirmed proposal when there is one."""
    _may_decide(by, organization)
    if kind not in DecisionKind.values:
        raise ServiceError(_("Choose the kind of decision."), field="kind")
    action = StepAction.NAMED_CRITICISM if kind == DecisionKind.NAMED_CRITICISM else StepAction.ACCOUNTABILITY
    _check_escalation(escalation, action, organization)
    for field, value in (("basis", basis), ("decision", decision)):
        if not (value or "").strip():
            raise ServiceError(_("This field is required."), field=field)
    if decided_on > timezone.localdate():
        raise ServiceError(_("A decision is recorded once it is taken."), field="decided_on")
    made = Decision.objects.create(
        kind=kind,
        organization=organization,
        persons=persons.strip(),
        basis=basis.strip(),
        decision=decision.strip(),
        statement=statement.strip(),
        decided_on=decided_on,
        escalation=escalation,
        form=form,
        created_by=by,
    )
    data_changed()
    return made
