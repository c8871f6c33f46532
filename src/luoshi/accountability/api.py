"""Scoped API of the accountability app: circulars, talks and decisions in the caller's scope, and the
period's supervision figures (in total and per unit). Talks and decisions are recorded through the same
services as on the pages; a circular is issued from a rectification's confirmed proposal on its page."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from luoshi.accountability import selectors, services
from luoshi.accountability.models import Circular, Decision, Talk
from luoshi.core.api import _run
from luoshi.core.selectors import escalation_get_visible


class OrgField(serializers.PrimaryKeyRelatedField):
    """An organization by id, looked up within the caller's scope (404 outside it)."""

    def get_queryset(self):
        from luoshi.orgs.models import Organization

        return Organization.objects.visible_to(self.context["request"].user)


class CircularSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Circular
        fields = [
            "id",
            "title",
            "public",
            "organization",
            "organization_name",
            "issuer",
            "issuer_name",
            "persons_named",
            "body",
            "requirement",
            "form",
            "issued_on",
            "escalation",
            "findings",
        ]

    def get_findings(self, circular) -> list[int]:
        return list(circular.basis.values_list("finding_id", flat=True))


class TalkSerializer(serializers.ModelSerializer):
    organization = OrgField()
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Talk
        fields = [
            "id",
            "kind",
            "organization",
            "organization_name",
            "persons",
            "persons_count",
            "held_on",
            "talker",
            "basis",
            "record",
            "statement",
            "form",
            "escalation",
        ]
        read_only_fields = ["escalation"]


class AccountabilityDecisionSerializer(serializers.ModelSerializer):
    organization = OrgField()
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "kind",
            "organization",
            "organization_name",
            "persons",
            "basis",
            "decision",
            "statement",
            "decided_on",
            "form",
            "escalation",
        ]
        read_only_fields = ["escalation"]


class EscalationRefMixin:
    """`?escalation=<id>` carries out that confirmed proposal of the ladder (as the page's button does)."""

    def escalation(self):
        pk = self.request.query_params.get("escalation")
        return escalation_get_visible(self.request.user, pk) if pk else None


class CircularViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CircularSerializer

    def get_queryset(self):
        return Circular.objects.visible_to(self.request.user).select_related("organization", "issuer")

    def get_object(self):
        return selectors.circular_get_visible(self.request.user, self.kwargs["pk"])


class TalkViewSet(EscalationRefMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Talks in scope. POST records one held (a person with the authority over the unit, above it)."""

    serializer_class = TalkSerializer

    def get_queryset(self):
        return Talk.objects.visible_to(self.request.user).select_related("organization")

    def get_object(self):
        return selectors.talk_get_visible(self.request.user, self.kwargs["pk"])

    def perform_create(self, serializer):
        serializer.instance = _run(
            lambda: services.talk_record(
                by=self.request.user, escalation=self.escalation(), **serializer.validated_data
            )
        )


class DecisionViewSet(EscalationRefMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Named-criticism and accountability decisions in scope. POST records one."""

    serializer_class = AccountabilityDecisionSerializer

    def get_queryset(self):
        return Decision.objects.visible_to(self.request.user).select_related("organization")

    def get_object(self):
        return selectors.decision_get_visible(self.request.user, self.kwargs["pk"])

    def perform_create(self, serializer):
        serializer.instance = _run(
            lambda: services.decision_record(
                by=self.request.user, escalation=self.escalation(), **serializer.validated_data
            )
        )


@extend_schema(
    parameters=[
        OpenApiParameter("since", str, description="YYYY-MM-DD, default 1 January"),
        OpenApiParameter("until", str, description="YYYY-MM-DD, default today"),
        OpenApiParameter("unit", int, description="an organization: its subtree, per unit right below it"),
    ],
    responses=dict,
)
@api_view(["GET"])
def supervision_statistics(request):
    """The period's supervision figures in the caller's scope, in total and per unit; 400 when `until` is
    before `since`."""
    since, until, unit = _run(
        lambda: selectors.statistics_request(request.user, request.query_params, timezone.localdate())
    )
    total, by_unit = selectors.supervision_report(request.user, since=since, until=until, unit=unit)
    return Response(
        {
            "since": since,
            "until": until,
            "unit": unit.pk if unit else None,
            "total": total,
            "units": [
                {"id": org.pk, "code": org.code, "name": org.name, **figures} for org, figures in by_unit
            ],
        }
    )
