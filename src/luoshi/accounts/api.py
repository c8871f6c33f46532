from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from luoshi.accounts import scoping


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False, allow_blank=True, help_text=_("TOTP code, when two-factor is on")
    )


class TokenView(APIView):
    """POST username and password (and `otp` when two-factor is on) to get a token for `Authorization: Token …`."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            return Response(
                {"non_field_errors": [_("The user name or password is not correct.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        devices = list(devices_for_user(user, confirmed=True))
        if devices or scoping.requires_2fa(user):
            code = (data.validated_data.get("otp") or "").strip()
            if not devices:
                return Response(
                    {"otp": [_("Your role requires two-factor login: set it up in the web app first.")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if not code or not any(device.verify_token(code) for device in devices):
                return Response({"otp": [_("A valid two-factor code is required.")]}, status=400)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
