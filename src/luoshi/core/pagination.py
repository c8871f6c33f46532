"""The API's pages: `limit` and `offset` as DRF reads them, bounded so that no number a client sends reaches
the database beyond what it can hold (SQLite answers a LIMIT past 2**63 with "datatype mismatch")."""

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1  # past any row count; a larger offset is an empty page, as it would be anyway


class Pagination(LimitOffsetPagination):
    max_limit = 500

    def get_offset(self, request):
        return min(super().get_offset(request), MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 0}
        return parameters
