from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.generic import RedirectView


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

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.ico")
