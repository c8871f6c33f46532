from django.urls import path

from luoshi.sites import views

app_name = "sites"
urlpatterns = [
    path("", views.centers, name="centers"),
    path("<int:pk>/", views.center, name="center"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone_done"),
]
