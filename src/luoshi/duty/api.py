"""Scoped API of the duty app: letters, targets (a signatory's progress), tasks, assignments and reports.
Reads go through the same selectors as the pages (404 outside scope); writes through the same services."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import _run
from luoshi.duty import selectors, services
from luoshi.duty.models import (
    Assignment,
    Letter,
    LetterCopy,
    LetterTarget,
    Report,
    TargetProgress,
    TargetStatus,
    Task,
)


class OrgRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = LetterTarget
        fields = ["id", "order", "text", "category", "measure", "weight", "due_date", "red_line"]


class LetterSerializer(serializers.ModelSerializer):
    issuer = OrgRef(read_only=True)
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Letter
        fields = ["id", "year", "title", "preamble", "issuer", "sign_by", "issued_at", "targets"]


class CopySerializer(serializers.ModelSerializer):
    organization = OrgRef(read_only=True)
    signatory = serializers.CharField(source="signatory.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = LetterCopy
        fields = ["id", "letter", "organization", "issued_at", "signed_at", "signatory"]


class ProgressSerializer(serializers.ModelSerializer):
    organization = OrgRef(source="copy.organization", read_only=True)
    target = TargetSerializer(read_only=True)
    obligation_state = serializers.CharField(source="obligation.state", default=None, read_only=True)

    class Meta:
        model = TargetProgress
        fields = ["id", "organization", "target", "status", "report", "updated_at", "obligation_state"]


class ProgressReportSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[TargetStatus.IN_PROGRESS, TargetStatus.MET])
    report = serializers.CharField(max_length=2000)


class TaskSerializer(serializers.ModelSerializer):
    organization = OrgRef(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "root",
            "parent_assignment",
            "organization",
            "number",
            "title",
            "description",
            "lead_office",
            "deadline",
            "report_kind",
            "unit",
            "checklist",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    organization = OrgRef(read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    state = serializers.CharField(source="node_state", read_only=True)
    obligation_state = serializers.CharField(source="obligation.state", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task",
            "task_title",
            "root",
            "parent",
            "organization",
            "deadline",
            "state",
            "obligation_state",
            "split",
            "children_done",
            "children_total",
            "last_report_at",
            "last_report_text",
            "submitted_on",
            "accepted_at",
            "on_time",
        ]


class ReportSerializer(serializers.ModelSerializer):
    completion = serializers.BooleanField(write_only=True, default=False)
    # the task's checklist items done, by their text (a JSON list on the model, so the field says what it holds)
    checked = serializers.ListField(
        child=serializers.CharField(max_length=500), max_length=200, required=False, default=list
    )

    class Meta:
        model = Report
        fields = ["id", "assignment", "type", "text", "number", "checked", "at", "completion"]
        read_only_fields = ["assignment", "type", "at"]


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "return"])
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class LetterViewSet(viewsets.ReadOnlyModelViewSet):
    """Responsibility letters the caller issued or received."""

    serializer_class = LetterSerializer

    def get_queryset(self):
        return (
            Letter.objects.visible_to(self.request.user).select_related("issuer").prefetch_related("targets")
        )

    def get_object(self):
        return selectors.letter_get_visible(self.request.user, self.kwargs["pk"])


class CopyViewSet(viewsets.ReadOnlyModelViewSet):
    """Letter copies (one per signing organization) in scope; `sign` records the caller's signature."""

    serializer_class = CopySerializer

    def get_queryset(self):
        qs = LetterCopy.objects.visible_to(self.request.user).select_related("organization", "signatory")
        if self.request.query_params.get("letter"):
            qs = qs.filter(letter_id=self.request.query_params["letter"])
        return qs.order_by("letter_id", "organization__path")

    def get_object(self):
        return selectors.copy_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=None, responses=CopySerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        where = f"{request.META.get('REMOTE_ADDR', '')} · API"
        copy = _run(
            lambda: services.letter_sign(user=request.user, copy=self.get_object(), signed_from=where)
        )
        return Response(CopySerializer(copy).data)


class TargetProgressViewSet(viewsets.ReadOnlyModelViewSet):
    """Each signatory's progress on each target; `report` sets status and report."""

    serializer_class = ProgressSerializer

    def get_queryset(self):
        return (
            TargetProgress.objects.visible_to(self.request.user)
            .select_related("copy__organization", "target", "obligation")
            .order_by("copy_id", "target__order")
        )

    def get_object(self):
        return selectors.progress_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=ProgressReportSerializer, responses=ProgressSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        body = ProgressReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        progress = _run(
            lambda: services.target_report(
                user=request.user, progress=self.get_object(), **body.validated_data
            )
        )
        return Response(ProgressSerializer(progress).data)


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TaskSerializer

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).select_related("organization").order_by("id")

    def get_object(self):
        return selectors.task_get_visible(self.request.user, self.kwargs["pk"])


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Assignments in scope, most urgent first. Filters: `task` (its whole cascade), `state`."""

    serializer_class = AssignmentSerializer

    def get_queryset(self):
        params = self.request.query_params
        if params.get("task"):
            task = selectors.task_get_visible(self.request.user, params["task"])
            qs = selectors.cascade_queryset(self.request.user, task, state=params.get("state", ""))
            return selectors.cascade_rows(qs)
        return selectors.ledger_queryset(self.request.user, state=params.get("state", ""))

    def get_object(self):
        selectors.assignment_get_visible(self.request.user, self.kwargs["pk"])
        return selectors.ledger_queryset(self.request.user).get(pk=self.kwargs["pk"])

    @extend_schema(responses=ReportSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole list, not a page of it
    def reports(self, request, pk=None):
        return Response(ReportSerializer(selectors.assignment_reports(self.get_object()), many=True).data)

    @extend_schema(request=ReportSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        body = ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        report = _run(
            lambda: services.report_add(
                by=request.user,
                assignment=self.get_object(),
                text=data.get("text", ""),
                number=data.get("number"),
                checked=data.get("checked") or [],
                completion=data.get("completion", False),
            )
        )
        return Response(ReportSerializer(report).data, status=201)

    @extend_schema(request=ReviewSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = self.get_object()
        reason = body.validated_data.get("reason", "")
        if body.validated_data["decision"] == "accept":
            _run(lambda: services.assignment_accept(by=request.user, assignment=assignment, note=reason))
        else:
            _run(lambda: services.assignment_return(by=request.user, assignment=assignment, reason=reason))
        return Response(AssignmentSerializer(self.get_object()).data)
