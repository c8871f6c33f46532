from django.db.models import Q
from rest_framework import serializers, viewsets

from luoshi.core.api import query_id
from luoshi.orgs.models import Organization, Person, Position


class PersonBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name"]


class OrganizationSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # null: a district

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "depth",
            "children_count",
            "holds_members",
            "archived_at",
        ]


class PositionSerializer(serializers.ModelSerializer):
    person = PersonBriefSerializer(read_only=True)

    class Meta:
        model = Position
        fields = ["id", "organization", "person", "kind", "start_date", "end_date"]


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organizations in the caller's scope. Filters: `parent`, `kind`, `q` (name or code), `under` (subtree of id)."""

    serializer_class = OrganizationSerializer

    def get_queryset(self):
        qs = Organization.objects.visible_to(self.request.user).order_by("path")
        params = self.request.query_params
        if params.get("parent"):
            parent = query_id(params["parent"])
            qs = qs.filter(parent_id=parent) if parent else qs.none()
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("q"):
            qs = qs.filter(Q(name__icontains=params["q"]) | Q(code__startswith=params["q"]))
        if params.get("under"):
            under = query_id(params["under"])
            root = qs.model.objects.visible_to(self.request.user).filter(pk=under).first() if under else None
            qs = qs.subtree(root.path) if root else qs.none()
        return qs


class PositionViewSet(viewsets.ReadOnlyModelViewSet):
    """Current positions (secretaries and committee members) in the caller's scope. Filter: `organization`."""

    serializer_class = PositionSerializer

    def get_queryset(self):
        qs = Position.objects.visible_to(self.request.user).current().select_related("person").order_by("id")
        org = self.request.query_params.get("organization")
        if org:
            qs = qs.filter(organization_id=query_id(org)) if query_id(org) else qs.none()
        return qs
