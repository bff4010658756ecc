from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin as OTPStaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as OTPTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Branch, Contractor, User

if TYPE_CHECKING:
    from django.contrib.admin.options import _DisplayT, _FieldsetSpec
    from django_stubs_ext import StrOrPromise


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ["name", "kana", "corporate_number", "home_branch"]
    list_select_related = ["home_branch"]
    list_filter = ["home_branch"]
    search_fields = ["name", "kana", "corporate_number"]


# What makes an account powerful: only superusers grant or take it away.
PRIVILEGE_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users sign in with their e-mail address; each belongs to one organisation.

    Staff with the user permissions (head office) look after contractor and obligee accounts.
    Staff accounts, their passwords and every privilege are left to superusers, so no staff
    member can raise their own rights or take over a colleague's account.
    """

    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "contractor",
        "obligee",
        "branch",
        "role",
        "is_staff",
        "is_active",
    ]
    list_select_related = ["contractor", "obligee", "branch"]
    list_filter = ["is_staff", "is_active", "role", "branch", "groups"]
    search_fields = ["email", "full_name", "contractor__name", "obligee__name"]
    autocomplete_fields = ["contractor"]
    raw_id_fields = ["obligee"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("所属"), {"fields": ["full_name", "contractor", "obligee", "role", "branch"]}),
        (_("権限"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("日時"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
        (
            _("所属"),
            {"fields": ["full_name", "contractor", "obligee", "role", "branch", "is_staff"]},
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Read-only fields are left out of the form, so a posted value is ignored, also on add.
            fields += PRIVILEGE_FIELDS
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> "_FieldsetSpec":
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only: neither the password hash nor a button leading to a refused form.
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
                for name, options in fieldsets
            ]
        return fieldsets

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Also guards the password form (UserAdmin.user_change_password asks this).
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups carry the staff permissions: only superusers see or change them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser


# The second factors. Head office may see who has which device (accounts.groups); the secrets —
# an authenticator's key and its QR code, the backup codes — would let whoever reads them pass
# the second factor as that user, a superuser included, so only superusers see them (django-otp
# shows them to anyone with the view permission).
SECRET_FIELDS = ["key", "qrcode_link"]


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(OTPTOTPDeviceAdmin):
    def get_list_display(self, request: HttpRequest) -> "Sequence[_DisplayT[TOTPDevice]]":
        fields = super().get_list_display(request)
        return (
            fields if request.user.is_superuser else [f for f in fields if f not in SECRET_FIELDS]
        )

    # django-otp's admin is untyped: its fieldsets are plain tuples of dicts here.
    def get_fieldsets(
        self, request: HttpRequest, obj: TOTPDevice | None = None
    ) -> list[tuple["StrOrPromise | None", dict[str, Any]]]:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        kept = [
            (name, {**options, "fields": [f for f in options["fields"] if f not in SECRET_FIELDS]})
            for name, options in fieldsets
        ]
        return [(name, options) for name, options in kept if options["fields"]]

    def config_view(self, request: HttpRequest, pk: str) -> HttpResponse:
        return self._secret_view(request, pk, super().config_view)

    def qrcode_view(self, request: HttpRequest, pk: str) -> HttpResponse:
        return self._secret_view(request, pk, super().qrcode_view)

    def _secret_view(
        self, request: HttpRequest, pk: str, view: Callable[[HttpRequest, str], HttpResponse]
    ) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        get_object_or_404(self.get_queryset(request), pk=pk)  # django-otp's .get() would be a 500
        return view(request, pk)


admin.site.unregister(StaticDevice)


@admin.register(StaticDevice)
class StaticDeviceAdmin(OTPStaticDeviceAdmin):
    def get_inline_instances(
        self, request: HttpRequest, obj: StaticDevice | None = None
    ) -> list[InlineModelAdmin]:
        # The inline lists the backup codes themselves.
        if not request.user.is_superuser:
            return []
        return super().get_inline_instances(request, obj)
