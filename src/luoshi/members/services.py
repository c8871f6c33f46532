"""Writes of the register: a member's record changed by hand, and imports — a file checked in the background
row by row, then committed all or nothing, matched to the register by national ID (the same file twice changes
nothing)."""

import json
import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from luoshi.accounts import scoping
from luoshi.accounts.permissions import MEMBERS_MANAGE
from luoshi.core.cache import data_changed
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.members.models import ImportStatus, Member, MemberImport, SensitiveRead, Transfer, TransferStatus
from luoshi.members.obligations import full_membership_sync
from luoshi.members.tabular import FileRefused, read_rows
from luoshi.members.validation import HEADERS, OrgRef, check_row
from luoshi.orgs.models import Organization

log = logging.getLogger(__name__)

MAX_ROWS = 100_000  # per file: a province imports city by city
PROGRESS_EVERY = 2_000  # rows between two progress updates
STALE = timedelta(minutes=3)  # a job without progress for this long died with its worker: run it again
FIELDS = [
    "name",
    "sex",
    "ethnicity",
    "national_id",
    "birth_date",
    "education",
    "category",
    "organization_id",
    "joined_on",
    "full_on",
    "post",
    "phone",
    "residence",
    "mobile",
    "lost_contact",
    "lost_contact_since",
]
# What an import row or a correction by hand may change: everything but the organization, which changes only
# through a transfer (组织关系转接, `transfer_receive`).
UPDATABLE = [f for f in FIELDS if f != "organization_id"]


def initials_of(name: str) -> str:
    """The first letters of a name's pinyin, for search: 张伟 → zw, 欧阳娜娜 → oynn."""
    return "".join(p[:1] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()[:30]


# --- imports ------------------------------------------------------------------------------------------------


def import_start(*, by, organization: Organization, upload, queue: bool = True) -> MemberImport:
    """Keep the file (SHA-256) and queue its check (`queue=False`: the caller runs `import_check` itself, as
    the CLI does). Refused at once: no right to the register there, a file too large or of another type.
    Everything else about the file is the check's to say, row by row."""
    from luoshi.core.attachments import attachment_add

    if not scoping.has_perm_on(by, MEMBERS_MANAGE, organization.path):
        raise NotPermitted()
    with transaction.atomic():
        job = MemberImport.objects.create(
            organization=organization, filename=upload.name[:200], sha256="", created_by=by
        )
        attachment = attachment_add(upload=upload, user=by, subject=job)
        job.sha256 = attachment.blob.sha256
        job.save(update_fields=["sha256"])
    if queue:
        from luoshi.members import tasks

        transaction.on_commit(lambda: tasks.import_check_task(job.pk))
    return job


def _organizations(job: MemberImport) -> dict[str, OrgRef]:
    rows = (
        Organization.objects.subtree(job.organization.path)
        .active()
        .values_list("code", "id", "holds_members")
    )
    return {code: OrgRef(pk, holds) for code, pk, holds in rows}


def _cache_path(job: MemberImport):
    """Where the check leaves the file's cells for the commit: beside the kept files (MEDIA_ROOT, which every
    worker sees), so the commit need not parse the workbook again (half the time of a large import)."""
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "imports" / f"{job.pk}-{job.sha256}.json"


def _encode(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _decode(value):
    if isinstance(value, dict):
        return datetime.fromisoformat(value["t"]) if "t" in value else date.fromisoformat(value["d"])
    return value


def _cells(job: MemberImport):
    """(row number, cells) of the job's file: from the check's cache when there is one, else read from the
    file (raising FileRefused for a file-level problem)."""
    from luoshi.core.attachments import blob_path

    cache = _cache_path(job)
    if cache.exists():
        with open(cache, encoding="utf-8") as stream:
            for number, cells in json.load(stream):
                yield number, [_decode(c) for c in cells]
        return
    with open(blob_path(job.sha256), "rb") as stream:
        _header, rows = read_rows(stream, job.filename, max_rows=MAX_ROWS)
        yield from rows


def _registered_elsewhere(clean: list[dict], existing: dict[str, Member], *, user) -> tuple[dict, dict]:
    """The rows whose national ID is already registered in another organization than the row names:
    ({row number: [message]}, {row number: member id}). A member changes branch only through a transfer
    (组织关系转接), never by an import, so such a row is refused. The message names the member's organization
    only when `user` (the importer) may see its register, else says "registered elsewhere"; the member ids
    (for a link to the transfer) are those of members the importer may see."""
    moved = [
        (row, member)
        for row in clean
        if (member := existing.get(row["national_id"])) is not None
        and member.organization_id != row["organization_id"]
    ]
    if not moved:
        return {}, {}
    from luoshi.accounts.permissions import MEMBERS_VIEW

    orgs = {
        pk: (path, name)
        for pk, path, name in Organization.objects.filter(
            pk__in={member.organization_id for _row, member in moved}
        ).values_list("pk", "path", "name")
    }
    errors, members = {}, {}
    for row, member in moved:
        path, name = orgs[member.organization_id]
        number = str(row["_row"])
        if scoping.has_perm_on(user, MEMBERS_VIEW, path):
            message = _(
                "%(column)s: this member is already registered in %(org)s. A member changes organization only "
                "through a transfer (组织关系转接): start a transfer from the member's page, or write the "
                "member's current organization in this row."
            ) % {"column": HEADERS[3], "org": name}
            members[number] = member.pk
        else:
            message = _(
                "%(column)s: this member is already registered elsewhere (已在其他组织登记). A member changes "
                "organization only through a transfer (组织关系转接), started by the organization that keeps "
                "the member's record."
            ) % {"column": HEADERS[3]}
        errors[number] = [message]
    return errors, members


def _read(job: MemberImport, *, progress: bool, keep: bool = False):
    """Every row of the job's file checked on its own: (clean rows, {row number: messages}, the cells to keep
    for the commit when `keep`, else None). Progress is written as it goes; a file-level problem (unreadable,
    headers, too large, too many rows) is row "0". Whether a row's member is registered elsewhere is the
    register's question, asked by the caller with the members it looks up anyway (`_registered_elsewhere`)."""
    today = timezone.localdate()
    organizations = _organizations(job)
    clean, errors, seen, kept = [], {}, {}, []
    try:
        for checked, (number, cells) in enumerate(_cells(job), start=1):
            if keep:
                kept.append((number, [_encode(c) for c in cells]))
            values, problems = check_row(cells, organizations=organizations, today=today)
            if values is not None:
                first = seen.setdefault(values["national_id"], number)
                if first != number:
                    problems = [
                        _("%(column)s: the same national ID as row %(row)d.")
                        % {"column": HEADERS[3], "row": first}
                    ]
                    values = None
            if values is None:
                errors[str(number)] = problems
            else:
                values["_row"] = number
                clean.append(values)
            if progress and checked % PROGRESS_EVERY == 0:
                MemberImport.objects.filter(pk=job.pk).update(checked_rows=checked, updated_at=timezone.now())
    except FileRefused as refused:
        return [], {"0": [refused.message]}, None
    if not clean and not errors:
        errors["0"] = [_("The file has no member rows.")]
    return clean, errors, kept if keep else None


def _keep(job: MemberImport, kept: list) -> None:
    """Leave the checked cells in the cache for the commit (written whole, then moved into place)."""
    cache = _cache_path(job)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".part")
    with open(partial, "w", encoding="utf-8") as stream:
        json.dump(kept, stream, ensure_ascii=False, separators=(",", ":"))
    partial.replace(cache)


def import_check(job_id: int) -> MemberImport:
    """The background check: every row, every problem; CHECKED when the file can be committed, REFUSED
    otherwise (the error sheet says what to fix). Running it again gives the same answer."""
    job = MemberImport.objects.select_related("organization").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.CHECKING):
        return job
    from luoshi.core.attachments import blob_path
    from luoshi.members.tabular import count_rows

    try:
        with open(blob_path(job.sha256), "rb") as stream:
            total = count_rows(stream, job.filename)
    except FileRefused:
        total = 0
    MemberImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.CHECKING, total_rows=total, checked_rows=0, updated_at=timezone.now()
    )
    clean, errors, kept = _read(job, progress=True, keep=True)
    existing = _existing([row["national_id"] for row in clean])
    elsewhere, moves = _registered_elsewhere(clean, existing, user=job.created_by)
    if elsewhere:
        errors.update(elsewhere)
        clean = [row for row in clean if str(row["_row"]) not in elsewhere]
    if not errors:
        _keep(job, kept)
    job.refresh_from_db()
    job.status = ImportStatus.REFUSED if errors else ImportStatus.CHECKED
    job.errors = errors
    job.registered_elsewhere = moves
    job.valid_rows = len(clean)
    job.error_rows = len([k for k in errors if k != "0"])
    job.total_rows = job.checked_rows = len(clean) + job.error_rows
    job.created_count, job.updated_count, job.unchanged_count = _changes(clean, existing)
    job.save()
    return job


def _changes(clean: list[dict], existing: dict[str, Member]) -> tuple[int, int, int]:
    """How many rows are new members, change a member, or change nothing."""
    new = changed = 0
    for row in clean:
        member = existing.get(row["national_id"])
        if member is None:
            new += 1
        elif _differs(member, row):
            changed += 1
    return new, changed, len(clean) - new - changed


def _differs(member: Member, row: dict) -> bool:
    """Whether a checked row would change the member (the preview's count and the commit agree by this)."""
    return any(getattr(member, f) != row[f] for f in FIELDS)


def _existing(national_ids: list[str]) -> dict[str, Member]:
    out = {}
    for start in range(0, len(national_ids), 900):  # SQLite's limit on parameters
        for member in Member.objects.active().filter(national_id__in=national_ids[start : start + 900]):
            out[member.national_id] = member
    return out


def import_commit(*, by, job: MemberImport, queue: bool = True) -> MemberImport:
    """Import a checked file, all or nothing. The file is read and checked again inside the transaction (the
    tree may have changed since); any problem now refuses it whole. Committing twice changes nothing."""
    if not scoping.has_perm_on(by, MEMBERS_MANAGE, job.organization.path):
        raise NotPermitted()
    with transaction.atomic():
        job = MemberImport.objects.select_for_update().select_related("organization").get(pk=job.pk)
        if job.status == ImportStatus.COMMITTED:
            return job
        if job.status not in (ImportStatus.CHECKED, ImportStatus.COMMITTING):
            raise ServiceError(_("Only a checked file without errors can be imported."))
        job.status = ImportStatus.COMMITTING
        job.committed_by = by
        job.save(update_fields=["status", "committed_by", "updated_at"])
    if not queue:
        return import_apply(job.pk)
    from luoshi.members import tasks

    tasks.import_commit_task(job.pk)
    job.refresh_from_db()
    return job


def import_apply(job_id: int) -> MemberImport:
    """The commit itself (a background task): one transaction; a worker killed in the middle leaves nothing,
    and the job, still COMMITTING, is run again by `imports_resume`."""
    job = MemberImport.objects.select_related("organization", "committed_by").get(pk=job_id)
    if job.status != ImportStatus.COMMITTING:
        return job
    by = job.committed_by
    clean, errors, _kept = _read(job, progress=False)
    reason = _("Import %(file)s") % {"file": job.filename}
    with transaction.atomic():
        existing = _existing([row["national_id"] for row in clean])
        # looked up inside the transaction: a transfer received since the check is refused too (the branch
        # never changes by an import)
        elsewhere, moves = _registered_elsewhere(clean, existing, user=by)
        if errors or elsewhere:
            return _refuse(job, {**errors, **elsewhere}, moves)
        new, changed = [], []
        for row in clean:
            member = existing.get(row["national_id"])
            if member is None:
                new.append(Member(**{f: row[f] for f in FIELDS}, initials=initials_of(row["name"])))
            elif _differs(member, row):
                for f in UPDATABLE:
                    setattr(member, f, row[f])
                member.initials = initials_of(member.name)
                member.updated_at = timezone.now()
                changed.append(member)
        if new:
            bulk_create_with_history(
                new, Member, batch_size=2000, default_user=by, default_change_reason=reason
            )
        if changed:
            bulk_update_with_history(
                changed,
                Member,
                UPDATABLE + ["initials", "updated_at"],
                batch_size=2000,
                default_user=by,
                default_change_reason=reason,
            )
        job.status = ImportStatus.COMMITTED
        job.committed_at = timezone.now()
        job.created_count, job.updated_count = len(new), len(changed)
        job.unchanged_count = len(clean) - len(new) - len(changed)
        job.save()
        full_membership_sync()
    _cache_path(job).unlink(missing_ok=True)
    data_changed()
    return job


def _refuse(job: MemberImport, errors: dict, moves: dict) -> MemberImport:
    MemberImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.REFUSED,
        errors=errors,
        error_rows=len([k for k in errors if k != "0"]),
        registered_elsewhere=moves,
    )
    job.refresh_from_db()
    return job


def imports_resume(now=None) -> int:
    """Jobs whose worker died (no progress for STALE) are queued again; returns how many."""
    from luoshi.members import tasks

    now = now or timezone.now()
    stale = MemberImport.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.COMMITTING],
        updated_at__lt=now - STALE,
    )
    count = 0
    for job in stale:
        MemberImport.objects.filter(pk=job.pk).update(updated_at=now)
        if job.status == ImportStatus.COMMITTING:
            tasks.import_commit_task(job.pk)
        else:
            MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
            tasks.import_check_task(job.pk)
        count += 1
    return count


# --- one member ---------------------------------------------------------------------------------------------


def member_update(*, by, member: Member, values: dict, reason: str = "") -> Member:
    """A correction by hand, through the same checks as an import row; kept in the member's history. The
    organization is not corrected here: a member changes organization only through a transfer."""
    if not scoping.has_perm_on(by, MEMBERS_MANAGE, member.organization.path):
        raise NotPermitted()
    if "organization_id" in values and values["organization_id"] != member.organization_id:
        raise ServiceError(
            _(
                "A member changes organization only through a transfer (组织关系转接): start one from the "
                "member's page."
            ),
            field="organization",
        )
    changed = [f for f in UPDATABLE if f in values and getattr(member, f) != values[f]]
    if not changed:
        return member
    for f in changed:
        setattr(member, f, values[f])
    member.initials = initials_of(member.name)
    member._change_reason = reason or _("Corrected by hand")
    member._history_user = by
    member.save()
    if "category" in changed:
        full_membership_sync()
    data_changed()
    return member


def sensitive_read(*, by, member: Member, via: str = "page") -> tuple[str, str]:
    """The full national ID and phone, for a user entitled to them; the read is logged."""
    from luoshi.members.selectors import can_see_sensitive

    if not can_see_sensitive(by, member):
        raise NotPermitted()
    SensitiveRead.objects.create(user=by, member=member, via=via)
    return member.national_id, member.phone


# --- files ---------------------------------------------------------------------------------------------------


def error_sheet_of(job: MemberImport) -> bytes:
    """The job's refused rows, as given, with an error column: fixed in Excel, the sheet is uploaded again."""
    from luoshi.core.attachments import blob_path
    from luoshi.members.tabular import error_sheet

    wanted = {int(row): messages for row, messages in job.errors.items() if row != "0"}
    rows = []
    with open(blob_path(job.sha256), "rb") as stream:
        header, cells_of = read_rows(stream, job.filename, max_rows=MAX_ROWS)
        for number, cells in cells_of:
            if number in wanted:
                rows.append((number, cells, wanted[number]))
    return error_sheet(header[: len(HEADERS)], rows)


def template_xlsx() -> bytes:
    """The import template: the 16 columns in the national system's order, the ID column as text, lists for
    the fixed columns, and a sheet of instructions."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "党员信息"
    ws.append(HEADERS)
    widths = [10, 6, 8, 22, 12, 12, 10, 18, 12, 12, 16, 14, 30, 12, 10, 12]
    for n, (cell, width) in enumerate(zip(ws[1], widths, strict=True), start=1):
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="F2DCDB")
        letter = get_column_letter(n)
        ws.column_dimensions[letter].width = width
        if HEADERS[n - 1] in ("公民身份号码", "所在党组织代码", "手机号码"):
            for row in range(2, 2002):
                ws[f"{letter}{row}"].number_format = "@"  # text: Excel would round an 18-digit number
    lists = {"性别": "男,女", "人员类别": "正式党员,预备党员", "是否流动党员": "是,否", "是否失联": "是,否"}
    for name, choices in lists.items():
        letter = get_column_letter(HEADERS.index(name) + 1)
        rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        rule.add(f"{letter}2:{letter}100001")
        ws.add_data_validation(rule)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    for line in (
        ["列", "说明"],
        ["公民身份号码", "18位，最后一位可为X；请以文本格式填写。出生日期、性别须与身份号码一致。"],
        [
            "日期",
            "出生日期、入党日期、转正日期、失联日期可写作 2020-01-05、2020/1/5、2020年1月5日，或使用 Excel 日期格式。",
        ],
        ["人员类别", "正式党员须填转正日期（入党满一年后）；预备党员转正日期留空。"],
        ["所在党组织代码", "党员所在党支部的组织代码（在“党组织”页面可查）。"],
        ["是否流动党员、是否失联", "填“是”或“否”，空白视为“否”；失联的须填失联日期。"],
        [
            "重复导入",
            "按公民身份号码匹配：已在名册中的党员更新其信息，相同的文件再次导入不会产生任何变化。"
            "所在党组织不能通过导入变更：已在其他党组织登记的党员，须办理组织关系转接。",
        ],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- transfers (组织关系转接) ------------------------------------------------------------------------------------

TRANSFER_DAYS = 30
TRANSFER_MAX_DAYS = 92  # "at most three months"


def transfer_issue(
    *,
    by,
    member: Member,
    to_organization: Organization | None = None,
    to_name: str = "",
    reason: str,
    days: int = TRANSFER_DAYS,
    today=None,
) -> Transfer:
    """开具介绍信 — the sending organization sends a member's relationship, to an organization of this system
    (which owes the receipt) or outside it (the sender owes the receipt slip). One open letter per member."""
    from luoshi.core import obligations as engine
    from luoshi.members.obligations import TRANSFER_RECEIPT

    today = today or timezone.localdate()
    if not scoping.has_perm_on(by, MEMBERS_MANAGE, member.organization.path):
        raise NotPermitted()
    if member.archived_at is not None:
        raise ServiceError(_("This member is no longer in the register."))
    if Transfer.objects.filter(member=member, status=TransferStatus.ISSUED).exists():
        raise ServiceError(_("This member already has a letter awaiting receipt."))
    to_name = (to_name or "").strip()
    if (to_organization is None) == (not to_name):
        raise ServiceError(
            _("Name the receiving organization: one of this system, or one outside it."),
            field="to_organization",
        )
    if to_organization is not None:
        if not to_organization.holds_members or to_organization.archived_at is not None:
            raise ServiceError(
                _("The receiving organization must be a branch that keeps members."), field="to_organization"
            )
        if to_organization.pk == member.organization_id:
            raise ServiceError(_("The member is already in this organization."), field="to_organization")
    if not (reason or "").strip():
        raise ServiceError(_("Give the reason (e.g. moved house, new job)."), field="reason")
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= TRANSFER_MAX_DAYS:
        raise ServiceError(
            _("A letter is valid for 1 to %(max)d days (30 as a rule).") % {"max": TRANSFER_MAX_DAYS},
            field="days",
        )
    with transaction.atomic():
        count = Transfer.objects.filter(issued_on__year=today.year).count() + 1
        transfer = Transfer.objects.create(
            member=member,
            number=f"{today.year}-{count:05d}",
            from_organization=member.organization,
            to_organization=to_organization,
            to_name=to_name,
            reason=reason.strip(),
            issued_on=today,
            valid_until=today + timedelta(days=days),
            issued_by=by,
        )
        owner = to_organization or member.organization
        title = (
            _("Receive the relationship of %(name)s (letter %(number)s)")
            if to_organization
            else _("Obtain the receipt slip for %(name)s (letter %(number)s)")
        ) % {"name": member.name, "number": transfer.number}
        transfer.obligation = engine.obligation_create(
            kind=TRANSFER_RECEIPT,
            title=str(title),
            organization=owner,
            due_date=transfer.valid_until,
            subject=transfer,
            created_by=by,
        )
        transfer.save(update_fields=["obligation"])
    data_changed()
    return transfer


def transfer_receive(*, by, transfer: Transfer, note: str = "") -> Transfer:
    """接收 — the receiving organization records the receipt: the member moves to it (kept in the member's
    history). For a letter to an organization outside the system, the sending organization records the receipt
    slip, and the member leaves this register. Twice changes nothing."""
    from luoshi.core import obligations as engine

    owner = transfer.to_organization or transfer.from_organization
    if not scoping.has_perm_on(by, MEMBERS_MANAGE, owner.path):
        raise NotPermitted()
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().select_related("member").get(pk=transfer.pk)
        if transfer.status != TransferStatus.ISSUED:
            return transfer
        member = transfer.member
        if transfer.to_organization_id:
            member.organization = transfer.to_organization
            member._change_reason = _("Transferred in with letter %(number)s") % {"number": transfer.number}
        else:
            member.archived_at = timezone.now()
            member.archived_reason = str(
                _("Transferred out to %(org)s with letter %(number)s")
                % {"org": transfer.to_name, "number": transfer.number}
            )[:200]
            member._change_reason = member.archived_reason
        member._history_user = by
        member.save()
        transfer.status = TransferStatus.RECEIVED
        transfer.received_on = timezone.localdate()
        transfer.note = (note or "").strip()[:300]
        transfer.closed_by = by
        transfer.save()
        if transfer.obligation_id:
            engine.obligation_mark_done(obligation=transfer.obligation, user=by, note=transfer.note)
    data_changed()
    return transfer


def transfer_cancel(*, by, transfer: Transfer, reason: str) -> Transfer:
    """The sending organization withdraws a letter not yet received (issued in error, the member stays)."""
    from luoshi.core import obligations as engine

    if not scoping.has_perm_on(by, MEMBERS_MANAGE, transfer.from_organization.path):
        raise NotPermitted()
    if not (reason or "").strip():
        raise ServiceError(_("Give the reason for withdrawing the letter."), field="reason")
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.status != TransferStatus.ISSUED:
            return transfer
        transfer.status = TransferStatus.CANCELLED
        transfer.note = reason.strip()[:300]
        transfer.closed_by = by
        transfer.save()
        if transfer.obligation_id:
            engine.obligation_mark_done(obligation=transfer.obligation, user=by, note=transfer.note)
    data_changed()
    return transfer
