"""The app's own error pages in every mode.

With DEBUG off, Django renders templates/404.html (handler404) and templates/500.html (handler500) itself.
With DEBUG on it shows its English technical pages instead — with settings, paths and source lines — which a
user must never see (`DEBUG=true` is a developer's setting, and a demo was once run with it). This
middleware answers with the app's pages in that mode too; the traceback still goes to the log.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import Resolver404, resolve
from django.views import defaults

log = logging.getLogger("django.request")


class ErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                # an unknown address never reaches a view (nor process_exception): answer it here
                resolve(request.path_info)
            except Resolver404 as exc:
                return defaults.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not settings.DEBUG or isinstance(exception, PermissionDenied):
            return None  # Django's handlers render the app's templates (403 in every mode)
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, (SuspiciousOperation, BadRequest)):
            return defaults.bad_request(request, exception)
        log.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"request": request})
        return defaults.server_error(request)
