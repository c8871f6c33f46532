"""Scoped API of the register: members (national ID and phone masked, e.g. 110105********123X; `?reveal=1` on
one member gives them in full to a role entitled to them, and the read is logged), and imports (upload, the
check's result with every row's errors, commit)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from luoshi.core.api import _run
from luoshi.members import selectors, services
from luoshi.members.models import Member, MemberImport
from luoshi.orgs.selectors import organization_get_visible


class MemberSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    national_id = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "sex",
            "ethnicity",
            "national_id",
            "birth_date",
            "education",
            "category",
            "organization",
            "organization_code",
            "joined_on",
            "full_on",
            "post",
            "phone",
            "residence",
            "mobile",
            "lost_contact",
            "lost_contact_since",
            "masked",
        ]

    def _revealed(self, member):
        return self.context.get("revealed", {}).get(member.pk)

    def get_national_id(self, member) -> str:
        revealed = self._revealed(member)
        return revealed[0] if revealed else selectors.mask_id(member.national_id)

    def get_phone(self, member) -> str:
        revealed = self._revealed(member)
        return revealed[1] if revealed else selectors.mask_phone(member.phone)

    def get_masked(self, member) -> bool:
        return self._revealed(member) is None


class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    """Members in the caller's scope. Filters: `q` (name, pinyin initials, or the last 4+ digits of the ID),
    `org` (subtree of an organization id), `category` (full, probationary), `flag` (mobile, lost)."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        params = self.request.query_params
        under = organization_get_visible(self.request.user, params["org"]) if params.get("org") else None
        return selectors.member_list(
            self.request.user,
            search=params.get("q", ""),
            under=under,
            category=params.get("category", ""),
            flag=params.get("flag", ""),
        )

    def get_object(self):
        return selectors.member_get_visible(self.request.user, self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reveal", bool, description="1: the full national ID and phone (entitled roles; logged)"
            )
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        member = self.get_object()
        revealed = {}
        if request.query_params.get("reveal") == "1":
            revealed[member.pk] = _run(
                lambda: services.sensitive_read(by=request.user, member=member, via="api")
            )
        return Response(MemberSerializer(member, context={"request": request, "revealed": revealed}).data)


class ImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberImport
        fields = [
            "id",
            "organization",
            "filename",
            "sha256",
            "status",
            "total_rows",
            "checked_rows",
            "valid_rows",
            "error_rows",
            "errors",
            "created_count",
            "updated_count",
            "unchanged_count",
            "created_at",
            "committed_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    organization = serializers.IntegerField(help_text="id of the organization whose register the file fills")
    file = serializers.FileField()


class MemberImportViewSet(viewsets.ReadOnlyModelViewSet):
    """Imports the caller may manage. POST (multipart: organization, file) uploads a file and queues its
    check; poll the import until `status` is checked or refused; `errors` maps row numbers to messages."""

    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.imports_visible(self.request.user)

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportSerializer})
    def create(self, request):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        org = organization_get_visible(request.user, upload.validated_data["organization"])
        job = _run(
            lambda: services.import_start(
                by=request.user, organization=org, upload=upload.validated_data["file"]
            )
        )
        job.refresh_from_db()
        return Response(ImportSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Import a checked file without errors, all or nothing; twice changes nothing."""
        job = _run(lambda: services.import_commit(by=request.user, job=self.get_object()))
        return Response(ImportSerializer(job).data)
