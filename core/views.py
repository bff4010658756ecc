from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from core.forms import TypedDate
from core.forms import date_reading as date_reading_for
from core.wareki import DEFAULT_ERA


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and the container health check.

    It runs exactly one query, which also makes it the baseline page of `make bench`.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


class FaviconView(RedirectView):
    """/favicon.ico, which browsers ask for whatever a page links (PDF viewers, the admin's
    popups, bookmarks): the static icon, at its cache-busting address in production. Temporary,
    because that address changes with the file."""

    permanent = False

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        return static("favicon.ico")


@require_GET
def date_reading(request: HttpRequest) -> JsonResponse:
    """What a date input shows beside itself as the user types (static/js/date_input.js):
    `?text=R8.12.1&era=令和` → {"date": "2026-12-01", "text": "令和8年12月1日(…)", "error": ""}.

    The server's reader (core.wareki.read_date) rather than a second one in the script, so the
    page says exactly what the form will read. Public: it reads a date and looks nothing up."""
    text = request.GET.get("text", "")
    return JsonResponse(date_reading_for(TypedDate(text, request.GET.get("era", DEFAULT_ERA))))
