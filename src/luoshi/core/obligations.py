"""The one obligation-and-escalation mechanism (督办, 提醒, 预警).

A module declares a kind and its default ladder once, at import time of its `obligations.py`:

    register_kind("duty.task_report", _("Task progress report"), FULL_LADDER)

then creates obligations with `obligation_create(...)` and closes them with `obligation_mark_done(...)`.
The ladders become rows (EscalationPolicy/EscalationStep) after migrate, editable by a district admin; the
sweep reads the rows, never the defaults. Nothing outside this module touches an obligation's state.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from luoshi.accounts import scoping
from luoshi.accounts.permissions import (
    OBLIGATIONS_COMPLETE,
    OBLIGATIONS_CONFIRM,
    OBLIGATIONS_WAIVE,
    POLICIES_EDIT,
)
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import (
    ACTIVE_STATES,
    UNCLOSED_STATES,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    Obligation,
    ObligationState,
    StepAction,
)
from luoshi.core.notifications import notify, notify_many, users_holding

log = logging.getLogger(__name__)
A = StepAction
# Defaults a module may pass to register_kind; the rows they create are what the sweep uses.
STANDARD_LADDER = [(-3, A.REMIND), (1, A.WARN), (7, A.CIRCULAR), (14, A.NAMED_CRITICISM)]
FULL_LADDER = STANDARD_LADDER + [(21, A.ADMONISHMENT), (30, A.ACCOUNTABILITY)]


@dataclass
class KindSpec:
    kind: str
    name: object  # a lazy translatable string
    steps: list = field(default_factory=list)
    manual_completion: bool = False


_KINDS: dict[str, KindSpec] = {}
SUPERVISION_ITEM = "core.supervision_item"  # the core's own kind, registered in CoreConfig.ready


def register_kind(kind: str, name, steps, *, manual_completion: bool = False) -> None:
    offsets = [offset for offset, _action in steps]
    if offsets != sorted(offsets):
        raise ValueError(f"{kind}: ladder steps must be in date order")
    _KINDS[kind] = KindSpec(kind, name, list(steps), manual_completion)


_SYNCS: list = []


def register_sync(func) -> None:
    """A module's function that opens obligations from its own records (e.g. terms due for renewal).
    Run before each sweep; it must be idempotent."""
    if func not in _SYNCS:
        _SYNCS.append(func)


def run_syncs(today: date | None = None) -> None:
    for func in _SYNCS:
        func(today=today or timezone.localdate())


def policies_sync() -> int:
    """Create the policy rows of every registered kind that has none yet. Edited ladders are kept as they are."""
    created = 0
    for spec in _KINDS.values():
        with translation.override("en"):  # stored as the msgid; shown translated (EscalationPolicy.__str__)
            name = str(spec.name)
        policy, made = EscalationPolicy.objects.get_or_create(
            kind=spec.kind, defaults={"name": name, "manual_completion": spec.manual_completion}
        )
        if made:
            created += 1
            EscalationStep.objects.bulk_create(
                EscalationStep(policy=policy, order=i, offset_days=offset, action=action)
                for i, (offset, action) in enumerate(spec.steps, start=1)
            )
    return created


def policy_for(kind: str) -> EscalationPolicy:
    try:
        return EscalationPolicy.objects.get(kind=kind)
    except EscalationPolicy.DoesNotExist:
        if kind in _KINDS:
            policies_sync()
            return EscalationPolicy.objects.get(kind=kind)
        raise


# --- Schedule -------------------------------------------------------------------------------------------


def _steps(policy: EscalationPolicy, cache: dict | None = None) -> list[EscalationStep]:
    if cache is not None and policy.pk in cache:
        return cache[policy.pk]
    steps = list(policy.steps.order_by("order"))
    if cache is not None:
        cache[policy.pk] = steps
    return steps


def next_step(obligation: Obligation, steps: list[EscalationStep]) -> tuple[EscalationStep, date] | None:
    """The next rung this obligation will reach and on which day, or None at the top of its ladder."""
    for step in steps:
        if step.order > obligation.last_step_order:
            return step, obligation.due_date + timedelta(days=step.offset_days)
    return None


def _next_action_on(obligation: Obligation, steps, *, waiting: bool) -> date | None:
    if obligation.state not in ACTIVE_STATES or waiting:
        return None  # a pending proposal holds the ladder until a person decides it
    candidates = []
    upcoming = next_step(obligation, steps)
    if upcoming:
        candidates.append(upcoming[1])
    if obligation.state == ObligationState.OPEN:
        candidates.append(obligation.due_date + timedelta(days=1))
    return min(candidates) if candidates else None


# --- Writes ---------------------------------------------------------------------------------------------


def obligation_create(
    *,
    kind: str,
    title: str,
    organization,
    due_date: date,
    responsible=None,
    subject=None,
    detail: str = "",
    created_by=None,
) -> Obligation:
    """Open an obligation of `kind` for `organization`. The responsible person defaults to its sitting secretary."""
    from luoshi.orgs.selectors import sitting_secretary

    policy = policy_for(kind)
    if responsible is None:
        responsible = sitting_secretary(organization)
    obligation = Obligation(
        policy=policy,
        title=title,
        detail=detail,
        organization=organization,
        responsible=responsible,
        due_date=due_date,
        created_by=created_by,
    )
    if subject is not None:
        obligation.subject_type = ContentType.objects.get_for_model(subject)
        obligation.subject_id = str(subject.pk)
    obligation.next_action_on = _next_action_on(obligation, _steps(policy), waiting=False)
    obligation.save()
    data_changed()
    notify(
        _unit_users(obligation),
        title=_("New obligation: %(title)s"),
        body=_("%(unit)s, due %(due)s."),
        values={"title": title, "unit": organization.name, "due": due_date.isoformat()},
        obligation=obligation,
    )
    return obligation


def obligations_create_many(
    *, kind: str, items, created_by=None, notice_title=None, notice_body=None
) -> list[Obligation]:
    """Open many obligations of one kind at once (a task sent to every branch of a province): one insert
    per batch, the responsible person defaulting to each unit's sitting secretary, and one inbox message per
    unit whose secretary has a login. `items` are (organization, title, due_date, subject) tuples."""
    from luoshi.orgs.selectors import sitting_secretaries

    items = list(items)
    if not items:
        return []
    policy = policy_for(kind)
    steps = _steps(policy)
    subject_type = None
    secretaries = sitting_secretaries([org for org, *_rest in items])
    rows = []
    for organization, title, due_date, subject in items:
        obligation = Obligation(
            policy=policy,
            title=title,
            organization=organization,
            responsible=secretaries.get(organization.pk),
            due_date=due_date,
            created_by=created_by,
        )
        if subject is not None:
            subject_type = subject_type or ContentType.objects.get_for_model(subject)
            obligation.subject_type = subject_type
            obligation.subject_id = str(subject.pk)
        obligation.next_action_on = _next_action_on(obligation, steps, waiting=False)
        rows.append(obligation)
    rows = bulk_create_with_history(rows, Obligation, batch_size=2000, default_user=created_by)
    data_changed()
    with_login = [row for row in rows if row.responsible is not None and row.responsible.user_id]
    users = get_user_model().objects.in_bulk([row.responsible.user_id for row in with_login])
    notify_many(
        (
            users[row.responsible.user_id],
            notice_title or _("New obligation: %(title)s"),
            notice_body or _("%(unit)s, due %(due)s."),
            {"title": row.title, "unit": row.organization.name, "due": row.due_date.isoformat()},
            row,
            "",
        )
        for row in with_login
    )
    return rows


def obligations_subject_set(records, *, field: str = "obligation") -> int:
    """Point obligations created without a subject at their records, for a module whose record needs its
    obligation's id before it can be saved. `records` is a queryset of that module's model whose `field`
    is the obligation. Two UPDATE statements whatever the number (a province's 78,000 assignments): the
    obligations, and their creation versions, which were written in the same transaction moments before
    and so record the subject they were created for."""
    model = records.model
    content_type = ContentType.objects.get_for_model(model)
    obligation_ids = records.values(f"{field}_id")

    def subject_of(outer: str):
        first = model.objects.filter(**{f"{field}_id": OuterRef(outer)}).values("pk")[:1]
        return Cast(Subquery(first), CharField())

    changed = Obligation.objects.filter(pk__in=obligation_ids).update(
        subject_type=content_type, subject_id=subject_of("pk")
    )
    Obligation.history.model.objects.filter(id__in=obligation_ids, history_type="+").update(
        subject_type=content_type, subject_id=subject_of("id")
    )
    return changed


def _unit_users(obligation: Obligation) -> list:
    """Who answers for the owning unit: the responsible person's login, or its holders of 'complete'."""
    person = obligation.responsible
    if person is not None and person.user_id:
        return [person.user]
    return users_holding(OBLIGATIONS_COMPLETE, on_paths=[obligation.organization.path])


def _confirmers(obligation: Obligation) -> list:
    from luoshi.orgs.tree import ancestor_paths

    return users_holding(OBLIGATIONS_CONFIRM, on_paths=ancestor_paths(obligation.organization.path))


@dataclass
class SweepResult:
    examined: int = 0
    reminders: int = 0
    warnings: int = 0
    proposals: int = 0
    became_overdue: int = 0
    failed: int = 0

    def __str__(self):
        return (
            f"examined {self.examined}, overdue {self.became_overdue}, reminders {self.reminders}, "
            f"warnings {self.warnings}, proposals {self.proposals}, failed {self.failed}"
        )


def obligation_sweep(*, today: date | None = None) -> SweepResult:
    """Move every active obligation whose next action has come along its ladder.

    Idempotent: a rung is reached once (unique per obligation and step), so a second run on the same day
    finds nothing to do. Each obligation is advanced in its own transaction, so one failure does not undo
    the others and a restart picks up where it stopped.
    """
    today = today or timezone.localdate()
    result = SweepResult()
    cache: dict = {}
    due_ids = list(
        Obligation.objects.filter(state__in=ACTIVE_STATES, next_action_on__lte=today).values_list(
            "id", flat=True
        )
    )
    try:
        for obligation_id in due_ids:
            try:
                with transaction.atomic():
                    obligation = (
                        Obligation.objects.select_for_update(of=("self",))
                        .select_related("policy", "organization", "responsible__user")
                        .get(pk=obligation_id)
                    )
                    _advance(obligation, _steps(obligation.policy, cache), today, result)
            except Exception:
                # One broken record (a deleted user, a bad ladder) must not hold up all the others.
                log.exception("sweep: obligation %s could not be advanced", obligation_id)
                result.failed += 1
                continue
            result.examined += 1
    finally:
        if result.examined:
            data_changed()
    return result


def _advance(obligation: Obligation, steps, today: date, result: SweepResult) -> None:
    if obligation.state not in ACTIVE_STATES:
        return
    if obligation.state == ObligationState.OPEN and today > obligation.due_date:
        obligation.state = ObligationState.OVERDUE
        result.became_overdue += 1
    waiting = obligation.escalations.filter(status=EscalationStatus.PROPOSED).exists()
    for step in steps:
        if step.order <= obligation.last_step_order:
            continue
        scheduled = obligation.due_date + timedelta(days=step.offset_days)
        if scheduled > today:
            break
        if step.is_proposal and waiting:
            break
        if step.action == StepAction.REMIND and today > obligation.due_date:
            obligation.last_step_order = step.order  # a "due soon" reminder after the due date helps nobody
            continue
        _reach(obligation, step, scheduled, result)
        obligation.last_step_order = step.order
        if step.is_proposal:
            waiting = True
    obligation.next_action_on = _next_action_on(obligation, steps, waiting=waiting)
    obligation.save()


def _reach(obligation: Obligation, step: EscalationStep, scheduled: date, result: SweepResult) -> None:
    status = EscalationStatus.PROPOSED if step.is_proposal else EscalationStatus.APPLIED
    escalation, created = Escalation.objects.get_or_create(
        obligation=obligation,
        step_order=step.order,
        defaults={"action": step.action, "scheduled_on": scheduled, "status": status},
    )
    if not created:
        return
    values = {
        "title": obligation.title,
        "unit": obligation.organization.name,
        "due": obligation.due_date.isoformat(),
        "action": StepAction(step.action).label,
    }
    if step.action == StepAction.REMIND:
        result.reminders += 1
        notify(
            _unit_users(obligation),
            title=_("Due soon: %(title)s"),
            body=_("%(unit)s, due %(due)s."),
            values=values,
            obligation=obligation,
        )
    elif step.action == StepAction.WARN:
        result.warnings += 1
        if obligation.state == ObligationState.OPEN:
            obligation.state = ObligationState.OVERDUE
        notify(
            _unit_users(obligation),
            title=_("Overdue: %(title)s"),
            body=_("%(unit)s was due %(due)s. Further steps follow if it stays undone."),
            values=values,
            obligation=obligation,
        )
    else:
        result.proposals += 1
        obligation.state = ObligationState.ESCALATED
        notify(
            _confirmers(obligation),
            title=_("Please decide: %(action)s for %(unit)s"),
            body=_("“%(title)s” was due %(due)s and is still not done."),
            values=values,
            obligation=obligation,
        )


def escalation_decide(*, escalation: Escalation, user, confirm: bool, reason: str, today: date | None = None):
    """Confirm or dismiss a proposed consequence. Only a holder of 'confirm' above the unit may decide."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason for the decision."), field="reason")
    with transaction.atomic():
        # The obligation first, then its escalation: the same lock order as _close, so a decision and a
        # closing at the same moment queue instead of one overwriting the other.
        obligation = (
            Obligation.objects.select_for_update(of=("self",))
            .select_related("organization", "policy")
            .get(pk=escalation.obligation_id)
        )
        escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if not scoping.has_perm_on(user, OBLIGATIONS_CONFIRM, obligation.organization.path, above=True):
            raise NotPermitted()
        if escalation.status != EscalationStatus.PROPOSED:
            raise ServiceError(_("This proposal has already been decided."))
        escalation.status = EscalationStatus.CONFIRMED if confirm else EscalationStatus.DISMISSED
        escalation.decided_by = user
        escalation.decided_at = timezone.now()
        escalation.reason = reason
        escalation.save()
        if obligation.state in ACTIVE_STATES:
            steps = _steps(obligation.policy)
            upcoming = _next_action_on(obligation, steps, waiting=False)
            obligation.next_action_on = max(upcoming, today) if upcoming else None
            obligation.save(update_fields=["next_action_on"])
    data_changed()
    notify(
        _unit_users(obligation),
        title=_("Confirmed: %(action)s — %(title)s") if confirm else _("Dismissed: %(action)s — %(title)s"),
        body=_("Reason: %(reason)s"),
        values={"action": StepAction(escalation.action).label, "title": obligation.title, "reason": reason},
        obligation=obligation,
    )
    return escalation


def policy_offsets_set(*, policy: EscalationPolicy, user, offsets: dict[int, int]) -> EscalationPolicy:
    """Change the days of a ladder's steps (step order -> days after the due date) and reschedule every
    active obligation of the kind, so a shortened ladder takes effect at the next sweep."""
    if not scoping.has_perm_at_top(user, POLICIES_EDIT):
        raise NotPermitted()
    steps = list(policy.steps.order_by("order"))
    new = [offsets.get(step.order, step.offset_days) for step in steps]
    if new != sorted(new) or len(set(new)) != len(new):
        raise ServiceError(_("Each step must come on a later day than the one before it."))
    for step, offset in zip(steps, new, strict=True):
        if step.action == StepAction.REMIND and offset > 0:
            raise ServiceError(_("A reminder must come on or before the due date."))
        if step.action != StepAction.REMIND and offset <= 0:
            raise ServiceError(_("Warnings and consequences come after the due date."))
    with transaction.atomic():
        for step, offset in zip(steps, new, strict=True):
            if step.offset_days != offset:
                step.offset_days = offset
                step.save()
        waiting = set(
            Escalation.objects.filter(
                obligation__policy=policy, status=EscalationStatus.PROPOSED
            ).values_list("obligation_id", flat=True)
        )
        for obligation in Obligation.objects.filter(policy=policy, state__in=ACTIVE_STATES).iterator(
            chunk_size=1000
        ):
            when = _next_action_on(obligation, steps, waiting=obligation.pk in waiting)
            if when != obligation.next_action_on:
                Obligation.objects.filter(pk=obligation.pk).update(next_action_on=when)
    data_changed()
    return policy


def can_complete(user, obligation: Obligation) -> bool:
    """The responsible person, or a holder of 'complete' on the owning unit itself, for kinds closed by hand."""
    person = obligation.responsible
    return (
        obligation.is_active
        and obligation.policy.manual_completion
        and (
            (person is not None and person.user_id == user.pk)
            or scoping.has_perm_at(user, OBLIGATIONS_COMPLETE, obligation.organization.path)
        )
    )


def obligation_complete(*, obligation: Obligation, user, note: str, uploads=()) -> Obligation:
    """The owning unit reports a manually completed obligation as done, with optional evidence files.
    Rights and the note are checked before any file is stored; files and closing commit together."""
    from luoshi.core.attachments import attachment_add

    note = (note or "").strip()
    if not obligation.policy.manual_completion:
        raise ServiceError(_("This obligation is closed by its own record, not by hand."))
    if not can_complete(user, obligation):
        if not obligation.is_active:
            raise ServiceError(_("This obligation is already closed."))
        raise NotPermitted()
    if not note:
        raise ServiceError(_("Say briefly what was done."), field="note")
    with transaction.atomic():
        for upload in uploads:
            attachment_add(upload=upload, user=user, subject=obligation)
        return _close(obligation, ObligationState.DONE, user=user, note=note)


def supervision_item_assign(*, by, organization, title: str, due_date: date, detail: str = "") -> Obligation:
    """督办事项 — an office assigns a unit below it an item to finish by a date."""
    from luoshi.accounts.permissions import OBLIGATIONS_CREATE

    if not scoping.has_perm_on(by, OBLIGATIONS_CREATE, organization.path, above=True):
        raise NotPermitted()
    if due_date < timezone.localdate():
        raise ServiceError(_("The due date cannot be in the past."), field="due_date")
    return obligation_create(
        kind=SUPERVISION_ITEM,
        title=title,
        detail=detail,
        organization=organization,
        due_date=due_date,
        created_by=by,
    )


def obligation_mark_done(*, obligation: Obligation, user=None, note: str = "") -> Obligation:
    """Close an obligation because its subject record is finished. For the owning module, which has checked
    who may finish the record."""
    return _close(obligation, ObligationState.DONE, user=user, note=note)


def obligation_submit(*, obligation: Obligation, user=None, note: str = "") -> Obligation:
    """The unit has reported it finished; the superior's acceptance is awaited. The ladder holds meanwhile:
    a superior slow to accept must not make the unit climb it. For the owning module, which has checked
    who may report."""
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update(of=("self",)).get(pk=obligation.pk)
        if obligation.state not in ACTIVE_STATES:
            raise ServiceError(_("This obligation is not open."))
        obligation.state = ObligationState.SUBMITTED
        obligation.next_action_on = None
        obligation.save()
    data_changed()
    return obligation


def obligation_return(*, obligation: Obligation, user=None, reason: str = "", today: date | None = None):
    """The superior did not accept the report: the obligation goes back on its ladder where it was (overdue
    if its date has passed, escalated if a consequence was proposed before)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        obligation = (
            Obligation.objects.select_for_update(of=("self",)).select_related("policy").get(pk=obligation.pk)
        )
        if obligation.state != ObligationState.SUBMITTED:
            raise ServiceError(_("Only a report awaiting acceptance can be returned."))
        proposals = obligation.escalations.exclude(action__in=StepAction.automatic())
        if proposals.exists():
            obligation.state = ObligationState.ESCALATED
        elif today > obligation.due_date:
            obligation.state = ObligationState.OVERDUE
        else:
            obligation.state = ObligationState.OPEN
        waiting = proposals.filter(status=EscalationStatus.PROPOSED).exists()
        upcoming = _next_action_on(obligation, _steps(obligation.policy), waiting=waiting)
        obligation.next_action_on = max(upcoming, today) if upcoming else None
        obligation.save()
    data_changed()
    return obligation


def obligation_waive(*, obligation: Obligation, user, reason: str) -> Obligation:
    """A superior waives an obligation (no longer owed), with a reason."""
    reason = (reason or "").strip()
    if not scoping.has_perm_on(user, OBLIGATIONS_WAIVE, obligation.organization.path, above=True):
        raise NotPermitted()
    if not reason:
        raise ServiceError(_("Give a reason for waiving it."), field="reason")
    return _close(obligation, ObligationState.WAIVED, user=user, note=reason)


def _close(obligation: Obligation, state: str, *, user, note: str) -> Obligation:
    with transaction.atomic():
        obligation = (
            Obligation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=obligation.pk)
        )
        if obligation.state not in UNCLOSED_STATES:
            raise ServiceError(_("This obligation is already closed."))
        obligation.state = state
        obligation.closed_at = timezone.now()
        obligation.closed_by = user
        obligation.closing_note = note
        obligation.next_action_on = None
        obligation.save()
        if state == ObligationState.WAIVED:
            # Nothing is owed any more, so no consequence may follow: pending proposals are withdrawn.
            # (A late completion keeps them: it was still late, and the decider sees that it is done.)
            for pending in obligation.escalations.filter(status=EscalationStatus.PROPOSED):
                pending.status = EscalationStatus.WITHDRAWN
                pending.decided_by = user
                pending.decided_at = timezone.now()
                pending.reason = note
                pending.save()
    data_changed()
    return obligation
