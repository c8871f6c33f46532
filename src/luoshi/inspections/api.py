"""Scoped API of the inspections app: standards, inspections, visits, findings, rectifications. Reads go
through the same selectors as the pages (a surprise or covert inspection is absent here exactly as there);
writes through the same services: record a visit, add a finding, order, report and verify a rectification."""

import json

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from luoshi.core.api import IdField, _run
from luoshi.inspections import selectors, services
from luoshi.inspections.models import Finding, Inspection, Rectification, Standard, StandardItem, Visit
from luoshi.orgs.selectors import organization_get_visible


class ItemSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.title")

    class Meta:
        model = StandardItem
        fields = [
            "id",
            "section",
            "code",
            "text",
            "scoring",
            "max_points",
            "pass_points",
            "threshold",
            "at_least",
            "unit",
            "weight",
            "failure_is_finding",
            "note_on_failure",
            "photo_on_failure",
        ]


class StandardSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField()

    class Meta:
        model = Standard
        fields = ["id", "code", "version", "name", "description", "pass_score", "items"]

    def get_items(self, standard) -> list:
        return ItemSerializer(selectors.standard_items(standard), many=True).data


class InspectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = ["id", "kind", "title", "standard", "organization", "starts_on", "ends_on"]


class VisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = ["id", "inspection", "organization", "visited_at", "score", "submitted_at", "summary"]


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "visit", "item", "organization", "description", "created_at"]


class RectificationSerializer(serializers.ModelSerializer):
    state = serializers.CharField(source="obligation.state", read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "finding",
            "organization",
            "deadline",
            "evidence_required",
            "state",
            "verified_at",
            "on_time",
        ]


class AnswerInSerializer(serializers.Serializer):
    item = IdField()
    value = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class VisitInSerializer(serializers.Serializer):
    """A visit as the inspector records it. With multipart, `answers` is a JSON string and each photo is a
    file field named `photo-<item id>`."""

    organization = IdField()
    answers = serializers.JSONField()
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class FindingInSerializer(serializers.Serializer):
    organization = IdField()
    description = serializers.CharField(max_length=4000)
    visit = IdField(required=False, allow_null=True)


class OrderInSerializer(serializers.Serializer):
    deadline = serializers.DateField()
    evidence_required = serializers.CharField(max_length=2000)


class RectificationReportInSerializer(serializers.Serializer):
    """Multipart: `text` and one or more `files` (the evidence)."""

    text = serializers.CharField(max_length=4000)


class VerifyInSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "return"])
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _answers_in(raw, files) -> dict:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError({"answers": [gettext("The answers must be a JSON list.")]}) from None
    rows = AnswerInSerializer(data=raw, many=True)
    rows.is_valid(raise_exception=True)
    return {
        row["item"]: services.AnswerIn(
            value=row["value"], note=row["note"], photos=tuple(files.getlist(f"photo-{row['item']}"))
        )
        for row in rows.validated_data
    }


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StandardSerializer
    queryset = Standard.objects.filter(archived_at=None).order_by("code", "-version")


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    """Inspections the caller may know of; `visits` records a team member's visit to one target."""

    serializer_class = InspectionSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.inspections_visible(self.request.user).order_by("-starts_on", "-id")

    def get_object(self):
        return selectors.inspection_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=VisitInSerializer, responses={201: VisitSerializer})
    @action(detail=True, methods=["post"])
    def visits(self, request, pk=None):
        """Record the visit to one target, every item answered (only a team member may)."""
        inspection = self.get_object()
        body = VisitInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = inspection.targets.filter(organization_id=body.validated_data["organization"]).first()
        if target is None:
            raise ValidationError(
                {"organization": [gettext("This organization is not a target of this inspection.")]}
            )
        visit = _run(
            lambda: services.visit_record(
                by=request.user,
                inspection=inspection,
                organization=target.organization,
                answers=_answers_in(body.validated_data["answers"], request.FILES),
                summary=body.validated_data["summary"],
            )
        )
        return Response(VisitSerializer(visit).data, status=201)


class VisitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer

    def get_queryset(self):
        return selectors.visits_visible(self.request.user).order_by("-visited_at", "-id")

    def get_object(self):
        return selectors.visit_get_visible(self.request.user, self.kwargs["pk"])


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings in scope. POST adds one by hand (to a visit of the caller's team, or about a unit below);
    `order` issues its rectification order."""

    serializer_class = FindingSerializer

    def get_queryset(self):
        return selectors.findings_visible(self.request.user).order_by("-id")

    def get_object(self):
        return selectors.finding_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=FindingInSerializer, responses={201: FindingSerializer})
    def create(self, request):
        body = FindingInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        visit = selectors.visit_get_visible(request.user, data["visit"]) if data.get("visit") else None
        organization = organization_get_visible(request.user, data["organization"])
        if visit is not None and visit.organization_id != organization.pk:
            raise ValidationError(
                {"organization": [gettext("The finding must concern the organization visited.")]}
            )
        finding = _run(
            lambda: services.finding_add(
                by=request.user, organization=organization, description=data["description"], visit=visit
            )
        )
        return Response(FindingSerializer(finding).data, status=201)

    @extend_schema(request=OrderInSerializer, responses={201: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def order(self, request, pk=None):
        body = OrderInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rectification = _run(
            lambda: services.rectification_order(
                by=request.user, finding=self.get_object(), **body.validated_data
            )
        )
        return Response(RectificationSerializer(rectification).data, status=201)


class RectificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RectificationSerializer

    def get_queryset(self):
        return (
            Rectification.objects.visible_to(self.request.user)
            .select_related("obligation")
            .order_by("deadline")
        )

    def get_object(self):
        return selectors.rectification_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=RectificationReportInSerializer, responses={201: RectificationSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def report(self, request, pk=None):
        """The unit reports what it put right, with the evidence files (`files`)."""
        body = RectificationReportInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rectification = self.get_object()
        _run(
            lambda: services.rectification_report(
                by=request.user,
                rectification=rectification,
                text=body.validated_data["text"],
                uploads=request.FILES.getlist("files"),
            )
        )
        return Response(RectificationSerializer(self.get_object()).data, status=201)

    @extend_schema(request=VerifyInSerializer, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """The team accepts the rectification or returns it with a reason; verifying twice changes nothing."""
        body = VerifyInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        _run(
            lambda: services.rectification_verify(
                by=request.user,
                rectification=self.get_object(),
                accept=data["decision"] == "accept",
                reason=data["reason"],
            )
        )
        return Response(RectificationSerializer(self.get_object()).data)
