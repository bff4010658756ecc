from django.urls import path

from guarantees import verify_views, views

app_name = "guarantees"

urlpatterns = [
    path("certificates/<int:pk>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/key/", views.certificate_key, name="certificate_key"),
    path(
        "certificates/<int:pk>/key-notice.pdf",
        views.certificate_key_notice,
        name="certificate_key_notice",
    ),
    path("verify/", verify_views.verify_upload, name="verify_upload"),
    path("api/verify/", verify_views.api_verify, name="api_verify"),
    path("verify/<str:token>/", views.certificate_verify, name="certificate_verify"),
    path("fee-statements/", views.fee_statement_list, name="fee_statements"),
    path("fee-statements/<int:pk>.pdf", views.fee_statement_pdf, name="fee_statement_pdf"),
]
