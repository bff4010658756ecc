"""二段階認証: a contractor or obligee user's second factor, reusing the staff's django-otp
devices — an authenticator app (TOTPDevice, enrolled with a QR code and a confirming code) and
ten backup codes (a StaticDevice, each code once, shown once, made anew on request) — and the
organisation's requirement, set by its 管理者, that every user has one.

Sign-in asks for the code (accounts.second_factor); the middleware below leads a user of an
organisation that requires a second factor to the enrolment page before anything else.
"""

import base64
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Contractor, User
from accounts.roles import is_org_admin, role_refused
from accounts.second_factor import (
    CODE_MAX_LENGTH,
    code_attempt,
    code_attempts_exhausted,
    code_failed,
    has_second_factor,
    normalise_code,
)
from core.audit import log_action
from core.errors import ServiceError, StateError
from members.account import audit, portal_user_required
from obligees.models import Obligee

BACKUP_CODE_COUNT = 10

Organisation = Contractor | Obligee


def organisation_of(user: User) -> Organisation | None:
    return user.contractor or user.obligee


def required_for(user: Any) -> bool:
    """Whether the user's organisation requires a second factor."""
    organisation = organisation_of(user) if getattr(user, "pk", None) else None
    return organisation is not None and organisation.second_factor_required


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Services ---------------------------------------------------------------------------------


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator app being enrolled: the same secret until it is confirmed, so that
    showing the page again shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=_("認証アプリ"), confirmed=False)


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("バックアップコード"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_turn_on(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirm the enrolled app and make the backup codes (returned: they are shown once).
    Every other session of the user ends: it was signed in without the code."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_backup_codes(user)
        user.session_generation += 1
        user.save(update_fields=["session_generation"])
        audit(user, "account.second_factor_on")
    return codes


def backup_codes_renew(*, user: User) -> list[str]:
    """New backup codes; the old ones stop working."""
    with transaction.atomic():
        if not has_second_factor(user):
            raise StateError(_("二段階認証が設定されていません。"), code="off")
        codes = _new_backup_codes(user)
        audit(user, "account.backup_codes_renewed")
    return codes


def second_factor_turn_off(*, user: User) -> None:
    """Remove the app and the backup codes; refused while the organisation requires them."""
    with transaction.atomic():
        if required_for(user):
            raise StateError(
                _(
                    "所属する組織で二段階認証が必須とされているため、解除できません。認証アプリを替える場合は、組織の管理者にご相談ください。"
                ),
                code="required",
            )
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit(user, "account.second_factor_off")


def organisation_requirement_set(
    *, organisation: Organisation, required: bool, user: User
) -> Organisation:
    """The 管理者 requires (or no longer requires) a second factor of every user; to require
    it, they first have one themselves."""
    with transaction.atomic():
        organisation = type(organisation).objects.select_for_update().get(pk=organisation.pk)
        if organisation.second_factor_required == required:
            return organisation
        if required and not has_second_factor(user):
            raise StateError(
                _("必須にする前に、ご自身の二段階認証を設定してください。"), code="own_first"
            )
        organisation.second_factor_required = required
        organisation.save(update_fields=["second_factor_required"])
        log_action(
            organisation,
            "account.second_factor_required",
            user=user,
            data={"email": user.email, "required": required},
        )
    return organisation


# --- Forms ------------------------------------------------------------------------------------


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("現在のパスワード"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TurnOffForm(PasswordForm):
    code = forms.CharField(
        label=gettext_lazy("確認コード(認証アプリの6桁またはバックアップコード)"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("認証アプリに表示された6桁の確認コード"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


# --- Views ------------------------------------------------------------------------------------


def _status_page(
    request: AuthenticatedHttpRequest,
    *,
    renew_form: PasswordForm | None = None,
    off_form: TurnOffForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "account/second_factor.html",
        {
            "second_factor": has_second_factor(user),
            "required": required_for(user),
            "backup_codes_left": backup_codes_left(user),
            "renew_form": renew_form or PasswordForm(prefix="renew"),
            "off_form": off_form or TurnOffForm(prefix="off"),
        },
        status=status,
    )


@never_cache
@portal_user_required
def second_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """二段階認証: on or off, the backup codes left, and what can be done."""
    return _status_page(request)


def _codes_page(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    response = render(request, "account/backup_codes.html", {"codes": codes, "first": first})
    response["Cache-Control"] = "no-store"
    return response


def _qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_data_uri(scale=5, border=2)
    return svg


@sensitive_post_parameters("code")
@never_cache
@portal_user_required
def second_factor_enrol(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """設定: the QR code (and the key to type), then the app's code to confirm it."""
    user = request.user
    if has_second_factor(user):
        if not _verified(request):
            # Signed in without the code (a session older than the app): sign in again.
            logout(request)
            return redirect("accounts:login")
        messages.info(request, _("二段階認証はすでに設定されています。"))
        return redirect("account:second_factor")
    device = enrolment_device(user)
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        token = normalise_code(form.cleaned_data["code"])

        def check() -> TOTPDevice | None:
            fresh = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            valid = token.isdigit() and len(token) == fresh.digits and fresh.verify_token(token)
            return fresh if valid else None

        confirmed, refusal = code_attempt(request, user, token, check=check)
        if confirmed is None:
            form.add_error("code", refusal)
            status = 429 if code_attempts_exhausted(request, user) else 200
        else:
            assert isinstance(confirmed, TOTPDevice)
            codes = second_factor_turn_on(user=user, device=confirmed)
            update_session_auth_hash(request, user)
            otp_login(request, confirmed)
            return _codes_page(request, codes, first=True)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "account/second_factor_enrol.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": required_for(user),
        },
        status=status,
    )


@sensitive_post_parameters("renew-password")
@never_cache
@require_POST
@portal_user_required
def backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """バックアップコードの再発行 (the password again): the new codes, shown this once."""
    user = request.user
    form = PasswordForm(request.POST, prefix="renew")
    if code_attempts_exhausted(request, user):
        form.is_valid()
        form.add_error(None, _throttled())
        return _status_page(request, renew_form=form, status=429)
    if not form.is_valid():
        return _status_page(request, renew_form=form)
    if not user.check_password(form.cleaned_data["password"]):
        code_failed(request, user)
        form.add_error("password", _("パスワードが正しくありません。"))
        return _status_page(request, renew_form=form)
    try:
        codes = backup_codes_renew(user=user)
    except ServiceError as error:
        messages.error(request, error.messages[0])
        return redirect("account:second_factor")
    return _codes_page(request, codes, first=False)


def _throttled() -> str:
    return _("誤りが続いたため、しばらく受け付けを停止しています。時間をおいて再度お試しください。")


@sensitive_post_parameters("off-password", "off-code")
@never_cache
@require_POST
@portal_user_required
def second_factor_off(request: AuthenticatedHttpRequest) -> HttpResponse:
    """解除: the password and a code."""
    user = request.user
    form = TurnOffForm(request.POST, prefix="off")
    if not form.is_valid():
        return _status_page(request, off_form=form)
    if required_for(user):
        form.add_error(
            None,
            _(
                "所属する組織で二段階認証が必須とされているため、解除できません。認証アプリを替える場合は、組織の管理者にご相談ください。"
            ),
        )
        return _status_page(request, off_form=form, status=409)
    if code_attempts_exhausted(request, user):
        form.add_error(None, _throttled())
        return _status_page(request, off_form=form, status=429)
    if not user.check_password(form.cleaned_data["password"]):
        code_failed(request, user)
        form.add_error("password", _("パスワードが正しくありません。"))
        return _status_page(request, off_form=form)
    device, refusal = code_attempt(request, user, form.cleaned_data["code"])
    if device is None:
        form.add_error("code", refusal)
        return _status_page(request, off_form=form)
    try:
        second_factor_turn_off(user=user)
    except ServiceError as error:
        form.add_error(None, error.messages[0])
        return _status_page(request, off_form=form, status=409)
    messages.success(request, _("二段階認証を解除しました。"))
    return redirect("account:second_factor")


@require_POST
@portal_user_required
def organisation_requirement(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The 管理者 requires a second factor of everyone in the organisation, or stops requiring it."""
    user = request.user
    if not is_org_admin(user):
        return role_refused(request)
    organisation = organisation_of(user)
    assert organisation is not None  # is_org_admin holds one
    required = request.POST.get("required") == "1"
    try:
        organisation_requirement_set(organisation=organisation, required=required, user=user)
    except ServiceError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _(
                "組織の全員に二段階認証を必須にしました。未設定の方は、次の操作の前に設定を求められます。"
            )
            if required
            else _("二段階認証の必須を解除しました。"),
        )
    return redirect("account:home")


def _verified(request: HttpRequest) -> bool:
    """Whether this session was signed in with a code (set on the user by OTPMiddleware)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


# --- The organisation's requirement -----------------------------------------------------------

# What a user who must still enrol may open: the enrolment itself, signing out, and what serves
# every page (the language switch, the help pages, the health check).
ENROLMENT_EXEMPT = {
    "account:second_factor_enrol",
    "account:email_confirm_link",
    "account:email_confirm",
    "accounts:logout",
    "accounts:login",
    "accounts:login_code",
    "set_language",
    "healthz",
    "favicon",
    "applications:help",
    "applications:help_obligee",
}


class SecondFactorRequiredMiddleware:
    """A contractor or obligee user whose organisation requires a second factor, in a session
    not verified by one, is sent to the enrolment page whatever they open. Costs no query: the
    organisation comes with the user (accounts.backends), the verification with the session."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff:
            return None
        if not required_for(user) or _verified(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ENROLMENT_EXEMPT:
            return None
        return redirect("account:second_factor_enrol")
