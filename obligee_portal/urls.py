from django.urls import path

from obligee_portal import home, receive, received

app_name = "obligee_portal"

urlpatterns = [
    path("", home.obligee_home, name="home"),
    path("received.csv", received.received_csv, name="received_csv"),
    path("certificates/<int:pk>/", received.certificate_detail, name="certificate"),
    path("certificates/<int:pk>.pdf", received.certificate_pdf, name="certificate_pdf"),
    # The handover notice prints this address (/obligee/receive/).
    path("receive/", receive.obligee_receive, name="receive"),
    path("receive/notices/", receive.obligee_receive_notices, name="receive_notices"),
]
