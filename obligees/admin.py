import unicodedata
from typing import TYPE_CHECKING

import jaconv
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdminMixin
from obligees.models import Obligee

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_ACCEPTS_ANY = Q(e_advance_since__isnull=False) | Q(e_contract_since__isnull=False)


class ElectronicFilter(admin.SimpleListFilter):
    """Whether the obligee accepts electronic guarantees of at least one kind."""

    title = _("電子保証対応")
    parameter_name = "electronic"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, "StrOrPromise"]]:
        return [("yes", _("対応")), ("no", _("未対応"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Obligee]) -> QuerySet[Obligee]:
        if self.value() == "yes":
            return queryset.filter(_ACCEPTS_ANY)
        if self.value() == "no":
            return queryset.exclude(_ACCEPTS_ANY)
        return queryset


@admin.register(Obligee)
class ObligeeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kana",
        "category",
        "prefecture",
        "e_advance_since",
        "e_contract_since",
    ]
    list_display_links = ["code", "name"]
    list_filter = ["category", "prefecture", ElectronicFilter]
    search_fields = ["code", "name", "kana"]
    ordering = ["prefecture", "code", "name"]
    list_per_page = 100
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["code", "name", "kana", "category", "prefecture", "address"]}),
        (_("電子保証"), {"fields": ["e_advance_since", "e_contract_since"]}),
        (_("利用者"), {"fields": ["people"]}),
    ]
    readonly_fields = ["people"]

    @admin.display(description=_("利用者"))
    def people(self, obligee: Obligee) -> str:
        """How many people the obligee has, and the way to invite its first 管理者 (the
        invitation admin, by its URL name: this app imports no other)."""
        if obligee.pk is None:
            return "-"
        count = obligee.users.filter(is_active=True).count()
        link = f"{reverse('admin:members_invitation_add')}?obligee={obligee.pk}&role=admin"
        return format_html(
            '{} <a href="{}">{}</a>',
            _("%(count)d名") % {"count": count},
            link,
            _("管理者を招待する") if not count else _("利用者を招待する"),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Obligee], search_term: str
    ) -> tuple[QuerySet[Obligee], bool]:
        """Also find フリガナ typed in hiragana or half-width katakana (しぶかわ → シブカワ)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        as_katakana = jaconv.hira2kata(unicodedata.normalize("NFKC", search_term))
        if as_katakana != search_term:
            more, more_duplicates = super().get_search_results(request, queryset, as_katakana)
            results |= more
            may_have_duplicates |= more_duplicates
        return results, may_have_duplicates
