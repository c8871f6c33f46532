"""Scoped API of organizational life: rules, plans (publish; the six-unification compliance of each branch),
meetings with their attendance (record, correct, withdraw), the member's own confirmation by QR token, and a
branch's year archive. Everything goes through the services the pages use."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from luoshi.core.api import IdField, _run, query_id
from luoshi.orglife import selectors, services
from luoshi.orglife.models import (
    AbsenceReason,
    AgendaItem,
    CheckInConflict,
    Meeting,
    MeetingKind,
    MeetingRule,
    Organizer,
    ThemeDayPlan,
)
from luoshi.orgs.selectors import organization_get_visible


class RuleSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)

    class Meta:
        model = MeetingRule
        fields = [
            "id",
            "organization",
            "organization_code",
            "kind",
            "frequency",
            "times",
            "record_within_days",
            "effective_from",
            "effective_until",
            "basis",
        ]


class RuleViewSet(viewsets.ReadOnlyModelViewSet):
    """Meeting rules of the offices above and within the caller's organizations. POST adds one for an office
    the caller plans for (orglife.plan)."""

    serializer_class = RuleSerializer

    def get_queryset(self):
        return selectors.rules_visible(self.request.user).select_related("organization")

    @extend_schema(request=RuleSerializer, responses={201: RuleSerializer})
    def create(self, request):
        data = RuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        organization = organization_get_visible(request.user, v["organization"].pk)
        rule = _run(
            lambda: services.rule_save(
                by=request.user,
                organization=organization,
                kind=v["kind"],
                frequency=v["frequency"],
                times=v.get("times", 1),
                record_within_days=v.get("record_within_days", 7),
                effective_from=v["effective_from"],
                effective_until=v.get("effective_until"),
                basis=v.get("basis", ""),
            )
        )
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class PlanSerializer(serializers.ModelSerializer):
    required_items = serializers.ListField(child=serializers.ChoiceField(AgendaItem.choices), required=False)
    organizer = serializers.ChoiceField(Organizer.choices, required=False)

    class Meta:
        model = ThemeDayPlan
        fields = [
            "id",
            "organization",
            "month",
            "window_start",
            "window_end",
            "theme",
            "materials",
            "required_items",
            "records_to_keep",
            "organizer",
            "published_at",
        ]
        read_only_fields = ["published_at"]


class MarksSerializer(serializers.Serializer):
    branch = serializers.IntegerField(source="branch.pk")
    branch_code = serializers.CharField(source="branch.code")
    meeting = serializers.IntegerField(source="meeting.pk", allow_null=True, default=None)
    complete = serializers.BooleanField()
    marks = serializers.DictField(source="ok")
    reasons = serializers.DictField(source="why")


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Theme-day plans the caller sees: those of the offices above their organizations and within them. POST
    creates one (a draft); `publish` publishes it; `compliance` gives the six marks of every branch."""

    serializer_class = PlanSerializer

    def get_queryset(self):
        return selectors.plans_visible(self.request.user).select_related("organization")

    @extend_schema(request=PlanSerializer, responses={201: PlanSerializer})
    def create(self, request):
        data = PlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        organization = organization_get_visible(request.user, v["organization"].pk)
        plan = _run(
            lambda: services.plan_save(
                by=request.user,
                organization=organization,
                data=services.PlanInput(
                    month=v["month"],
                    window_start=v["window_start"],
                    window_end=v["window_end"],
                    theme=v["theme"],
                    materials=v.get("materials", ""),
                    required_items=tuple(v.get("required_items", ())),
                    records_to_keep=v.get("records_to_keep", ""),
                    organizer=v.get("organizer", Organizer.SECRETARY),
                ),
            )
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        plan = _run(lambda: services.plan_publish(plan=self.get_object(), by=request.user))
        return Response(PlanSerializer(plan).data)

    @extend_schema(
        parameters=[OpenApiParameter("under", int, description="an organization id: its subtree only")],
        responses=MarksSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # every branch, not a page of them
    def compliance(self, request, pk=None):
        plan = self.get_object()
        under = request.query_params.get("under")
        if under:
            under = organization_get_visible(request.user, under)
        else:
            from luoshi.accounts.permissions import ORGS_VIEW
            from luoshi.accounts.scoping import has_perm_on

            if not has_perm_on(request.user, ORGS_VIEW, plan.organization.path):
                raise ValidationError({"under": [_("Name the organization of yours to report on.")]})
        return Response(MarksSerializer(selectors.compliance(plan, under=under or None), many=True).data)


class AttendanceItemSerializer(serializers.Serializer):
    member = IdField(source="member_id")
    present = serializers.BooleanField()
    reason = serializers.ChoiceField(AbsenceReason.choices, required=False, allow_blank=True, default="")
    confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MeetingSerializer(serializers.ModelSerializer):
    agenda = serializers.ListField(child=serializers.ChoiceField(AgendaItem.choices), required=False)
    attendance = AttendanceItemSerializer(many=True, required=False)
    present_count = serializers.IntegerField(
        required=False,
        write_only=True,
        min_value=0,
        help_text="optional: the number present, checked against the roll and the attendance given",
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "branch",
            "kind",
            "plan",
            "starts_at",
            "place",
            "topic",
            "agenda",
            "record",
            "presider",
            "delegation",
            "omission_note",
            "roll",
            "present",
            "present_count",
            "late",
            "recorded_at",
            "withdrawn_at",
            "attendance",
        ]
        read_only_fields = ["roll", "present", "late", "recorded_at", "withdrawn_at"]


def _meeting_input(request, v, branch) -> services.MeetingInput:
    attendance = {
        row["member_id"]: (row["present"], row.get("reason", "")) for row in v.get("attendance", [])
    }
    if "present_count" in v:
        roll = services.roll_of(branch).count()
        if v["present_count"] > roll:
            raise ValidationError(
                {
                    "present_count": [
                        _("%(n)d present is more than the %(roll)d members on the roll.")
                        % {"n": v["present_count"], "roll": roll}
                    ]
                }
            )
        if attendance and v["present_count"] != sum(1 for p, _r in attendance.values() if p):
            raise ValidationError(
                {"present_count": [_("The number present differs from the attendance given.")]}
            )
    plan = v.get("plan")
    if plan is not None:
        plan = selectors.plan_get_visible(request.user, plan.pk)
    return services.MeetingInput(
        kind=v["kind"],
        starts_at=v["starts_at"],
        place=v["place"],
        topic=v["topic"],
        record=v["record"],
        agenda=tuple(v.get("agenda", ())),
        plan=plan,
        presider=v.get("presider"),
        delegation=v.get("delegation", ""),
        omission_note=v.get("omission_note", ""),
        attendance=attendance,
    )


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """Meetings of the branches in the caller's scope, newest first. Filters: `branch` (an organization id),
    `kind`, `year`. POST records one with its attendance (the same meeting twice: 400 naming the existing
    one); PUT corrects it; `withdraw` withdraws it with a reason (nothing is deleted)."""

    serializer_class = MeetingSerializer

    def get_queryset(self):
        qs = Meeting.objects.visible_to(self.request.user).prefetch_related("attendance")
        params = self.request.query_params
        if params.get("branch"):
            qs = qs.filter(branch_id=params["branch"])
        if params.get("kind") in MeetingKind.values:
            qs = qs.filter(kind=params["kind"])
        if params.get("year"):
            qs = qs.filter(starts_at__year=_year(params["year"]))
        return qs

    def _save(self, request, meeting=None):
        data = MeetingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        branch = organization_get_visible(request.user, v["branch"].pk)
        meeting_input = _meeting_input(request, v, branch)
        return _run(
            lambda: services.meeting_record(
                by=request.user, branch=branch, data=meeting_input, meeting=meeting
            )
        )

    @extend_schema(request=MeetingSerializer, responses={201: MeetingSerializer})
    def create(self, request):
        meeting = self._save(request)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MeetingSerializer, responses=MeetingSerializer)
    def update(self, request, pk=None):
        meeting = self._save(request, meeting=self.get_object())
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        meeting = _run(
            lambda: services.meeting_withdraw(
                meeting=self.get_object(), by=request.user, reason=request.data.get("reason", "")
            )
        )
        return Response(MeetingSerializer(meeting).data)


class CheckinSerializer(serializers.Serializer):
    token = serializers.CharField()


class CheckInConflictSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="attendance.meeting_id", read_only=True)
    member = serializers.IntegerField(source="attendance.member_id", read_only=True)
    recorded_present = serializers.BooleanField(source="attendance.present", read_only=True)
    recorded_reason = serializers.CharField(source="attendance.reason", read_only=True)

    class Meta:
        model = CheckInConflict
        fields = [
            "id",
            "meeting",
            "member",
            "recorded_present",
            "recorded_reason",
            "confirmed_by",
            "confirmed_at",
            "status",
            "decided_by",
            "decided_at",
            "note",
        ]
        read_only_fields = fields


class CheckinResultSerializer(AttendanceItemSerializer):
    conflict = CheckInConflictSerializer(
        read_only=True,
        allow_null=True,
        help_text="the confirmation kept beside the record when the record says absent (null otherwise)",
    )


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(["accept", "keep"], help_text="accept: mark present; keep: the record")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class CheckInConflictViewSet(viewsets.ReadOnlyModelViewSet):
    """Members' confirmations by QR that contradict the secretary's record (recorded absent), of the meetings
    in the caller's scope. Filters: `status` (open, accepted, kept), `meeting`. `decide` (the branch's
    recorders): accept (mark present) or keep the record (note required); twice changes nothing."""

    serializer_class = CheckInConflictSerializer

    def get_queryset(self):
        qs = selectors.checkin_conflicts_visible(self.request.user)
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("meeting"):
            qs = qs.filter(attendance__meeting_id=query_id(params["meeting"]))
        return qs

    def get_object(self):
        return selectors.checkin_conflict_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=DecideSerializer, responses=CheckInConflictSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = _run(
            lambda: services.checkin_conflict_decide(
                by=request.user,
                conflict=self.get_object(),
                accept=data.validated_data["decision"] == "accept",
                note=data.validated_data["note"],
            )
        )
        conflict.attendance.refresh_from_db()
        return Response(CheckInConflictSerializer(conflict).data)


class CheckinView(APIView):
    """The member confirms their own attendance with the token of the QR code shown at the meeting."""

    @extend_schema(request=CheckinSerializer, responses=CheckinResultSerializer)
    def post(self, request):
        data = CheckinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = _run(lambda: services.attendance_confirm(token=data.validated_data["token"], user=request.user))
        conflict = selectors.checkin_conflict_of(row)
        return Response(
            {
                "member": row.member_id,
                "present": row.present,
                "reason": row.reason,
                "confirmed_at": row.confirmed_at,
                "conflict": CheckInConflictSerializer(conflict).data if conflict else None,
            }
        )


def _year(text: str) -> int:
    """A year asked for in a query: one of ARCHIVE_YEARS, else 400 (a year like 12102 is out of the calendar)."""
    years = selectors.ARCHIVE_YEARS
    if not (text.isdigit() and int(text) in years):
        raise ValidationError(
            {"year": [_("Give a year from %(first)d to %(last)d.") % {"first": years[0], "last": years[-1]}]}
        )
    return int(text)


class ArchiveView(APIView):
    """A branch's archive of a year (统一归档): a ZIP of the index and every meeting's record and files."""

    @extend_schema(
        parameters=[
            OpenApiParameter("branch", int, required=True),
            OpenApiParameter("year", int, required=True),
        ],
        responses={(200, "application/zip"): bytes},
    )
    def get(self, request):
        from luoshi.orglife.archive import year_zip

        branch = organization_get_visible(request.user, request.query_params.get("branch"))
        year = _year(request.query_params.get("year", ""))
        response = HttpResponse(year_zip(branch, year), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="archive-{branch.code}-{year}.zip"'
        return response
