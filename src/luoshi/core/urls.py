from django.urls import path

from luoshi.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("obligations/", views.obligation_list, name="obligations"),
    path("obligations/new/", views.obligation_create, name="obligation_create"),
    path("obligations/ladders/", views.policies, name="policies"),
    path("obligations/<int:pk>/", views.obligation_detail, name="obligation"),
    path("obligations/<int:pk>/complete/", views.obligation_complete, name="obligation_complete"),
    path("obligations/<int:pk>/waive/", views.obligation_waive, name="obligation_waive"),
    path("escalations/<int:pk>/decide/", views.escalation_decide, name="escalation_decide"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.notification_open, name="notification"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("history/<str:source>/<int:pk>/", views.history, name="history"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
