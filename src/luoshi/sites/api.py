"""Scoped API of the sites app: service centers ranked by their latest score against the center standard
(worst first), each with its construction projects and milestones; a milestone reported reached."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import _run
from luoshi.sites import selectors, services
from luoshi.sites.models import ComplianceProject, Milestone, ServiceCenter


class MilestoneSerializer(serializers.ModelSerializer):
    state = serializers.CharField(source="obligation.state", read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "order", "title", "due_date", "done_at", "state"]


class ProjectSerializer(serializers.ModelSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = ComplianceProject
        fields = ["id", "title", "deadline", "accepted_at", "acceptance_visit", "milestones"]


class CenterSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    score = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True, allow_null=True)
    visited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    visit_id = serializers.IntegerField(read_only=True, allow_null=True)
    below_standard = serializers.SerializerMethodField()

    class Meta:
        model = ServiceCenter
        fields = [
            "id",
            "organization",
            "organization_code",
            "name",
            "address",
            "area_m2",
            "opening_hours",
            "staff_count",
            "services",
            "score",
            "visited_at",
            "visit_id",
            "below_standard",
        ]

    def get_below_standard(self, center) -> bool | None:
        passing = self.context.get("pass_score")
        if passing is None or center.score is None:
            return None
        return center.score < passing


class CenterDetailSerializer(CenterSerializer):
    projects = ProjectSerializer(many=True, read_only=True)

    class Meta(CenterSerializer.Meta):
        fields = CenterSerializer.Meta.fields + ["projects"]


class CenterViewSet(viewsets.ReadOnlyModelViewSet):
    """Centers in scope, worst latest score first (never inspected last); `?best=1` best first."""

    def get_serializer_class(self):
        return CenterDetailSerializer if self.action == "retrieve" else CenterSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "pass_score": selectors.pass_score()}

    def get_queryset(self):
        qs = selectors.centers_ranked(
            self.request.user, worst_first=self.request.query_params.get("best") != "1"
        ).prefetch_related("services")
        if self.action == "retrieve":
            qs = qs.prefetch_related("projects__milestones__obligation")
        return qs

    def get_object(self):
        selectors.center_get_visible(self.request.user, self.kwargs["pk"])
        return self.get_queryset().get(pk=self.kwargs["pk"])


class MilestoneViewSet(viewsets.GenericViewSet):
    serializer_class = MilestoneSerializer
    queryset = Milestone.objects.none()  # typed for the schema; get_object scopes each one

    def get_object(self):
        return selectors.milestone_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """The community reports the milestone reached (its obligation closes); twice changes nothing."""
        milestone = _run(lambda: services.milestone_done(by=request.user, milestone=self.get_object()))
        return Response(MilestoneSerializer(milestone).data)
