from django.urls import path

from registrations import views

app_name = "registrations"

urlpatterns = [
    path("", views.apply, name="apply"),
    path("sent/", views.sent, name="sent"),
    # The e-mail's link; it forwards to the page below, keeping the token in the session.
    path("confirm/", views.confirm, name="confirm"),
    path("confirm/<str:token>/", views.confirm_link, name="confirm_link"),
]
