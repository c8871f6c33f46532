"""Organizational life's pages (stubs being replaced by the real views)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render


@login_required
def index(request):
    return render(request, "orglife/index.html", {})


@login_required
def rules(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def plans(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def plan(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def plan_edit(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def plan_publish(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def plan_supervisors(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def visit(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def meetings(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def meeting(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def meeting_edit(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def meeting_withdraw(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def meeting_qr(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def checkin(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def report(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def report_xlsx(request, **kwargs):
    return HttpResponse("todo", status=501)


@login_required
def archive_zip(request, **kwargs):
    return HttpResponse("todo", status=501)
