from django.urls import path

from luoshi.accountability import views

app_name = "accountability"
urlpatterns = [
    path("", views.index, name="index"),
    path("statistics/", views.statistics, name="statistics"),
    path("circulars/new/", views.circular_new, name="circular_new"),
    path("circulars/<int:pk>/", views.circular, name="circular"),
    path("talks/new/", views.talk_new, name="talk_new"),
    path("decisions/new/", views.decision_new, name="decision_new"),
    path("talks/<int:pk>/", views.talk, name="talk"),
]
