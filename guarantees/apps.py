from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuaranteesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "guarantees"
    verbose_name = _("保証")

    def ready(self) -> None:
        from guarantees import checks  # noqa: F401  (registers the deployment checks)
