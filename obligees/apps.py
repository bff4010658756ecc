from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligeesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "obligees"
    verbose_name = _("発注者")
