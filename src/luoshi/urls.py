from django.urls import include, path

urlpatterns = [
    path("", include("luoshi.core.urls")),
    path("orgs/", include("luoshi.orgs.urls")),
    path("accounts/", include("luoshi.accounts.urls")),
    path("duty/", include("luoshi.duty.urls")),
    path("inspections/", include("luoshi.inspections.urls")),
    path("accountability/", include("luoshi.accountability.urls")),
    path("centers/", include("luoshi.sites.urls")),
    path("assessment/", include("luoshi.assessment.urls")),
    path("members/", include("luoshi.members.urls")),
    path("orglife/", include("luoshi.orglife.urls")),
    path("cockpit/", include("luoshi.reports.urls")),
    path("api/", include("luoshi.api_urls")),
]
