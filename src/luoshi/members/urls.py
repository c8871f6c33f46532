from django.urls import path

from luoshi.members import dues_views, sweep_views, views

app_name = "members"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.member, name="member"),
    path("<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/transfer/", views.transfer_new, name="transfer_new"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/<int:pk>/", views.transfer, name="transfer"),
    path("sweeps/", sweep_views.sweep_list, name="sweeps"),
    path("sweeps/<int:pk>/", sweep_views.sweep, name="sweep"),
    path("findings/<int:pk>/", sweep_views.finding, name="finding"),
    path("duplicates/", sweep_views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/", sweep_views.duplicate, name="duplicate"),
    path("dues/", dues_views.sheet, name="dues"),
    path("dues/assess/", dues_views.assess, name="dues_assess"),
    path("dues/import/", dues_views.payments_import, name="dues_import"),
    path("imports/", views.imports, name="imports"),
    path("imports/template.xlsx", views.template, name="template"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
]
