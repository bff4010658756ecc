from django.urls import path

from guarantees import views

app_name = "guarantees"

urlpatterns = [
    path("fee-statements/", views.fee_statement_list, name="fee_statements"),
    path("fee-statements/<int:pk>.pdf", views.fee_statement_pdf, name="fee_statement_pdf"),
]
