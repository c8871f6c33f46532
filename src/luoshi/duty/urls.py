from django.urls import path

from luoshi.duty import views

app_name = "duty"
urlpatterns = [
    path("", views.index, name="index"),
    path("letters/", views.letters, name="letters"),
    path("letters/new/", views.letter_new, name="letter_new"),
    path("letters/<int:pk>/", views.letter, name="letter"),
    path("letters/<int:pk>/edit/", views.letter_edit, name="letter_edit"),
    path("letters/<int:pk>/issue/", views.letter_issue, name="letter_issue"),
    path("targets/<int:pk>/", views.target, name="target"),
    path("copies/<int:pk>/", views.copy, name="copy"),
    path("copies/<int:pk>/sign/", views.copy_sign, name="copy_sign"),
    path("copies/<int:pk>/letter.docx", views.copy_docx, name="copy_docx"),
    path("progress/<int:pk>/", views.progress, name="progress"),
    path("progress/<int:pk>/report/", views.progress_report, name="progress_report"),
    path("progress/<int:pk>/breach/", views.progress_breach, name="progress_breach"),
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/template.xlsx", views.plan_template, name="plan_template"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("plans/<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("plans/<int:pk>/import/", views.plan_import, name="plan_import"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="task_assign"),
    path("assignments/<int:pk>/", views.assignment, name="assignment"),
    path("assignments/<int:pk>/report/", views.assignment_report, name="assignment_report"),
    path("assignments/<int:pk>/split/", views.assignment_split, name="assignment_split"),
    path("assignments/<int:pk>/review/", views.assignment_review, name="assignment_review"),
    path("ledger/", views.ledger, name="ledger"),
    path("streets/", views.streets, name="streets"),
    path("summary/", views.summary, name="summary"),
]
