"""Branch processing (営業部・支店) in the Django admin: the scoped list, the read-only detail and
the actions on an application (受付, 差戻し, お客様へのお知らせ, 社内メモ).

The actions on one of its guarantees (承諾, 発行, 交付, 変更, 解約) are pages of the application
too, mixed in from guarantees/admin.py; the list's filters are in admin_filters.py, the text
actions' forms in admin_forms.py. Every action calls a service; the admin only collects input
and reports the outcome.
"""

import re

from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from applications import selectors, services
from applications.admin_filters import (
    BranchFilter,
    GuaranteeQueueFilter,
    ObligeeFilter,
    StatusFilter,
)
from applications.admin_forms import CustomerMessageForm, NoteForm, ReturnForm
from applications.models import Application
from core.csv import SafeWriter
from core.numbers import percentage
from core.paginator import SEARCH_COUNT_LIMIT, CappedCountPaginator
from core.templatetags.netdesk import label, minute, yen
from core.text import to_halfwidth_ascii
from guarantees.admin import GuaranteeActionsMixin
from guarantees.models import Guarantee
from guarantees.rules import share_base

TEMPLATES = "admin/applications/application/"

# An application number (A2026-000123) or a guarantee number (GM-2026-000123, or with a branch
# code of digits: 03-2026-000123), or their start.
NUMBER_PATTERN = re.compile(r"^[A-Z0-9]+(-\d*)+$")
# The serial alone, as the numbers print it (000123): what a clerk reads out on the telephone.
SERIAL_PATTERN = re.compile(r"^\d{6}$")


# While an electronic guarantee is being issued, the list says so instead of its status.
ISSUANCE_STATE_LABELS = {"pending": _("発行処理中"), "failed": _("発行失敗")}


def _yes_no(value: bool) -> str:
    return _("希望する") if value else _("希望しない")


@admin.register(Application)
class ApplicationAdmin(GuaranteeActionsMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "status_display",
        "branch",
        "contractor",
        "obligee",
        "works_name",
        "contract_amount_display",
        "guarantees_display",
        "sent_at_display",
    ]
    list_filter = [BranchFilter, StatusFilter, GuaranteeQueueFilter, ObligeeFilter, "sent_at"]
    # Searched by get_search_results below; listed so that the admin shows the search box.
    search_fields = ["number", "works_name", "contractor__name"]
    search_help_text = _(
        "申込番号・保証契約番号(先頭から、または末尾6桁の連番)、工事名・請負者名・発注者名で検索できます。"
    )
    list_select_related = ["branch", "contractor", "obligee"]
    list_per_page = 25
    paginator = CappedCountPaginator
    show_full_result_count = False  # one COUNT over the branch's rows is enough
    ordering = ["-sent_at", "-id"]
    actions = ["accept_selected", "export_csv"]
    # Every field the contractor sent, in the order of the form (SPEC §3); the guarantees, the
    # messages and the history are rendered by the display methods below, not as inlines.
    fieldsets = [
        (
            _("申込"),
            {
                "fields": [
                    "number",
                    "status",
                    "contractor",
                    "created_by",
                    "sent_by",
                    "sent_at",
                    "copied_from",
                ]
            },
        ),
        (
            _("請負工事の情報"),
            {
                "fields": [
                    "obligee",
                    "contract_type",
                    "works_name",
                    "works_place",
                    "contract_date",
                    "period_start",
                    "period_end",
                    "contract_amount_display",
                    "this_year_amount_display",
                    "this_year_basis",
                ]
            },
        ),
        (_("保証の申込内容"), {"fields": ["advance_detail", "contract_detail"]}),
        (
            _("インフォメーション"),
            {"fields": ["branch", "notify_issuance_display", "notify_email"]},
        ),
        (
            _("連絡先"),
            {
                "fields": [
                    "contact_department",
                    "contact_title",
                    "contact_person",
                    "contact_phone",
                    "message_to_company",
                    "company_messages_display",
                ]
            },
        ),
        (_("手続の経過"), {"fields": ["audit_timeline"]}),
    ]
    change_form_template = "admin/applications/application/change_form.html"
    # Lists and details need the whole width at 1366 px: the app menu beside them says nothing
    # a clerk needs there.
    _wide = {"is_nav_sidebar_enabled": False}

    def get_list_display(self, request):
        # Staff of one branch see one branch: its column and filter would say nothing.
        if request.user.has_perm("applications.view_all_branches"):
            return self.list_display
        return [name for name in self.list_display if name != "branch"]

    def get_list_select_related(self, request):
        # The branch is read only where its column is shown.
        shown = self.get_list_display(request)
        return [name for name in self.list_select_related if name in shown]

    def get_list_filter(self, request):
        if request.user.has_perm("applications.view_all_branches"):
            return self.list_filter
        return [f for f in self.list_filter if f is not BranchFilter]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        limit = SEARCH_COUNT_LIMIT if request.GET.get(SEARCH_VAR, "").strip() else None
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, limit=limit)

    def get_search_results(self, request, queryset, search_term):
        """An application or guarantee number is looked up by its (indexed) prefix, a serial of
        six digits by the end of either number; any other text in the works name, the
        contractor's name or kana and the obligee's name.

        Written out rather than left to search_fields, whose join to the guarantees needs a
        DISTINCT over the whole branch.
        """
        term = to_halfwidth_ascii(search_term).strip()
        if not term:
            return queryset, False
        if SERIAL_PATTERN.match(term):
            ending = f"-{term}"
            guarantee = Guarantee.objects.filter(
                application=OuterRef("pk"), number__endswith=ending
            )
            return queryset.filter(Q(number__endswith=ending) | Exists(guarantee)), False
        if NUMBER_PATTERN.match(term.upper()):
            term = term.upper()
            guarantee = Guarantee.objects.filter(
                application=OuterRef("pk"), number__startswith=term
            )
            return queryset.filter(Q(number__startswith=term) | Exists(guarantee)), False
        # Companies and obligees are few: matched first, their ids in one query, so that the list
        # is not joined to them and each condition is on an indexed column of its own (the works
        # name's trigram index, the foreign keys'), which PostgreSQL can combine; subqueries in
        # the condition would make it read the whole branch for a term that few rows have.
        contractors, obligees = selectors.companies_named(term)
        return queryset.filter(
            Q(works_name__contains=term)
            | Q(contractor_id__in=contractors)
            | Q(obligee_id__in=obligees)
        ), False

    def get_queryset(self, request):
        guarantees = Guarantee.objects.order_by("kind")
        return selectors.applications_for_staff(request.user).prefetch_related(
            Prefetch("guarantees", queryset=guarantees)
        )

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        return False  # contractors apply; staff process

    def has_delete_permission(self, request, obj=None):
        return False  # applications are records: withdrawn, never deleted

    def has_change_permission(self, request, obj=None):
        return False  # what the contractor sent is read-only; actions change the status

    def has_process_permission(self, request) -> bool:
        return request.user.has_perm("applications.change_application")

    # Columns

    @admin.display(description=_("手続状況"), ordering="status")
    def status_display(self, application):
        return application.get_status_display()

    @admin.display(description=_("請負金額(税込)"), ordering="contract_amount")
    def contract_amount_display(self, application):
        return yen(application.contract_amount)

    @admin.display(description=_("今年度対象額"))
    def this_year_amount_display(self, application):
        return yen(application.this_year_amount) or "-"

    @admin.display(description=_("保証"))
    def guarantees_display(self, application):
        return format_html_join(
            "",
            # Two unbreakable halves: at 1366 px the status and number go below the amount
            # rather than pushing 送信日時 out of the list.
            '<div class="nd-guarantee"><span>{} {}</span> <span><small>{}</small> {}</span></div>',
            (
                (
                    guarantee.get_kind_display(),
                    yen(guarantee.amount),
                    ISSUANCE_STATE_LABELS.get(
                        guarantee.issuance_state, guarantee.get_status_display()
                    ),
                    guarantee.number or "",
                )
                for guarantee in application.guarantees.all()  # get_queryset's prefetch
            ),
        )

    @admin.display(description=_("送信日時"), ordering="sent_at")
    def sent_at_display(self, application):
        if application.sent_at is None:
            return "-"
        return minute(timezone.localtime(application.sent_at))

    # The detail

    def _guarantee_detail(self, application, kind):
        guarantee = next((g for g in application.guarantees.all() if g.kind == kind), None)
        if guarantee is None:
            return _("申込なし")
        share = percentage(guarantee.amount, share_base(application, kind))
        return render_to_string(
            "admin/applications/application/_guarantee.html",
            {"guarantee": guarantee, "share": share},
        )

    @admin.display(description=_("前払金保証"))
    def advance_detail(self, application):
        return self._guarantee_detail(application, Guarantee.Kind.ADVANCE)

    @admin.display(description=_("契約保証"))
    def contract_detail(self, application):
        return self._guarantee_detail(application, Guarantee.Kind.CONTRACT)

    @admin.display(description=_("電子保証発行完了のお知らせ"))
    def notify_issuance_display(self, application):
        return _yes_no(application.notify_issuance)

    @admin.display(description=_("弊社からお客様へのお知らせ"))
    def company_messages_display(self, application):
        company_messages = application.company_messages.select_related("author")
        return render_to_string(
            "admin/applications/application/_company_messages.html",
            {"company_messages": company_messages},
        )

    @admin.display(description=_("手続の経過(社内メモを含む)"))
    def audit_timeline(self, application):
        rows = [
            (minute(timezone.localtime(at)), what, who, detail)
            for at, what, who, detail in selectors.staff_timeline(application)
        ]
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("日時"),
            _("操作"),
            _("操作者"),
            _("内容"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    # Actions on one application; those on one of its guarantees are GuaranteeActionsMixin's,
    # which the helpers below serve too.

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        own = [
            path(
                "<int:pk>/accept/", wrap(self.accept_view), name="applications_application_accept"
            ),
            path(
                "<int:pk>/return/", wrap(self.return_view), name="applications_application_return"
            ),
            path(
                "<int:pk>/message/",
                wrap(self.message_view),
                name="applications_application_message",
            ),
            path("<int:pk>/note/", wrap(self.note_view), name="applications_application_note"),
        ]
        return [*own, *self.guarantee_urls(), *super().get_urls()]

    def _application_or_404(self, request, pk: int) -> Application:
        if not self.has_process_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _viewable_application_or_404(self, request, pk: int) -> Application:
        # The documents need what the application's page needs: the branch scope alone would let
        # in a staff account that has no role yet.
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, application):
        return HttpResponseRedirect(
            reverse("admin:applications_application_change", args=[application.pk])
        )

    def _run(self, request, action, success) -> bool:
        """Run a service; report its refusal as error messages, or `success` (a string, or a
        function of the service's result giving a string or a (string, message level) pair)."""
        try:
            result = action()
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return False
        outcome = success(result) if callable(success) else success
        message, level = outcome if isinstance(outcome, tuple) else (outcome, messages.SUCCESS)
        self.message_user(request, message, level)
        return True

    def _page(self, request, template: str, application, title, **context):
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title}: {application.number}",
            "application": application,
            "opts": self.model._meta,
            **self._wide,
            **context,
        }
        return TemplateResponse(request, template, context)

    def accept_view(self, request, pk):
        application = self._application_or_404(request, pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: services.application_accept(application_id=pk, user=request.user),
                _("申込 %(number)s を受け付けました(審査中)。") % {"number": application.number},
            )
        return self._back(application)

    def return_view(self, request, pk):
        return self._text_form(request, pk, ReturnForm)

    def message_view(self, request, pk):
        return self._text_form(request, pk, CustomerMessageForm)

    def note_view(self, request, pk):
        return self._text_form(request, pk, NoteForm)

    def _text_form(self, request, pk, form_class):
        application = self._application_or_404(request, pk)
        form = form_class(request.POST or None)
        done = (
            request.method == "POST"
            and form.is_valid()
            and self._run(
                request,
                lambda: form.run(application_id=pk, user=request.user),
                form.success % {"number": application.number},
            )
        )
        if done:
            return self._back(application)
        return self._page(
            request, TEMPLATES + "message_form.html", application, form.title, form=form
        )

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), **self._wide})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            **self._wide,
            "can_process": self.has_process_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # Actions on the list

    @admin.action(description=_("選択した申込を受け付ける"), permissions=["process"])
    def accept_selected(self, request, queryset):
        accepted = 0
        for application in queryset:
            if application.can_accept and self._run(
                request,
                lambda application=application: services.application_accept(
                    application_id=application.pk, user=request.user
                ),
                _("申込 %(number)s を受け付けました。") % {"number": application.number},
            ):
                accepted += 1
        if not accepted:
            self.message_user(
                request, _("受付できる申込(送信済)がありませんでした。"), messages.WARNING
            )

    @admin.action(description=_("選択した申込をCSVで出力"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="applications.csv"'
        response.write("\ufeff")  # BOM: Excel opens UTF-8 Japanese correctly
        # Every cell is what someone typed or derived from it: SafeWriter keeps a spreadsheet
        # from running any of them as a formula.
        writer = SafeWriter(response)
        writer.writerow(
            [
                "申込番号",
                "手続状況",
                "申込送信先",
                "請負者",
                "発注者",
                "工事名",
                "請負金額",
                "保証の種類",
                "保証金額",
                "保証契約番号",
                "保証料",
                "送信日時",
            ]
        )
        for application in queryset.select_related("branch", "contractor", "obligee"):
            for guarantee in application.guarantees.all():
                writer.writerow(
                    [
                        application.number,
                        label(application, "status"),
                        application.branch,
                        application.contractor,
                        application.obligee,
                        application.works_name,
                        application.contract_amount,
                        label(guarantee, "kind"),
                        guarantee.amount,
                        guarantee.number,
                        guarantee.fee,
                        self.sent_at_display(application) if application.sent_at else None,
                    ]
                )
        return response
