"""The stock Django admin changelist of applications: the peer of the branch admin list.

A plain AdminSite and a plain ModelAdmin with the branch list's columns, filters, search fields,
order and page size, tuned at the database level only, as SPEC §9 asks of the admin lists
(list_select_related, one prefetch for the guarantees, the capped count), and otherwise Django's
own: its search over search_fields, choices and numbers shown the admin's default way. It sees
what the branch admin shows the same staff member (the same scoping selector), so both lists
render the same rows. Read-only, and served only by bench.urls.
"""

from django.contrib import admin
from django.db.models import Prefetch

from applications import selectors
from applications.models import Application
from core.paginator import CappedCountPaginator
from guarantees.models import Guarantee


class StockApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "status",
        "branch",
        "contractor",
        "obligee",
        "works_name",
        "contract_amount",
        "guarantees",
        "sent_at",
    ]
    list_filter = ["branch", "status", "sent_at"]
    search_fields = ["number", "works_name", "contractor__name"]
    list_per_page = 25
    ordering = ["-sent_at", "-id"]
    list_select_related = ["branch", "contractor", "obligee"]
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.applications_for_staff(request.user).prefetch_related(
            Prefetch("guarantees", queryset=Guarantee.objects.order_by("kind"))
        )

    @admin.display(description="guarantees")
    def guarantees(self, application):
        return ", ".join(
            f"{g.get_kind_display()} {g.amount} {g.number or ''} {g.get_status_display()}"
            for g in application.guarantees.all()
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


stock_site = admin.AdminSite(name="stockadmin")
stock_site.register(Application, StockApplicationAdmin)
