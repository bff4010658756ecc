from django.apps import AppConfig


class ObligeesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "obligees"
