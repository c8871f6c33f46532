from django.urls import path

from luoshi.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.inspection_new, name="inspection_new"),
    path("standards/", views.standards, name="standards"),
    path("standards/<int:pk>/", views.standard, name="standard"),
    path("standards/template.xlsx", views.standard_file, name="standard_template"),
    path("standards/<int:pk>/standard.xlsx", views.standard_file, name="standard_xlsx"),
    path("<int:pk>/", views.inspection, name="inspection"),
    path("<int:pk>/visit/<int:org>/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("visits/<int:pk>/amend/", views.visit_amend, name="visit_amend"),
    path("findings/<int:pk>/", views.finding, name="finding"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("rectifications/<int:pk>/notice.docx", views.rectification_notice, name="rectification_notice"),
    path("rectifications/<int:pk>/report/", views.rectification_report, name="rectification_report"),
    path("rectifications/<int:pk>/verify/", views.rectification_verify, name="rectification_verify"),
]
