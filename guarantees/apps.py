from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuaranteesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "guarantees"
    verbose_name = _("保証")
