from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligeePortalConfig(AppConfig):
    """The obligee's own pages (受領した保証証書, 電子保証の受領), apart from the registry of
    obligees they are built on."""

    name = "obligee_portal"
    verbose_name = _("発注者のページ")
