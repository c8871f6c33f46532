from django.urls import path

from luoshi.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.cockpit, name="cockpit"),
]
