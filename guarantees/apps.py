from django.apps import AppConfig


class GuaranteesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "guarantees"
