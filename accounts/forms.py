import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

INVALID_LOGIN = _(
    "メールアドレスまたはパスワードが正しくありません。どちらも大文字と小文字を区別します。"
)


def normalise_email(value: str) -> str:
    """An e-mail address as it is stored: full-width characters folded, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The address django-axes counts failed sign-ins against (AXES_USERNAME_CALLABLE).

    Normalised exactly as the sign-in forms do, so "Alice@Example.JP" and "alice@example.jp" are
    one account for the lockout, whichever form (or case) the attempts came from.
    """
    value = credentials.get("username") if credentials else request.POST.get("username")
    return normalise_email(value) if value else None


class EmailAuthenticationForm(AuthenticationForm):
    """Sign-in with an e-mail address; addresses are stored lower-case."""

    error_messages = {**AuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}

    def clean_username(self) -> str:
        return normalise_email(self.cleaned_data["username"])


class AdminSignInForm(OTPAdminAuthenticationForm):
    """Staff sign-in to the admin: e-mail, password and a code from an OTP device.

    Only staff pass (AdminAuthenticationForm refuses other users). There is no device list to
    choose from: a code of digits goes to the authenticator app (TOTP), anything else to the
    backup codes, so a mistyped app code never uses up the backup codes' failure allowance.
    """

    otp_device = None  # removes django-otp's device select
    otp_token = forms.CharField(
        label=_("確認コード(認証アプリの6桁またはバックアップコード)"),
        required=False,  # an empty code gets django-otp's "token required" error after the password
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    error_messages = {**OTPAdminAuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "no_device": _(
            "このアカウントには二段階認証の端末が登録されていないため、業務管理画面にはログインできません。管理者に登録を依頼してください。"
        ),
    }

    def clean_username(self) -> str:
        return normalise_email(self.cleaned_data["username"])

    def clean_otp_token(self) -> str:
        # Codes typed with a Japanese IME come in full-width; spaces and hyphens are grouping only.
        token = unicodedata.normalize("NFKC", self.cleaned_data["otp_token"])
        return "".join(token.split()).replace("-", "").lower()

    def _verify_token(self, user: User, token: str, device: Device | None = None) -> Device:
        if device is not None:
            return super()._verify_token(user, token, device)
        candidates = self._devices_for_token(user, token)
        if not candidates:
            raise forms.ValidationError(self.otp_error_messages["no_device"], code="no_device")
        # Usually one candidate; with several, each is tried and the last error is shown.
        for candidate in candidates:
            try:
                return super()._verify_token(user, token, candidate)
            except forms.ValidationError as exc:
                error = exc
        raise error

    def _update_form(self, user: User) -> None:
        # django-otp would fill the device select (we have none) and write the password back into
        # the page after a wrong code; a password is never echoed, so it is typed again.
        pass

    @staticmethod
    def _devices_for_token(user: User, token: str) -> list[Device]:
        """The user's confirmed devices this code can belong to (locked for verification)."""
        devices = list(devices_for_user(user, for_verify=True))
        authenticator_apps = [
            device
            for device in devices
            if isinstance(device, TOTPDevice) and token.isdigit() and len(token) == device.digits
        ]
        if authenticator_apps or not devices:
            return authenticator_apps
        return [device for device in devices if not isinstance(device, TOTPDevice)] or devices
