from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from luoshi.core import obligations as services
from luoshi.core import selectors
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Escalation, EscalationStatus, Notification, Obligation


class EscalationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Escalation
        fields = [
            "id",
            "obligation",
            "step_order",
            "action",
            "scheduled_on",
            "status",
            "decided_at",
            "reason",
        ]


class ObligationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="policy.kind", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    responsible_name = serializers.CharField(source="responsible.name", read_only=True, default=None)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "kind",
            "title",
            "detail",
            "organization",
            "organization_name",
            "responsible",
            "responsible_name",
            "due_date",
            "state",
            "closed_at",
            "closing_note",
        ]


DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)
ID_MAX = 2**63 - 1  # the largest primary key PostgreSQL and SQLite hold


class DateField(serializers.DateField):
    """A date a record can hold: 1900-01-01 to 2100-12-31. A year 1 or 9999 is a slip of the keyboard, and the
    month and year arithmetic behind reports and background checks cannot step outside the calendar."""

    default_error_messages = {"range": _("Enter a date between {min} and {max}.")}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not DATE_MIN <= day <= DATE_MAX:
            self.fail("range", min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
        return day


class IdField(serializers.IntegerField):
    """The id of a record: a positive integer the database can hold."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=ID_MAX, **kwargs)


def query_id(text: str | None) -> int | None:
    """An id given in a query string (`?parent=12`), or None when it is not one the database can hold (a filter
    on it then matches nothing, where `int()` would have let a 30-digit number overflow the database)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= ID_MAX else None


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["confirm", "dismiss"])
    reason = serializers.CharField(max_length=2000)


def _run(call):
    """Map the domain's refusals onto HTTP: a rule broken is 400, a right missing is 403."""
    try:
        return call()
    except NotPermitted:
        raise PermissionDenied() from None
    except ServiceError as exc:
        raise ValidationError({exc.field or "non_field_errors": [str(exc.message)]}) from None


class ObligationViewSet(viewsets.ReadOnlyModelViewSet):
    """Obligations in the caller's scope. Filters: `state` (active, due_soon, overdue, escalated, done, waived,
    all), `org` (subtree of an organization id), `mine=1`."""

    serializer_class = ObligationSerializer

    def get_queryset(self):
        params = self.request.query_params
        org = None
        if params.get("org"):
            from luoshi.orgs.selectors import organization_get_visible

            org = organization_get_visible(self.request.user, params["org"])
        state = params.get("state", "all" if self.action != "list" else "active")
        return selectors.obligation_list_visible(
            self.request.user, state=state, org=org, mine=params.get("mine") == "1"
        )

    def get_object(self):
        return selectors.obligation_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=NoteSerializer, responses=ObligationSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        obligation = _run(
            lambda: services.obligation_complete(
                obligation=self.get_object(), user=request.user, note=body.validated_data["note"]
            )
        )
        return Response(ObligationSerializer(obligation).data)

    @extend_schema(request=ReasonSerializer, responses=ObligationSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        obligation = _run(
            lambda: services.obligation_waive(
                obligation=self.get_object(), user=request.user, reason=body.validated_data["reason"]
            )
        )
        return Response(ObligationSerializer(obligation).data)

    @extend_schema(responses=EscalationSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole ladder, not a page of it
    def escalations(self, request, pk=None):
        rows = self.get_object().escalations.order_by("step_order")
        return Response(EscalationSerializer(rows, many=True).data)


class EscalationViewSet(viewsets.ReadOnlyModelViewSet):
    """Proposed consequences the caller may decide (`?status=proposed`, the default) and their history."""

    serializer_class = EscalationSerializer

    def get_queryset(self):
        qs = Escalation.objects.filter(selectors.decidable_q(self.request.user)).order_by("created_at", "id")
        wanted = self.request.query_params.get("status", EscalationStatus.PROPOSED)
        return qs if wanted == "all" else qs.filter(status=wanted)

    def get_object(self):
        return selectors.escalation_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=DecisionSerializer, responses=EscalationSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        escalation = _run(
            lambda: services.escalation_decide(
                escalation=self.get_object(),
                user=request.user,
                confirm=body.validated_data["decision"] == "confirm",
                reason=body.validated_data["reason"],
            )
        )
        return Response(EscalationSerializer(escalation).data)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "obligation", "created_at", "read_at"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's inbox, newest first. `?unread=1` for unread only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # typed for the schema; get_queryset gives the caller's own

    def get_queryset(self):
        qs = selectors.inbox_for(self.request.user)
        if self.request.query_params.get("unread") == "1":
            qs = qs.filter(read_at=None)
        return qs

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = self.get_object()
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return Response(NotificationSerializer(note).data, status=status.HTTP_200_OK)
