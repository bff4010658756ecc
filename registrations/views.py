"""利用申込: the public form, its answer, and the confirmation link e-mailed to the applicant."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.lockout import client_ip
from core.errors import ServiceError
from core.ratelimit import rate_limit_hit
from registrations import services
from registrations.forms import RegistrationForm
from registrations.models import CONFIRMATION_VALIDITY

TOKEN_SESSION_KEY = "_registrations_confirmation_token"
CONFIRMATION_HOURS = int(CONFIRMATION_VALIDITY.total_seconds() // 3600)


def _throttled_message() -> str:
    return _(
        "お申込みが短い間に続いたため、しばらく受け付けを停止しています。時間をおいて再度お試しください。"
    )


@never_cache
def apply(request: HttpRequest) -> HttpResponse:
    """利用申込: the form. Whatever the address or the company, a valid form gets the same
    answer (the page "sent"); limited per address and per IP address, both counted on every
    valid submission so that neither can be dodged by tripping the other."""
    form = RegistrationForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "hours": CONFIRMATION_HOURS}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["applicant_email"]
        address_allowed = rate_limit_hit("registration-address", email)
        ip_allowed = rate_limit_hit("registration-ip", client_ip(request) or "")
        if not (address_allowed and ip_allowed):
            form.add_error(None, _throttled_message())
            return render(request, "registrations/apply.html", context, status=429)
        services.registration_submit(data=form.registration_data())
        request.session["_registrations_sent_to"] = email
        return redirect("registrations:sent")
    return render(request, "registrations/apply.html", context)


@never_cache
def sent(request: HttpRequest) -> HttpResponse:
    """The answer to the form: the link is on its way (said alike for any address)."""
    email = request.session.get("_registrations_sent_to", "")
    return render(request, "registrations/sent.html", {"email": email, "hours": CONFIRMATION_HOURS})


@never_cache
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's link. The token is kept in the session and the browser sent on to an address
    without it, so that it reaches no history, log or Referer; the confirmation itself is a POST
    from that page (a mail scanner following the link confirms nothing)."""
    if not rate_limit_hit("registration-link-ip", client_ip(request) or ""):
        return render(
            request, "registrations/confirm.html", {"refusal": _throttled_message()}, status=429
        )
    request.session[TOKEN_SESSION_KEY] = token[: services.TOKEN_MAX_LENGTH + 1]
    return redirect("registrations:confirm")


@never_cache
def confirm(request: HttpRequest) -> HttpResponse:
    """メールアドレスの確認: what was applied for, and the button that sends it to the branch."""
    token = request.session.get(TOKEN_SESSION_KEY, "")
    registration = services.registration_for_token(token)
    refusal = services.confirmation_refusal(registration)
    context: dict[str, Any] = {"registration": registration, "refusal": refusal}
    if request.method == "POST" and not refusal:
        if not rate_limit_hit("registration-link-ip", client_ip(request) or ""):
            return render(
                request,
                "registrations/confirm.html",
                {"refusal": _throttled_message()},
                status=429,
            )
        try:
            registration = services.registration_confirm(token=token)
        except ServiceError as error:
            return render(
                request, "registrations/confirm.html", {**context, "refusal": error.messages[0]}
            )
        request.session.pop(TOKEN_SESSION_KEY, None)
        return render(
            request, "registrations/confirm.html", {"registration": registration, "done": True}
        )
    return render(request, "registrations/confirm.html", context)
