from django.contrib import admin
from django.urls import include, path

from core.views import FaviconView, date_reading, healthz

urlpatterns = [
    path("", include("applications.urls")),
    path("accounts/", include("accounts.urls")),
    path("obligees/", include("obligees.urls")),
    path("obligee/", include("obligee_portal.urls")),
    path("members/", include("members.urls")),
    path("account/", include("members.account_urls")),
    path("registrations/", include("registrations.urls")),
    path("fees/", include("fees.urls")),
    path("", include("guarantees.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("dates/reading/", date_reading, name="date_reading"),
]
