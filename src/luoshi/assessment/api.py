"""Scoped API of the assessment app: schemes, runs, results with each indicator's points and sources (the
records behind them on the detail), appeals (file, decide) and award eligibility. The same selectors as the
pages decide who sees what; writes go through the same services."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.assessment import selectors, services
from luoshi.assessment.eligibility import verdicts
from luoshi.assessment.models import Appeal, Disclosure, Result, Run, RunStatus, Scheme
from luoshi.core.api import _run


class IndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(source="parent.code", default=None)
    points = serializers.DecimalField(source="weight", max_digits=6, decimal_places=2)
    source = serializers.CharField()
    params = serializers.JSONField()
    per_item = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    veto = serializers.BooleanField()


class SchemeSerializer(serializers.ModelSerializer):
    indicators = serializers.SerializerMethodField()
    grades = serializers.SerializerMethodField()

    class Meta:
        model = Scheme
        fields = [
            "id",
            "code",
            "version",
            "name",
            "year",
            "kind",
            "issuer",
            "total",
            "veto_cap",
            "indicators",
            "grades",
        ]

    def get_indicators(self, scheme) -> list:
        return IndicatorOut(scheme.indicators.select_related("parent").order_by("order"), many=True).data

    def get_grades(self, scheme) -> list:
        return [{"name": b.name, "from": str(b.minimum)} for b in scheme.bands.order_by("order")]


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = [
            "id",
            "scheme",
            "since",
            "until",
            "number",
            "version",
            "based_on",
            "status",
            "disclosure",
            "computed_at",
            "seconds",
            "published_at",
            "appeal_until",
            "note",
        ]


class ResultSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    # null for a peer's result when the run discloses grades and ranks only
    total = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True, allow_null=True)
    scores = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = Result
        fields = [
            "id",
            "run",
            "organization",
            "organization_name",
            "total",
            "grade",
            "vetoed",
            "rank",
            "scores",
        ]


class RecordOut(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()
    counts = serializers.BooleanField()
    note = serializers.CharField()


class LineOut(serializers.Serializer):
    code = serializers.CharField(source="indicator.code")
    name = serializers.CharField(source="indicator.name")
    depth = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    num = serializers.FloatField(allow_null=True)
    den = serializers.FloatField(allow_null=True)
    mode = serializers.CharField()
    rule = serializers.CharField()
    records = RecordOut(many=True)


class ResultDetailOut(ResultSerializer):
    lines = LineOut(many=True, read_only=True)

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "lines"]


class VerdictOut(serializers.Serializer):
    organization = serializers.IntegerField()
    name = serializers.CharField()
    eligible = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    secretary = serializers.CharField(allow_null=True)
    secretary_eligible = serializers.BooleanField(allow_null=True)
    secretary_reasons = serializers.ListField(child=serializers.CharField())


class EligibilityOut(serializers.Serializer):
    award = serializers.CharField()
    units = VerdictOut(many=True)


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = [
            "id",
            "result",
            "indicator_code",
            "text",
            "filed_at",
            "status",
            "decided_at",
            "reason",
            "new_points",
            "new_run",
        ]
        read_only_fields = ["filed_at", "status", "decided_at", "reason", "new_points", "new_run"]


class AppealIn(serializers.Serializer):
    indicator_code = serializers.CharField(max_length=20)
    text = serializers.CharField(max_length=10000)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="evidence (multipart)"
    )


class PublishIn(serializers.Serializer):
    disclosure = serializers.ChoiceField(choices=Disclosure.choices, default=Disclosure.RANKS)
    appeal_days = serializers.IntegerField(min_value=1, max_value=60, default=7)


class RunIn(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DecideIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)
    new_points = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True)


class SchemeViewSet(viewsets.ReadOnlyModelViewSet):
    """Schemes whose office's subtree overlaps the caller's scope; `run` computes a draft (the office only)."""

    serializer_class = SchemeSerializer
    queryset = Scheme.objects.none()

    def get_queryset(self):
        return selectors.schemes_visible(self.request.user)

    def get_object(self):
        return selectors.scheme_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(request=RunIn, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        body = RunIn(data=request.data)
        body.is_valid(raise_exception=True)
        run = _run(
            lambda: services.run_compute(by=request.user, scheme=self.get_object(), **body.validated_data)
        )
        return Response(RunSerializer(run).data, status=201)


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Runs the caller may see (drafts: the office only). `results` lists what the disclosure allows;
    `publish`; `eligibility` per award."""

    serializer_class = RunSerializer
    queryset = Run.objects.none()

    def get_queryset(self):
        return selectors.runs_visible(self.request.user)

    def get_object(self):
        return selectors.run_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(responses=ResultSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole list, not a page of it
    def results(self, request, pk=None):
        run = self.get_object()
        rows = selectors.results_visible(request.user, run)
        data = ResultSerializer(rows, many=True).data
        if not services.can_manage(request.user, run.scheme) and run.disclosure != Disclosure.FULL:
            own = selectors.own_ids(request.user, run)
            for row in data:  # peers: grade and rank only
                if row["organization"] not in own:
                    row["total"], row["scores"] = None, None
        return Response(data)

    @extend_schema(request=PublishIn, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        body = PublishIn(data=request.data)
        body.is_valid(raise_exception=True)
        run = _run(
            lambda: services.run_publish(by=request.user, run=self.get_object(), **body.validated_data)
        )
        return Response(RunSerializer(run).data)

    @extend_schema(responses=EligibilityOut(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def eligibility(self, request, pk=None):
        run = self.get_object()
        if run.status == RunStatus.DRAFT and not services.can_manage(request.user, run.scheme):
            return Response(status=404)
        results = list(selectors.results_visible(request.user, run))
        if not services.can_manage(request.user, run.scheme) and run.disclosure != Disclosure.FULL:
            own = selectors.own_ids(request.user, run)
            results = [r for r in results if r.organization_id in own]
        return Response(
            [
                {
                    "award": award.name,
                    "units": [
                        {
                            "organization": v.organization.pk,
                            "name": v.organization.name,
                            "eligible": v.eligible,
                            "reasons": v.reasons,
                            "secretary": v.secretary.name if v.secretary else None,
                            "secretary_eligible": v.secretary_eligible,
                            "secretary_reasons": v.secretary_reasons,
                        }
                        for v in verdicts(run, award, results)
                    ],
                }
                for award in run.scheme.awards.all()
            ]
        )


class ResultViewSet(viewsets.GenericViewSet):
    """One result with its explanation: every indicator's points, numbers, rule and the records behind them.
    `appeal` files an appeal (the unit, within the window)."""

    serializer_class = ResultSerializer
    queryset = Result.objects.none()

    def get_object(self):
        return selectors.result_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(responses=ResultDetailOut)
    def retrieve(self, request, pk=None):
        result = self.get_object()
        return Response(
            {**ResultSerializer(result).data, "lines": LineOut(selectors.explain(result), many=True).data}
        )

    @extend_schema(request=AppealIn, responses={201: AppealSerializer})
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        body = AppealIn(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = _run(
            lambda: services.appeal_file(
                by=request.user,
                result=self.get_object(),
                indicator_code=body.validated_data["indicator_code"],
                text=body.validated_data["text"],
                uploads=request.FILES.getlist("files"),
            )
        )
        return Response(AppealSerializer(appeal).data, status=201)


class AppealViewSet(viewsets.GenericViewSet):
    serializer_class = AppealSerializer
    queryset = Appeal.objects.none()

    def get_object(self):
        return selectors.appeal_get_visible(self.request.user, self.kwargs["pk"])

    def retrieve(self, request, pk=None):
        return Response(AppealSerializer(self.get_object()).data)

    @extend_schema(request=DecideIn, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        body = DecideIn(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = _run(
            lambda: services.appeal_decide(by=request.user, appeal=self.get_object(), **body.validated_data)
        )
        return Response(AppealSerializer(appeal).data)
