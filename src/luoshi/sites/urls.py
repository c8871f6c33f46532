from django.urls import path

from luoshi.sites import views

app_name = "sites"
urlpatterns = [
    path("", views.centers, name="centers"),
    path("new/", views.center_new, name="center_new"),
    path("<int:pk>/", views.center, name="center"),
    path("<int:pk>/projects/new/", views.project_new, name="project_new"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone_done"),
]
