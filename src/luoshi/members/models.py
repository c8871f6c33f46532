"""The member register (党员名册): one record per member, every change kept with who and when, and the imports
that load it from the sheets offices keep today."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from luoshi.core.models import NoDeleteModel, NoDeleteQuerySet


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Category(models.TextChoices):
    FULL = "full", _("Full member (正式党员)")
    PROBATIONARY = "probationary", _("Probationary member (预备党员)")


class MemberQuerySet(NoDeleteQuerySet):
    def active(self):
        return self.filter(archived_at=None)

    def visible_to(self, user):
        """The one scoping function of the register: members kept by an organization under a grant of
        members.view."""
        from luoshi.accounts.permissions import MEMBERS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, MEMBERS_VIEW, field="organization__path"))


class Member(NoDeleteModel):
    """党员 — one member as the national member system records them. A record is never deleted: a member who
    leaves is archived with the reason (history keeps every earlier value)."""

    name = models.CharField(_("name"), max_length=60)
    initials = models.CharField(_("pinyin initials"), max_length=30, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=20)
    national_id = models.CharField(_("national ID"), max_length=18)
    birth_date = models.DateField(_("birth date"))
    education = models.CharField(_("education"), max_length=20, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    joined_on = models.DateField(_("joined the Party on"))
    full_on = models.DateField(_("full member since"), null=True, blank=True)
    post = models.CharField(_("post"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    residence = models.CharField(_("residence"), max_length=200, blank=True)
    mobile = models.BooleanField(_("mobile member (流动党员)"), default=False)
    lost_contact = models.BooleanField(_("lost contact (失联)"), default=False)
    lost_contact_since = models.DateField(_("lost contact since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_reason = models.CharField(_("reason for leaving the register"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["organization_id", "initials", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["national_id"],
                condition=Q(archived_at=None),
                name="one_active_member_per_national_id",
            )
        ]
        indexes = [models.Index(fields=["organization", "archived_at"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("members:member", args=[self.pk])


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be checked")
    CHECKING = "checking", _("Being checked")
    CHECKED = "checked", _("Checked")
    REFUSED = "refused", _("Refused")
    COMMITTING = "committing", _("Being imported")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


class MemberImportQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        from luoshi.accounts.permissions import MEMBERS_MANAGE
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, MEMBERS_MANAGE, field="organization__path"))


class MemberImport(NoDeleteModel):
    """导入 — one uploaded file (Excel or CSV) into the register of `organization`'s subtree: checked in the
    background row by row, shown as a preview, then committed all or nothing. The file is kept (SHA-256)."""

    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("into the register of"),
    )
    filename = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default="queued")
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    # {row number: [messages]} for the refused rows; the file-level problem (unreadable, headers) under "0"
    errors = models.JSONField(default=dict, blank=True)
    # {row number: member id} for refused rows naming a member already registered in another organization the
    # importer sees: the import page links each to the member's transfer (组织关系转接)
    registered_elsewhere = models.JSONField(default=dict, blank=True, editable=False)
    # what committing did: new, changed, unchanged members
    created_count = models.PositiveIntegerField(_("new members"), default=0)
    updated_count = models.PositiveIntegerField(_("members changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("members unchanged"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the heartbeat: a job silent too long is run again
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["checked_rows", "updated_at"])

    objects = MemberImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename

    def get_absolute_url(self):
        return reverse("members:import", args=[self.pk])

    @property
    def progress_percent(self) -> int:
        return round(100 * self.checked_rows / self.total_rows) if self.total_rows else 0


class SensitiveRead(models.Model):
    """Every read of a member's full national ID and phone: who, when, whose, and through what (page or API).
    Append-only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=10)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["member", "at"])]

    def __str__(self):
        return f"{self.user} · {self.member} · {self.at:%Y-%m-%d %H:%M}"

    def delete(self, *args, **kwargs):
        raise RuntimeError("the log of sensitive reads is append-only")


class TransferStatus(models.TextChoices):
    ISSUED = "issued", _("Issued, awaiting receipt")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class TransferQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """Transfers out of or into an organization under a grant of members.view."""
        from luoshi.accounts.permissions import MEMBERS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(
            scope_q(user, MEMBERS_VIEW, field="from_organization__path")
            | scope_q(user, MEMBERS_VIEW, field="to_organization__path")
        )


class Transfer(NoDeleteModel):
    """组织关系介绍信 — a member's relationship sent to another organization: valid 30 days (at most 3 months).
    The sending organization stays responsible until the receiving one records the receipt; within this
    installation the receiving organization owes the receipt (an obligation), for an organization outside it
    the sending organization owes the receipt slip (回执)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers")
    number = models.CharField(_("letter number"), max_length=40)
    from_organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
    )
    to_name = models.CharField(_("to an organization outside this system"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=TransferStatus.choices, default="issued")
    received_on = models.DateField(_("received on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    obligation = models.OneToOneField(
        "core.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer letter")
        verbose_name_plural = _("transfer letters")
        ordering = ["-issued_on", "-id"]

    def __str__(self):
        return f"{self.number} {self.member}"

    def get_absolute_url(self):
        return reverse("members:transfer", args=[self.pk])

    @property
    def destination(self) -> str:
        return self.to_organization.name if self.to_organization_id else self.to_name


# --- dues (党费) ----------------------------------------------------------------------------------------------


class DuesBasis(models.TextChoices):
    EMPLOYED = "employed", _("Employed: monthly net salary")
    RETIRED = "retired", _("Retired: monthly pension")
    FARMER = "farmer", _("Farmer")
    STUDENT = "student", _("Student")
    UNEMPLOYED = "unemployed", _("Laid off or unemployed")
    RELIEF = "relief", _("On minimum living allowance")


class DuesRule(NoDeleteModel):
    """One bracket of the dues rules, as data with the date it takes effect: up to a monthly income (inclusive;
    empty: no upper bound), a percentage of the whole income or a fixed monthly amount. The shipped rules are
    those of 2008 (中组部《关于中国共产党党费收缴、使用和管理的规定》); a later rule is a new set of rows."""

    effective_from = models.DateField(_("effective from"))
    basis = models.CharField(_("basis"), max_length=12, choices=DuesBasis.choices)
    up_to = models.DecimalField(
        _("monthly income up to"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2, null=True, blank=True)
    fixed = models.DecimalField(
        _("fixed monthly amount"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("rests on"), max_length=200)

    class Meta:
        ordering = ["-effective_from", "basis", "up_to"]

    def __str__(self):
        return f"{self.get_basis_display()} ≤ {self.up_to or '∞'}"


class DuesQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """Amounts of a person: the branch's dues keeper and the organizations above (members.dues)."""
        from luoshi.accounts.permissions import MEMBERS_DUES
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, MEMBERS_DUES, field="member__organization__path"))


class DuesAssessment(NoDeleteModel):
    """党费核定 — a member's monthly dues for a year, fixed at its start from the basis and the monthly income."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_assessments")
    year = models.PositiveSmallIntegerField(_("year"))
    basis = models.CharField(_("basis"), max_length=12, choices=DuesBasis.choices)
    monthly_income = models.DecimalField(
        _("monthly income"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    monthly_amount = models.DecimalField(_("monthly dues"), max_digits=8, decimal_places=2)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = DuesQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="one_dues_assessment_per_year")
        ]

    def __str__(self):
        return f"{self.member} {self.year}: {self.monthly_amount}"


class DuesPayment(NoDeleteModel):
    """交纳党费 — a payment for one month (a month may be paid in parts, and in advance)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_payments")
    month = models.DateField(_("for the month"))  # its first day
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = DuesQuerySet.as_manager()

    class Meta:
        ordering = ["member_id", "month"]
        indexes = [models.Index(fields=["member", "month"])]

    def __str__(self):
        return f"{self.member} {self.month:%Y-%m}: {self.amount}"


# --- the sweep (集中排查) ---------------------------------------------------------------------------------------


class SweepQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """Sweeps over a subtree the user's scope overlaps: opened within it, or above it (a branch sees the
        district's sweep, and in it only its own findings)."""
        from luoshi.accounts.permissions import MEMBERS_VIEW
        from luoshi.accounts.scoping import paths_with_perm, scope_q
        from luoshi.orgs.tree import SEGMENT

        above = {
            p[:k] for p in paths_with_perm(user, MEMBERS_VIEW) for k in range(SEGMENT, len(p) + 1, SEGMENT)
        }
        return self.filter(
            scope_q(user, MEMBERS_VIEW, field="organization__path") | Q(organization__path__in=above)
        )


class SweepStatus(models.TextChoices):
    RUNNING = "running", _("Being checked")
    OPEN = "open", _("Open: findings being answered")
    FAILED = "failed", _("Failed")
    CLOSED = "closed", _("Closed")


class Sweep(NoDeleteModel):
    """集中排查 — an office checks every member of its subtree against the rules (data: sweep_rules.yaml, copied
    into `rules` when opened) as of a day; each breach becomes a finding that the member's branch answers and that
    ends in one of four outcomes, with due process."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("office")
    )
    title = models.CharField(_("title"), max_length=200)
    as_of = models.DateField(_("as of"))
    rules = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=10, choices=SweepStatus.choices, default="running")
    # rule code -> {"checked": n, "found": n, "no_data": n}; "engine", "seconds"
    summary = models.JSONField(default=dict, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = SweepQuerySet.as_manager()

    class Meta:
        verbose_name = _("sweep")
        verbose_name_plural = _("sweeps")
        ordering = ["-opened_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("members:sweep", args=[self.pk])


class Outcome(models.TextChoices):
    CLEARED = "cleared", _("No problem on checking (facts given)")
    EDUCATE = "educate", _("Educate (教育)")
    RECTIFY = "rectify", _("Rectify (整改)")
    PERSUADE = "persuade", _("Persuade to leave (劝退)")
    REMOVE = "remove", _("Remove (除名)")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the branch's answer")
    ANSWERED = "answered", _("Answered, awaiting the outcome")
    IN_PROCESS = "in_process", _("Outcome in process")
    CLOSED = "closed", _("Closed")


class SweepFindingQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        from luoshi.accounts.permissions import MEMBERS_VIEW
        from luoshi.accounts.scoping import scope_q

        return self.filter(scope_q(user, MEMBERS_VIEW, field="organization__path"))


class SweepFinding(NoDeleteModel):
    """排查发现 — one member breaching one rule, with the records behind it (`facts`). The branch answers with
    facts; the outcome follows: cleared or educate (closed at once), rectify (a deadline, an obligation), persuade
    to leave or remove (the member's statement or a note that they declined, the branch meeting's decision and
    date, the higher organization's approval — recorded in this order — before the member leaves the register)."""

    sweep = models.ForeignKey(Sweep, on_delete=models.PROTECT, related_name="findings")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(_("rule"), max_length=30)
    facts = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=12, choices=FindingStatus.choices, default="open")
    answer = models.TextField(_("the branch's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateField(_("rectify by"), null=True, blank=True)
    obligation = models.OneToOneField(
        "core.Obligation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # due process of persuasion and removal, in this order
    statement = models.TextField(_("the member's own statement"), blank=True)
    statement_declined = models.BooleanField(_("the member declined to make a statement"), default=False)
    statement_at = models.DateTimeField(null=True, blank=True)
    meeting_decision = models.TextField(_("the branch meeting's decision"), blank=True)
    meeting_on = models.DateField(_("branch meeting held on"), null=True, blank=True)
    approval = models.TextField(_("the higher organization's approval"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = SweepFindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("sweep finding")
        verbose_name_plural = _("sweep findings")
        ordering = ["sweep_id", "organization_id", "member_id", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["sweep", "member", "rule"], name="one_finding_per_member_and_rule"
            )
        ]
        indexes = [models.Index(fields=["sweep", "rule"]), models.Index(fields=["sweep", "organization"])]

    def __str__(self):
        return f"{self.member} · {self.rule}"

    def get_absolute_url(self):
        return reverse("members:finding", args=[self.pk])


# --- duplicate registrations (重复登记) -------------------------------------------------------------------------


class DuplicateSearch(NoDeleteModel):
    """One run of the duplicate search over an office's subtree (analytics.duplicates, Splink on DuckDB)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    members = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    new_pairs = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-run_at"]

    def __str__(self):
        return f"{self.organization} {self.run_at:%Y-%m-%d}"


class PairStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    MERGED = "merged", _("The same person: merged")
    REJECTED = "rejected", _("Two different people")


class DuplicatePairQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """Pairs whose two records the user may both manage."""
        from luoshi.accounts.permissions import MEMBERS_MANAGE
        from luoshi.accounts.scoping import scope_q

        return self.filter(
            scope_q(user, MEMBERS_MANAGE, field="member_l__organization__path"),
            scope_q(user, MEMBERS_MANAGE, field="member_r__organization__path"),
        )


class DuplicatePair(NoDeleteModel):
    """A candidate pair of registrations of one person, with what each comparison contributed. Reviewing it
    merges the second into the first (both histories kept) or marks it as two people, for good."""

    member_l = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    member_r = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField(_("match probability"))
    weight = models.FloatField(_("match weight"))
    comparisons = models.JSONField(default=dict)  # comparison -> [level label, weight]
    status = models.CharField(_("status"), max_length=10, choices=PairStatus.choices, default="pending")
    search = models.ForeignKey(DuplicateSearch, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    history = HistoricalRecords()

    objects = DuplicatePairQuerySet.as_manager()

    class Meta:
        ordering = ["status", "-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member_l", "member_r"], name="one_pair_per_two_members")
        ]

    def __str__(self):
        return f"{self.member_l} / {self.member_r}"

    def get_absolute_url(self):
        return reverse("members:duplicate", args=[self.pk])
