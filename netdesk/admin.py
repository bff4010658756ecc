"""The admin site where branch staff work: e-mail, password and a second factor (django-otp)."""

from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts.forms import AdminSignInForm


class NetDeskAdminSite(OTPAdminSite):
    """The one admin site, installed as the default (netdesk.apps.AdminConfig).

    Named "admin" (django-otp's default is "otpadmin") so every `admin:` URL keeps resolving.
    OTPAdminSite lets in only active staff verified by one of their OTP devices.
    """

    site_header = _("ネットデスク 業務管理")
    site_title = _("ネットデスク 業務管理")
    index_title = _("業務メニュー")
    login_form = AdminSignInForm
    login_template = "admin/login.html"

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def get_app_list(self, request, app_label=None):
        # Built when a page shows it. each_context() asks for it on every admin page, but only
        # the index and the navigation sidebar show it, and most pages leave the sidebar out
        # (they need the width); building it checks the permissions of every model.
        build = super().get_app_list
        return SimpleLazyObject(lambda: build(request, app_label))
