"""The app's own 404 and 500 pages, in Chinese, with DEBUG off and on: no user ever sees Django's technical
pages (English, with settings and source lines)."""

import pytest
from django.http import Http404
from django.test import Client
from django.urls import include, path


def _raises(request):
    raise RuntimeError("a bug in a view")


def _not_found(request):
    raise Http404("no such record")


urlpatterns = [
    path("boom/", _raises),
    path("missing/", _not_found),
    path("", include("luoshi.urls")),
]

TECHNICAL = ("Traceback", "Django", "DEBUG = True", "Page not found", "Server Error", "RuntimeError")


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def site(request, settings, db):
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def _assert_ours(response, status: int, heading: str):
    assert response.status_code == status
    text = response.content.decode()
    assert heading in text
    assert not [word for word in TECHNICAL if word in text]


def test_an_unknown_address_is_our_404(site):
    _assert_ours(site.get("/no/such/page/"), 404, "页面不存在")


def test_a_record_not_found_in_a_view_is_our_404(site):
    _assert_ours(site.get("/missing/"), 404, "页面不存在")


def test_a_view_that_raises_is_our_500(site, caplog):
    _assert_ours(site.get("/boom/"), 500, "系统出错了")
    assert "a bug in a view" in caplog.text  # the traceback is logged, not shown


def test_a_logged_in_user_gets_our_404_with_the_menu(site, world, login):
    client = login(world.users["branch_secretary"])
    client.raise_request_exception = False
    response = client.get("/inspections/visits/999999/")
    _assert_ours(response, 404, "页面不存在")
    assert "退出" in response.content.decode()  # the page of the site, with its menu, not a bare one


def test_the_slash_is_still_appended(site):
    response = site.get("/accounts/login")
    assert response.status_code == 301 and response["Location"] == "/accounts/login/"
