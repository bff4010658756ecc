"""Net Desk's URLs plus the bench's reference pages (served only with bench.settings)."""

from django.urls import path

from bench.admin import stock_site
from bench.pages import FLOOR_PATH, STOCK_ADMIN_PATH
from bench.views import floor
from netdesk.urls import urlpatterns as netdesk_urlpatterns

urlpatterns = [
    *netdesk_urlpatterns,
    path(FLOOR_PATH.lstrip("/"), floor, name="bench_floor"),
    path(STOCK_ADMIN_PATH.lstrip("/"), stock_site.urls),
]
