from django.urls import path

from luoshi.orglife import views

app_name = "orglife"

urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.rules, name="rules"),
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_edit, name="plan_create"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/supervisors/", views.plan_supervisors, name="plan_supervisors"),
    path("plans/<int:pk>/visit/<int:branch>/", views.visit, name="visit"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/new/", views.meeting_edit, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/withdraw/", views.meeting_withdraw, name="meeting_withdraw"),
    path("meetings/<int:pk>/qr.svg", views.meeting_qr, name="meeting_qr"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("conflicts/<int:pk>/decide/", views.checkin_conflict_decide, name="checkin_conflict_decide"),
    path("report/", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("archive/<int:branch>/<int:year>.zip", views.archive_zip, name="archive"),
]
