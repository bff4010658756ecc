"""App configurations that adapt third-party apps to Net Desk (INSTALLED_APPS names these)."""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class AdminConfig(DjangoAdminConfig):
    """The Django admin with our two-factor site as `admin.site`."""

    default_site = "netdesk.admin.NetDeskAdminSite"


# The apps below only get a Japanese name for the admin index (they set none of their own).


class AxesConfig(AxesAppConfig):
    verbose_name = _("ログイン制限")


class TOTPDeviceConfig(TOTPConfig):
    verbose_name = _("二段階認証(認証アプリ)")


class StaticDeviceConfig(StaticConfig):
    verbose_name = _("二段階認証(バックアップコード)")
