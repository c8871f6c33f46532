from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from luoshi.accounts import scoping

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    """Chinese unless the user chose otherwise (cookie, then their saved preference). The browser's
    Accept-Language is ignored on purpose: the interface language is the organization's, not the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in _SUPPORTED:
            user = getattr(request, "user", None)
            language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language not in _SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RequireTwoFactorMiddleware:
    """A logged-in user who has a TOTP device, or whose role requires one, must pass the second step before
    any other page. Token (API) requests are checked when the token is issued."""

    # Only what it takes to pass the second step (or leave). Everything else — the roles page, the
    # password page — waits behind it: a stolen password alone must open nothing.
    OPEN_URL_NAMES = (
        "accounts:login",
        "accounts:logout",
        "accounts:otp_verify",
        "accounts:otp_setup",
        "accounts:language",
    )
    STATIC_PREFIX = "/static/"

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def __call__(self, request):
        user = request.user
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in self.OPEN_URL_NAMES}
        is_open = request.path in self._open_paths or request.path.startswith(self.STATIC_PREFIX)
        if user.is_authenticated and not is_open:
            if not user.is_verified():
                from django_otp import devices_for_user

                if any(devices_for_user(user, confirmed=True)):
                    return redirect(f"{reverse('accounts:otp_verify')}?next={request.path}")
                if scoping.requires_2fa(user):
                    return redirect(reverse("accounts:otp_setup"))
        return self.get_response(request)
