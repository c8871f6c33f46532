"""Scoped API of the inspections app (read side): standards, inspections, visits, findings, rectifications.
A surprise or covert inspection is absent here exactly as on the pages."""

from rest_framework import serializers, viewsets

from luoshi.inspections import selectors
from luoshi.inspections.models import Finding, Inspection, Rectification, Standard, StandardItem, Visit


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


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StandardSerializer
    queryset = Standard.objects.filter(archived_at=None).order_by("code", "-version")


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InspectionSerializer

    def get_queryset(self):
        return selectors.inspections_visible(self.request.user).order_by("-starts_on", "-id")

    def get_object(self):
        return selectors.inspection_get_visible(self.request.user, self.kwargs["pk"])


class VisitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer

    def get_queryset(self):
        return selectors.visits_visible(self.request.user).order_by("-visited_at", "-id")

    def get_object(self):
        return selectors.visit_get_visible(self.request.user, self.kwargs["pk"])


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FindingSerializer

    def get_queryset(self):
        return selectors.findings_visible(self.request.user).order_by("-id")

    def get_object(self):
        return selectors.finding_get_visible(self.request.user, self.kwargs["pk"])


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
