from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.forms import normalise_email
from accounts.lockout import client_ip
from core.ratelimit import rate_limit_hit

PASSWORD_RESET_THROTTLED = _(
    "パスワード再設定のご依頼が短い間に続いたため、しばらく受け付けを停止しています。時間をおいて再度お試しください。"
)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per e-mail address and per IP address.

    Counted before any account is looked up, so the answer is the same whether or not the address
    belongs to one: a throttle must not tell a stranger which addresses exist.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = normalise_email(form.cleaned_data["email"])
        # Both are counted on every request, so neither limit can be dodged by tripping the other.
        address_allowed = rate_limit_hit("password-reset-address", email)
        ip_allowed = rate_limit_hit("password-reset-ip", client_ip(self.request) or "")
        if address_allowed and ip_allowed:
            return super().form_valid(form)
        form.add_error(None, PASSWORD_RESET_THROTTLED)
        return self.render_to_response(self.get_context_data(form=form), status=429)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password page, which refuses the link of a deactivated account: a leaver's
    old link must not work again on the day they are let back in."""

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None
