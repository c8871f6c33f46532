from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from luoshi.accounts import scoping, selectors, services
from luoshi.accounts.models import Role, User
from luoshi.accounts.permissions import ROLES_GRANT
from luoshi.core.errors import NotPermitted, ServiceError, attempt


def _safe_next(request, default="core:home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


class LoginForm(AuthenticationForm):
    error_messages = {
        # One message for a wrong password and an unknown user: the page must not reveal which names exist.
        "invalid_login": _("The user name or password is not correct."),
        "inactive": _("The user name or password is not correct."),
    }


def login(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth_login(request, form.get_user())
        return redirect(_safe_next(request))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accounts/login.html", {"form": form, "next": _safe_next(request, "")}, status=status
    )


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = gettext("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    form = LoginForm(request)
    return render(request, "accounts/login.html", {"form": form, "locked_message": message}, status=429)


@require_POST
def logout(request):
    auth_logout(request)
    return redirect("accounts:login")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


@login_required
def otp_verify(request):
    devices = list(devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect("accounts:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        device = next((d for d in devices if d.verify_token(token)), None)
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error(
            "token", _("This code is not valid. Check your phone's clock and try the newest code.")
        )
    context = {"form": form, "next": _safe_next(request, ""), "hide_nav": True}
    return render(request, "accounts/otp_verify.html", context)


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


@login_required
def otp_setup(request):
    """Enrol a TOTP authenticator: scan the code (or type the key), then confirm with a first code."""
    if any(devices_for_user(request.user, confirmed=True)) and not request.user.is_verified():
        return redirect("accounts:otp_verify")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save()
            services.tokens_revoke(request.user)  # API tokens now need the code too: issue new ones
            otp_login(request, device)
            messages.success(request, gettext("Two-factor login is on for your account."))
            return redirect("accounts:security")
        form.add_error(
            "token", _("This code is not valid. Check your phone's clock and try the newest code.")
        )
    context = {
        "form": form,
        "qr": _qr_svg(device.config_url),
        "secret": b32encode(device.bin_key).decode(),
        "required": scoping.requires_2fa(request.user),
        # Until the second step is passed, the rest of the site is out of reach: do not offer it.
        "hide_nav": not request.user.is_verified(),
    }
    return render(request, "accounts/otp_setup.html", context)


@login_required
def security(request):
    grants = scoping.grants_of(request.user)
    has_device = any(devices_for_user(request.user, confirmed=True))
    return render(
        request,
        "accounts/security.html",
        {
            "has_device": has_device,
            "required": scoping.requires_2fa(request.user),
            "grants": selectors.grant_list_visible(request.user).filter(user=request.user),
            "grant_count": len(grants),
        },
    )


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        services.tokens_revoke(user)
        update_session_auth_hash(request, user)  # stay logged in on this device
        messages.success(request, gettext("Your password was changed."))
        return redirect("accounts:security")
    return render(request, "accounts/password.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def language(request):
    code = request.POST.get("language")
    if code not in dict(settings.LANGUAGES):
        code = settings.LANGUAGE_CODE
    response = HttpResponseRedirect(_safe_next(request, "/"))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax")
    if request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    return response


class GrantForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.order_by("id"))
    organization = forms.CharField(
        label=_("On organization (and everything below it)"),
        widget=forms.TextInput(attrs={"list": "org-options", "autocomplete": "off"}),
    )


class NewUserForm(forms.Form):
    new_username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Letters, digits and . @ + - _ only.")},
    )
    display_name = forms.CharField(label=_("Name shown"), max_length=60)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    password = forms.CharField(
        label=_("First password"),
        widget=forms.PasswordInput(render_value=True),
        min_length=10,
        help_text=_("Give it to the person in private; they can change it later."),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


@login_required
def grants(request):
    if not scoping.has_perm_anywhere(request.user, ROLES_GRANT):
        raise Http404
    creating = request.method == "POST" and "new_username" in request.POST
    user_form = NewUserForm(request.POST if creating else None)
    made = {}

    def create_user():
        made["user"] = services.user_create_by(
            by=request.user,
            username=user_form.cleaned_data["new_username"],
            password=user_form.cleaned_data["password"],
            display_name=user_form.cleaned_data["display_name"],
            email=user_form.cleaned_data["email"],
        )

    if creating and user_form.is_valid() and attempt(user_form, create_user):
        created = made["user"]
        messages.success(
            request, gettext("User %(user)s created. Now give them a role.") % {"user": created.label}
        )
        return redirect(f"{request.path}?username={created.username}")
    form = GrantForm(
        None if creating else (request.POST or None), initial={"username": request.GET.get("username", "")}
    )
    if request.method == "POST" and not creating and form.is_valid():
        from luoshi.orgs.forms import pick_organization

        user = User.objects.filter(username=form.cleaned_data["username"].strip(), is_active=True).first()
        org = pick_organization(form, request.user)
        if user is None:
            form.add_error("username", _("No active user with this name."))
        if user is not None and org is not None:
            granted = {}

            def grant():
                granted["grant"] = services.role_grant(
                    by=request.user, user=user, role=form.cleaned_data["role"], organization=org
                )

            denied = ("organization", _("You cannot grant roles on this organization."))
            if attempt(form, grant, denied=denied):
                messages.success(request, gettext("Granted: %(grant)s") % {"grant": granted["grant"]})
                return redirect("accounts:grants")
    show_revoked = request.GET.get("revoked") == "1"
    page = Paginator(
        selectors.grant_list_visible(
            request.user, include_revoked=show_revoked, search=request.GET.get("q", "")
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/grants.html",
        {"form": form, "user_form": user_form, "page": page, "show_revoked": show_revoked},
        status=400 if form.errors or user_form.errors else 200,
    )


@login_required
@require_POST
def grant_revoke(request, pk):
    grant = selectors.grant_get_visible(request.user, pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give a reason for revoking it."))
        return redirect("accounts:grants")
    try:
        services.role_revoke(by=request.user, grant=grant, reason=form.cleaned_data["reason"])
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Revoked: %(grant)s") % {"grant": grant})
    return redirect("accounts:grants")
