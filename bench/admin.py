"""The stock Django admin changelist of applications: the peer of the branch admin list.

The same ModelAdmin as the branch's (applications.admin.ApplicationAdmin) — the same columns and
their display functions, the same filter classes, search fields, order, actions and page size,
shown to the same staff member as the branch admin shows them — tuned at the database level only,
as SPEC §9 asks of the admin lists: list_select_related, one prefetch for the guarantees, the
capped count, and the search written as queries on indexed columns. Everything else is Django's
own: a plain AdminSite (no second factor, no lazy app list), the changelist view and its context
as Django makes them (the navigation sidebar shown). Each declaration is taken from the branch
admin, so the two cannot drift apart; only what the branch admin does beyond the database is left
out. It sees what the branch admin shows the same staff member (the same scoping selector), so
both lists render the same rows. Read-only, and served only by bench.urls.
"""

from django.contrib import admin

from applications.admin import ApplicationAdmin
from applications.models import Application

ours = ApplicationAdmin


class StockApplicationAdmin(admin.ModelAdmin):
    # What the list declares.
    list_display = ours.list_display
    list_filter = ours.list_filter
    search_fields = ours.search_fields
    search_help_text = ours.search_help_text
    ordering = ours.ordering
    actions = ours.actions
    list_per_page = ours.list_per_page

    # Its columns and actions, the same functions.
    status_display = ours.status_display
    contract_amount_display = ours.contract_amount_display
    guarantees_display = ours.guarantees_display
    sent_at_display = ours.sent_at_display
    accept_selected = ours.accept_selected
    export_csv = ours.export_csv
    has_process_permission = ours.has_process_permission
    _run = ours._run  # how an action reports its outcome

    # What one staff member sees: the branch's column and filter only for head office.
    get_list_display = ours.get_list_display
    get_list_filter = ours.get_list_filter

    # Tuned at the database level: the rows in the staff member's scope with their guarantees
    # prefetched, the related rows of the shown columns joined, the capped count, the search.
    get_queryset = ours.get_queryset
    list_select_related = ours.list_select_related
    get_list_select_related = ours.get_list_select_related
    paginator = ours.paginator
    get_paginator = ours.get_paginator
    show_full_result_count = ours.show_full_result_count
    get_search_results = ours.get_search_results

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


stock_site = admin.AdminSite(name="stockadmin")
stock_site.register(Application, StockApplicationAdmin)
