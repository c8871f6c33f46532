from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("luoshi.core.urls")),
    path("orgs/", include("luoshi.orgs.urls")),
    path("accounts/", include("luoshi.accounts.urls")),
    path("api/", include("luoshi.api_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
]
