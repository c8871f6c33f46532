"""Scoped API of the register: members (national ID and phone masked, e.g. 110105********123X; `?reveal=1` on
one member gives them in full to a role entitled to them, and the read is logged), and imports (upload, the
check's result with every row's errors, commit)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from luoshi.core.api import DateField, IdField, _run
from luoshi.members import dues as dues_service
from luoshi.members import duplicates as duplicates_service
from luoshi.members import selectors, services
from luoshi.members import sweeps as sweep_service
from luoshi.members.models import (
    DuesPayment,
    DuplicatePair,
    Member,
    MemberImport,
    Outcome,
    Sweep,
    SweepFinding,
    Transfer,
)
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import organization_get_visible


class MemberSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    national_id = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "sex",
            "ethnicity",
            "national_id",
            "birth_date",
            "education",
            "category",
            "organization",
            "organization_code",
            "joined_on",
            "full_on",
            "post",
            "phone",
            "residence",
            "mobile",
            "lost_contact",
            "lost_contact_since",
            "masked",
        ]

    def _revealed(self, member):
        return self.context.get("revealed", {}).get(member.pk)

    def get_national_id(self, member) -> str:
        revealed = self._revealed(member)
        return revealed[0] if revealed else selectors.mask_id(member.national_id)

    def get_phone(self, member) -> str:
        revealed = self._revealed(member)
        return revealed[1] if revealed else selectors.mask_phone(member.phone)

    def get_masked(self, member) -> bool:
        return self._revealed(member) is None


class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    """Members in the caller's scope. Filters: `q` (name, pinyin initials, or the last 4+ digits of the ID),
    `org` (subtree of an organization id), `category` (full, probationary), `flag` (mobile, lost)."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        params = self.request.query_params
        under = organization_get_visible(self.request.user, params["org"]) if params.get("org") else None
        return selectors.member_list(
            self.request.user,
            search=params.get("q", ""),
            under=under,
            category=params.get("category", ""),
            flag=params.get("flag", ""),
        )

    def get_object(self):
        return selectors.member_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reveal", bool, description="1: the full national ID and phone (entitled roles; logged)"
            )
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        member = self.get_object()
        revealed = {}
        if request.query_params.get("reveal") == "1":
            revealed[member.pk] = _run(
                lambda: services.sensitive_read(by=request.user, member=member, via="api")
            )
        return Response(MemberSerializer(member, context={"request": request, "revealed": revealed}).data)


class ImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberImport
        fields = [
            "id",
            "organization",
            "filename",
            "sha256",
            "status",
            "total_rows",
            "checked_rows",
            "valid_rows",
            "error_rows",
            "errors",
            "created_count",
            "updated_count",
            "unchanged_count",
            "created_at",
            "committed_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    organization = IdField(help_text="id of the organization whose register the file fills")
    file = serializers.FileField()


class MemberImportViewSet(viewsets.ReadOnlyModelViewSet):
    """Imports the caller may manage. POST (multipart: organization, file) uploads a file and queues its
    check; poll the import until `status` is checked or refused; `errors` maps row numbers to messages."""

    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.imports_visible(self.request.user)

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportSerializer})
    def create(self, request):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        org = organization_get_visible(request.user, upload.validated_data["organization"])
        job = _run(
            lambda: services.import_start(
                by=request.user, organization=org, upload=upload.validated_data["file"]
            )
        )
        job.refresh_from_db()
        return Response(ImportSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Import a checked file without errors, all or nothing; twice changes nothing."""
        job = _run(lambda: services.import_commit(by=request.user, job=self.get_object()))
        return Response(ImportSerializer(job).data)


# --- transfers, dues, sweeps, findings, duplicate pairs -----------------------------------------------------------


class TransferSerializer(serializers.ModelSerializer):
    destination = serializers.CharField(read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "number",
            "member",
            "from_organization",
            "to_organization",
            "to_name",
            "destination",
            "reason",
            "issued_on",
            "valid_until",
            "status",
            "received_on",
            "note",
            "obligation",
        ]
        read_only_fields = [f for f in fields if f not in ("member", "to_organization", "to_name", "reason")]


class TransferIssueSerializer(serializers.Serializer):
    member = IdField()
    to_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    to_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=200)
    days = serializers.IntegerField(min_value=1, max_value=services.TRANSFER_MAX_DAYS, default=30)


class TransferReceiveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferViewSet(viewsets.ReadOnlyModelViewSet):
    """Transfer letters into or out of the caller's scope. POST issues one; `receive` and `cancel` close it."""

    serializer_class = TransferSerializer

    def get_queryset(self):
        return selectors.transfers_visible(self.request.user)

    @extend_schema(request=TransferIssueSerializer, responses={201: TransferSerializer})
    def create(self, request):
        data = TransferIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = selectors.member_get_visible(request.user, data.validated_data["member"])
        letter = _run(
            lambda: services.transfer_issue(
                by=request.user,
                member=member,
                to_organization=data.validated_data.get("to_organization"),
                to_name=data.validated_data["to_name"],
                reason=data.validated_data["reason"],
                days=data.validated_data["days"],
            )
        )
        return Response(TransferSerializer(letter).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransferReceiveSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        body = TransferReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        letter = _run(
            lambda: services.transfer_receive(
                by=request.user, transfer=self.get_object(), note=body.validated_data["note"]
            )
        )
        return Response(TransferSerializer(letter).data)

    @extend_schema(request=TransferCancelSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = TransferCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        letter = _run(
            lambda: services.transfer_cancel(
                by=request.user, transfer=self.get_object(), reason=body.validated_data["reason"]
            )
        )
        return Response(TransferSerializer(letter).data)


class DuesPaymentSerializer(serializers.ModelSerializer):
    month = DateField(help_text="the month paid for (any day of it)")
    paid_on = DateField()

    class Meta:
        model = DuesPayment
        fields = ["id", "member", "month", "amount", "paid_on"]


class DuesPaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Dues payments the caller may see (the branch's dues keeper and the offices above). POST records one."""

    serializer_class = DuesPaymentSerializer

    def get_queryset(self):
        qs = DuesPayment.objects.visible_to(self.request.user).order_by("member_id", "month")
        member = self.request.query_params.get("member")
        return qs.filter(member_id=member) if member else qs

    @extend_schema(request=DuesPaymentSerializer, responses={201: DuesPaymentSerializer})
    def create(self, request):
        data = DuesPaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = selectors.member_get_visible(request.user, data.validated_data["member"].pk)
        payment = _run(
            lambda: dues_service.pay(
                by=request.user,
                member=member,
                month=data.validated_data["month"],
                amount=data.validated_data["amount"],
                paid_on=data.validated_data["paid_on"],
            )
        )
        return Response(DuesPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class SweepSerializer(serializers.ModelSerializer):
    as_of = DateField(required=False)

    class Meta:
        model = Sweep
        fields = ["id", "organization", "title", "as_of", "status", "rules", "summary", "opened_at"]
        read_only_fields = ["status", "rules", "summary", "opened_at"]
        extra_kwargs = {"title": {"required": False}}


class SweepViewSet(viewsets.ReadOnlyModelViewSet):
    """Sweeps over a subtree the caller's scope overlaps. POST opens one (checked in the background); `report`
    gives the counts per rule and unit and the sentence for a report."""

    serializer_class = SweepSerializer

    def get_queryset(self):
        return selectors.sweeps_visible(self.request.user)

    @extend_schema(request=SweepSerializer, responses={201: SweepSerializer})
    def create(self, request):
        data = SweepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organization_get_visible(request.user, data.validated_data["organization"].pk)
        sweep = _run(
            lambda: sweep_service.sweep_open(
                by=request.user,
                organization=org,
                title=data.validated_data.get("title", ""),
                as_of=data.validated_data.get("as_of"),
            )
        )
        return Response(SweepSerializer(sweep).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        sweep = self.get_object()
        report = selectors.sweep_report(request.user, sweep)
        return Response(
            {
                "rules": report["rules"],
                "units": [
                    {"organization": u["org"].pk, "found": u["found"], "closed": u["closed"]}
                    for u in report["units"]
                ],
                "total": report["total"],
                "closed": report["closed"],
                "outcomes": report["outcomes"],
                "sentence": selectors.sweep_sentence(sweep, report),
            }
        )


class SweepFindingSerializer(serializers.ModelSerializer):
    # blank until an outcome is decided (a read-only model field loses allow_blank, and the schema its "")
    outcome = serializers.ChoiceField(Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = SweepFinding
        fields = [
            "id",
            "sweep",
            "member",
            "organization",
            "rule",
            "facts",
            "status",
            "answer",
            "answered_at",
            "outcome",
            "deadline",
            "obligation",
            "statement",
            "statement_declined",
            "statement_at",
            "meeting_decision",
            "meeting_on",
            "approval",
            "approved_at",
            "closed_at",
        ]
        read_only_fields = fields


def _text(max_length=2000):
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="")


class FindingAnswerIn(serializers.Serializer):
    answer = _text()


class FindingOutcomeIn(serializers.Serializer):
    outcome = _text()
    deadline = DateField(required=False, allow_null=True, default=None)


class FindingRectifiedIn(serializers.Serializer):
    note = _text()


class FindingStatementIn(serializers.Serializer):
    statement = _text()
    declined = serializers.BooleanField(required=False, default=False)


class FindingMeetingIn(serializers.Serializer):
    decision = _text()
    held_on = DateField(required=False, allow_null=True, default=None)


class FindingApproveIn(serializers.Serializer):
    approval = _text()


class SweepFindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings the caller may see (`sweep`, `rule`, `status` filter). Actions follow the due process: `answer`
    (answer), `outcome` (outcome, deadline), `rectified` (note), `statement` (statement or declined), `meeting`
    (decision, held_on), `approve` (approval) — each refused out of order, with the reason."""

    serializer_class = SweepFindingSerializer

    def get_queryset(self):
        qs = selectors.findings_visible(self.request.user)
        for key in ("sweep", "rule", "status"):
            if self.request.query_params.get(key):
                qs = qs.filter(**{key: self.request.query_params[key]})
        return qs

    def _act(self, request, body_class, call):
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(SweepFindingSerializer(_run(lambda: call(body.validated_data))).data)

    @extend_schema(request=FindingAnswerIn, responses=SweepFindingSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._act(
            request,
            FindingAnswerIn,
            lambda data: sweep_service.finding_answer(
                by=request.user, finding=self.get_object(), answer=data["answer"]
            ),
        )

    @extend_schema(request=FindingOutcomeIn, responses=SweepFindingSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        return self._act(
            request,
            FindingOutcomeIn,
            lambda data: sweep_service.finding_outcome(
                by=request.user, finding=self.get_object(), outcome=data["outcome"], deadline=data["deadline"]
            ),
        )

    @extend_schema(request=FindingRectifiedIn, responses=SweepFindingSerializer)
    @action(detail=True, methods=["post"])
    def rectified(self, request, pk=None):
        return self._act(
            request,
            FindingRectifiedIn,
            lambda data: sweep_service.finding_rectified(
                by=request.user, finding=self.get_object(), note=data["note"]
            ),
        )

    @extend_schema(request=FindingStatementIn, responses=SweepFindingSerializer)
    @action(detail=True, methods=["post"])
    def statement(self, request, pk=None):
        return self._act(
            request,
            FindingStatementIn,
            lambda data: sweep_service.finding_statement(
                by=request.user,
                finding=self.get_object(),
                statement=data["statement"],
                declined=data["declined"],
            ),
        )

    @extend_schema(request=FindingMeetingIn, responses=SweepFindingSerializer)
    @action(detail=True, methods=["post"])
    def meeting(self, request, pk=None):
        return self._act(
            request,
            FindingMeetingIn,
            lambda data: sweep_service.finding_meeting(
                by=request.user, finding=self.get_object(), decision=data["decision"], held_on=data["held_on"]
            ),
        )

    @extend_schema(request=FindingApproveIn, responses=SweepFindingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(
            request,
            FindingApproveIn,
            lambda data: sweep_service.finding_approve(
                by=request.user, finding=self.get_object(), approval=data["approval"]
            ),
        )


class DuplicatePairSerializer(serializers.ModelSerializer):
    class Meta:
        model = DuplicatePair
        fields = [
            "id",
            "member_l",
            "member_r",
            "probability",
            "weight",
            "comparisons",
            "status",
            "decided_at",
            "reason",
        ]
        read_only_fields = fields


class PairMergeIn(serializers.Serializer):
    keep = IdField(help_text="id of the member record that stays (one of the pair)")
    reason = _text(max_length=300)


class PairRejectIn(serializers.Serializer):
    reason = _text(max_length=300)


class DuplicatePairViewSet(viewsets.ReadOnlyModelViewSet):
    """Candidate duplicate registrations whose two records the caller manages (`status` filter, pending by
    default), each comparison with its level and weight. `merge` (keep, reason) and `reject` (reason)."""

    serializer_class = DuplicatePairSerializer

    def get_queryset(self):
        return duplicates_service.pairs_visible(self.request.user).filter(
            status=self.request.query_params.get("status", "pending")
        )

    def get_object(self):
        return selectors.get_or_404(duplicates_service.pairs_visible(self.request.user), self.kwargs["pk"])

    @extend_schema(request=PairMergeIn, responses=DuplicatePairSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        pair = self.get_object()
        body = PairMergeIn(data=request.data)
        body.is_valid(raise_exception=True)
        pair = _run(
            lambda: duplicates_service.merge(
                by=request.user,
                pair=pair,
                keep=body.validated_data["keep"],
                reason=body.validated_data["reason"],
            )
        )
        return Response(DuplicatePairSerializer(pair).data)

    @extend_schema(request=PairRejectIn, responses=DuplicatePairSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = PairRejectIn(data=request.data)
        body.is_valid(raise_exception=True)
        pair = _run(
            lambda: duplicates_service.reject(
                by=request.user, pair=self.get_object(), reason=body.validated_data["reason"]
            )
        )
        return Response(DuplicatePairSerializer(pair).data)
