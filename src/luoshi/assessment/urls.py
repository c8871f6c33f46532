from django.urls import path

from luoshi.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme, name="scheme"),
    path("schemes/<int:pk>/manual/<str:code>/", views.manual, name="manual"),
    path("schemes/<int:pk>/manual/<str:code>/sheet/", views.manual_sheet, name="manual_sheet"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/changes/", views.diff, name="diff"),
    path("runs/<int:pk>/awards/", views.awards, name="awards"),
    path("results/<int:pk>/", views.result, name="result"),
    path("appeals/<int:pk>/", views.appeal, name="appeal"),
]
