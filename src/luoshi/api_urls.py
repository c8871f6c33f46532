from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from luoshi.accountability.api import (
    CircularViewSet,
    DecisionViewSet,
    TalkViewSet,
    supervision_statistics,
)
from luoshi.accounts.api import TokenView
from luoshi.assessment.api import AppealViewSet, ResultViewSet, RunViewSet, SchemeViewSet
from luoshi.core.api import EscalationViewSet, NotificationViewSet, ObligationViewSet
from luoshi.duty.api import (
    AssignmentViewSet,
    CopyViewSet,
    LetterViewSet,
    TargetProgressViewSet,
    TaskViewSet,
)
from luoshi.inspections.api import (
    FindingViewSet,
    InspectionViewSet,
    RectificationViewSet,
    StandardViewSet,
    VisitViewSet,
)
from luoshi.members.api import (
    DuesPaymentViewSet,
    DuplicatePairViewSet,
    MemberImportViewSet,
    MemberViewSet,
    SweepFindingViewSet,
    SweepViewSet,
    TransferViewSet,
)
from luoshi.orglife.api import (
    ArchiveView,
    CheckInConflictViewSet,
    CheckinView,
    MeetingViewSet,
    PlanViewSet,
    RuleViewSet,
)
from luoshi.orgs.api import OrganizationViewSet, PositionViewSet
from luoshi.sites.api import CenterViewSet, MilestoneViewSet

router = DefaultRouter()
router.register("orgs", OrganizationViewSet, basename="org")
router.register("members/imports", MemberImportViewSet, basename="member-import")
router.register("members/transfers", TransferViewSet, basename="member-transfer")
router.register("members/dues", DuesPaymentViewSet, basename="member-dues")
router.register("members/sweeps", SweepViewSet, basename="member-sweep")
router.register("members/findings", SweepFindingViewSet, basename="member-finding")
router.register("members/duplicates", DuplicatePairViewSet, basename="member-duplicate")
router.register("members", MemberViewSet, basename="member")
router.register("positions", PositionViewSet, basename="position")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("escalations", EscalationViewSet, basename="escalation")
router.register("inbox", NotificationViewSet, basename="inbox")
router.register("duty/letters", LetterViewSet, basename="duty-letter")
router.register("duty/letter-copies", CopyViewSet, basename="duty-letter-copy")
router.register("duty/targets", TargetProgressViewSet, basename="duty-target")
router.register("duty/tasks", TaskViewSet, basename="duty-task")
router.register("duty/assignments", AssignmentViewSet, basename="duty-assignment")
router.register("inspections/standards", StandardViewSet, basename="inspection-standard")
router.register("inspections/plans", InspectionViewSet, basename="inspection")
router.register("inspections/visits", VisitViewSet, basename="inspection-visit")
router.register("inspections/findings", FindingViewSet, basename="inspection-finding")
router.register("inspections/rectifications", RectificationViewSet, basename="inspection-rectification")
router.register("accountability/circulars", CircularViewSet, basename="accountability-circular")
router.register("accountability/talks", TalkViewSet, basename="accountability-talk")
router.register("accountability/decisions", DecisionViewSet, basename="accountability-decision")
router.register("assessment/schemes", SchemeViewSet, basename="assessment-scheme")
router.register("assessment/runs", RunViewSet, basename="assessment-run")
router.register("assessment/results", ResultViewSet, basename="assessment-result")
router.register("assessment/appeals", AppealViewSet, basename="assessment-appeal")
router.register("orglife/rules", RuleViewSet, basename="orglife-rule")
router.register("orglife/plans", PlanViewSet, basename="orglife-plan")
router.register("orglife/meetings", MeetingViewSet, basename="orglife-meeting")
router.register("orglife/checkin-conflicts", CheckInConflictViewSet, basename="orglife-checkin-conflict")
router.register("sites/centers", CenterViewSet, basename="sites-center")
router.register("sites/milestones", MilestoneViewSet, basename="sites-milestone")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accountability/statistics/", supervision_statistics, name="accountability-statistics"),
    path("orglife/checkin/", CheckinView.as_view(), name="orglife-checkin"),
    path("orglife/archive/", ArchiveView.as_view(), name="orglife-archive"),
    path("", include(router.urls)),
]
