from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("共通")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core.middleware import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="core.idle_stamp")
