"""The second factor of contractor and obligee users at sign-in.

A user with a confirmed device (an authenticator app, django-otp's TOTPDevice, and its backup
codes, a StaticDevice) signs in in two steps: the password (Django's LoginView, with the
lockout of django-axes), then the code. Between the two the user is not signed in: the session
holds only who passed the password, for a few minutes, and the code step signs them in and marks
the session as verified by the device (django_otp.login), as the admin's sign-in does.

Wrong codes are limited per user and per IP address (core.ratelimit), on top of django-otp's
own throttling of each device.
"""

import time
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import client_ip
from accounts.models import User
from core.ratelimit import attempts_in_turn, rate_limit_hit, rate_limit_reached, rate_limit_reset

PENDING_SESSION_KEY = "_second_factor_pending"
# How long the password step is remembered while the code is typed.
PENDING_SECONDS = 300
# Longer than any code (a 6-digit app code, an 8-character backup code, typed with spaces).
CODE_MAX_LENGTH = 32

CODE_THROTTLED = gettext_lazy(
    "確認コードの誤りが続いたため、しばらく受け付けを停止しています。時間をおいて再度お試しください。"
)
CODE_WRONG = gettext_lazy(
    "確認コードが正しくありません。認証アプリに表示されている6桁の数字か、バックアップコードを入力してください。"
)


def normalise_code(value: str) -> str:
    """A code as typed: full-width folded (a Japanese IME), spaces and hyphens dropped."""
    code = unicodedata.normalize("NFKC", value or "")
    return "".join(code.split()).replace("-", "").lower()


def authenticator_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: Any) -> bool:
    return bool(user.pk) and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def asks_code_at_sign_in(user: User) -> bool:
    """Portal users with an authenticator app; staff give their code on the admin's sign-in."""
    return not user.is_staff and has_second_factor(user)


def verify_code(user: User, code: str) -> Device | None:
    """The confirmed device `code` belongs to (a backup code is used up), or None.

    Six digits go to the authenticator app, anything else to the backup codes, so that a
    mistyped app code never uses up the backup codes' failure allowance (as on the admin)."""
    token = normalise_code(code)
    if not token or len(token) > CODE_MAX_LENGTH:
        return None
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if token.isdigit() and len(token) == 6:
            candidates = [device for device in devices if isinstance(device, TOTPDevice)]
        else:
            candidates = [device for device in devices if isinstance(device, StaticDevice)]
        for device in candidates:
            if device.verify_token(token):
                return device
    return None


def code_attempt(
    request: HttpRequest,
    user: User,
    code: str,
    *,
    check: Callable[[], Device | None] | None = None,
) -> tuple[Device | None, str]:
    """Check a code typed by `user` (by `check`, else against their confirmed devices), within
    the limits on wrong codes: (device, "") when it is right, else (None, the message to show).
    Wrong codes count per user and per IP address; a right one starts the user's count again."""
    with attempts_in_turn(User.objects.filter(pk=user.pk)):
        if code_attempts_exhausted(request, user):
            return None, str(CODE_THROTTLED)
        device = check() if check is not None else verify_code(user, code)
        if device is None:
            code_failed(request, user)
            return None, str(CODE_WRONG)
        rate_limit_reset("second-factor-user", str(user.pk))
    return device, ""


def code_attempts_exhausted(request: HttpRequest, user: User) -> bool:
    return rate_limit_reached("second-factor-user", str(user.pk)) or rate_limit_reached(
        "second-factor-ip", client_ip(request) or ""
    )


def code_failed(request: HttpRequest, user: User) -> None:
    """Count one wrong code (or wrong password where a code step asks for it too)."""
    rate_limit_hit("second-factor-user", str(user.pk))
    rate_limit_hit("second-factor-ip", client_ip(request) or "")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("確認コード(認証アプリの6桁またはバックアップコード)"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class SignInView(auth_views.LoginView):
    """The portal's sign-in: the password, then (for a user with a second factor) the code."""

    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not asks_code_at_sign_in(user):
            return super().form_valid(form)
        # Not signed in yet: the session remembers who passed the password step, and how.
        self.request.session.cycle_key()
        self.request.session[PENDING_SESSION_KEY] = {
            "user": user.pk,
            "hash": user.get_session_auth_hash(),
            "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
            "at": time.time(),
            "next": self.get_redirect_url(),
        }
        return HttpResponseRedirect(reverse("accounts:login_code"))


def _pending_user(request: HttpRequest) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user_id = pending.get("user")
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    # A password changed meanwhile ends the half-finished sign-in too.
    if user is None or user.get_session_auth_hash() != pending.get("hash"):
        return None, {}
    return user, pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code of the authenticator app, or a backup code."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        if request.method == "POST":
            messages.error(request, _("時間が経過したため、もう一度ログインしてください。"))
        return redirect(settings.LOGIN_URL)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        device, refusal = code_attempt(request, user, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", refusal)
            status = 429 if refusal == str(CODE_THROTTLED) else 200
        else:
            del request.session[PENDING_SESSION_KEY]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = reverse(settings.LOGIN_REDIRECT_URL)
            return HttpResponseRedirect(target)
    return render(request, "registration/login_code.html", {"form": form}, status=status)
