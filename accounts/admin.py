from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Contractor, User


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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users sign in with their e-mail address; each belongs to one organisation."""

    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "contractor",
        "obligee",
        "branch",
        "is_staff",
        "is_active",
    ]
    list_select_related = ["contractor", "obligee", "branch"]
    list_filter = ["is_staff", "is_active", "branch", "groups"]
    search_fields = ["email", "full_name", "contractor__name", "obligee__name"]
    autocomplete_fields = ["contractor"]
    raw_id_fields = ["obligee"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("所属"), {"fields": ["full_name", "contractor", "obligee", "branch"]}),
        (_("権限"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("日時"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
        (_("所属"), {"fields": ["full_name", "contractor", "obligee", "branch", "is_staff"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
