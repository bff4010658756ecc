"""Login lockout (django-axes), adapted to who shares an IP address and who attacks from one.

Axes counts failures per e-mail address and IP address together (AXES_LOCKOUT_PARAMETERS): a
stranger guessing an address's password locks only their own connection out, and the owner still
signs in from anywhere else. Axes compares every parameter group with one failure limit, so the
second, higher ceiling per IP address alone (one IP address trying many accounts: password spraying)
is added here, counted from the same AccessAttempt rows, so that deleting them in the admin
unlocks both.
"""

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address (AXES_CLIENT_IP_CALLABLE, and the rate limits').

    REMOTE_ADDR unless TRUSTED_PROXY_COUNT reverse proxies stand in front of the application: then
    the address the outermost of them saw, read from the right of X-Forwarded-For, since a client
    can write anything on the left of that header.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


class AxesHttpRequest(HttpRequest):
    """A request as django-axes hands it to its handler: its middleware has set the client's
    address, and the handler flags a lockout on it (for the lockout page). For type checking only:
    the requests are Django's own."""

    axes_ip_address: str | None
    axes_locked_out: bool
    netdesk_ip_locked: bool


def ip_failures(request: AxesHttpRequest) -> int:
    """Failed sign-ins from the request's IP address within the cool-off, whatever the address."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,
        attempt_time__gte=get_cool_off_threshold(request),
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler plus the per-IP ceiling (AXES_HANDLER)."""

    def is_locked(
        self, request: AxesHttpRequest, credentials: dict[str, Any] | None = None
    ) -> bool:
        if super().is_locked(request, credentials):
            return True
        if ip_failures(request) >= settings.LOGIN_FAILURE_LIMIT_PER_IP:
            # Axes flags a lockout from the address's own count only; this one needs saying, and
            # the lockout page then speaks of the connection, not of the account.
            request.axes_locked_out = True
            request.netdesk_ip_locked = True
            return True
        return False
