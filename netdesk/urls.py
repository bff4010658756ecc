from django.contrib import admin
from django.urls import include, path

from core.views import FaviconView, date_reading, healthz
from obligees import received
from obligees.portal import obligee_home
from obligees.receive import obligee_receive, obligee_receive_notices

urlpatterns = [
    path("", include("applications.urls")),
    path("accounts/", include("accounts.urls")),
    path("obligees/", include("obligees.urls")),
    path("obligee/", obligee_home, name="obligee_home"),
    path("obligee/received.csv", received.received_csv, name="obligee_received_csv"),
    path("obligee/certificates/<int:pk>/", received.certificate_detail, name="obligee_certificate"),
    path(
        "obligee/certificates/<int:pk>.pdf",
        received.certificate_pdf,
        name="obligee_certificate_pdf",
    ),
    path("obligee/receive/", obligee_receive, name="obligee_receive"),
    path("obligee/receive/notices/", obligee_receive_notices, name="obligee_receive_notices"),
    path("fees/", include("fees.urls")),
    path("", include("guarantees.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("dates/reading/", date_reading, name="date_reading"),
]
