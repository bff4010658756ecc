from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("applications/new/", views.application_new, name="new"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="edit"),
    path("applications/<int:pk>/confirm/", views.application_confirm, name="confirm"),
    path("applications/<int:pk>/submit/", views.application_submit, name="submit"),
    path("applications/<int:pk>/sent/", views.application_sent, name="sent"),
    path("applications/<int:pk>/copy/", views.application_copy, name="copy"),
    path("applications/<int:pk>/print/", views.application_print, name="print"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="withdraw"),
    path("applications/<int:pk>/delete/", views.application_delete, name="delete"),
    path("help/", views.help_page, name="help"),
    path("help/obligee/", views.help_obligee, name="help_obligee"),
]
