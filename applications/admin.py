"""Branch processing (営業部・支店) in the Django admin: scoped lists, read-only detail, actions.

Every action calls a service; the admin only collects input and reports the outcome.
"""

import csv
import re
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Contractor
from applications import selectors, services
from applications.models import Application, CompanyMessage
from applications.rules import share_base
from core.changelist import FastChangeListMixin
from core.numbers import percentage
from core.paginator import CappedCountPaginator
from core.templatetags.netdesk import label, yen
from core.text import to_halfwidth_ascii
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from obligees.models import Obligee

# An application number (A2026-000123) or a guarantee number (GM-2026-000123), or their start.
NUMBER_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-\d*)+$")


class BranchFilter(admin.SimpleListFilter):
    """営業部・支店: only the branches this staff member may see."""

    title = _("申込送信先")
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        if request.user.has_perm("applications.view_all_branches"):
            branches = Branch.objects.all()
        else:
            branches = Branch.objects.filter(pk=request.user.branch_id)
        return [(str(branch.pk), branch.name) for branch in branches]

    def queryset(self, request, queryset):
        return queryset.filter(branch_id=self.value()) if self.value() else queryset


class ObligeeFilter(admin.SimpleListFilter):
    """発注者 by name: a text box, since a list of 1,800 obligees helps nobody."""

    title = _("発注者")
    parameter_name = "obligee"
    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the filter renders its own input

    def choices(self, changelist):
        # The other filters and the search travel along as hidden inputs.
        others = [(k, v) for k, v in changelist.params.items() if k != self.parameter_name]
        yield {"value": self.value() or "", "others": others, "parameter": self.parameter_name}

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(obligee__name__contains=value) if value else queryset


class GuaranteeInline(admin.TabularInline):
    model = Guarantee
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "status",
        "number",
        "certificate_format",
        "amount_display",
        "share",
        "deposit_bank",
        "redeposit",
        "fee_billing_address",
        "fee_display",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application")  # for the share

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("保証金額"))
    def amount_display(self, guarantee):
        return yen(guarantee.amount)

    @admin.display(description=_("割合"))
    def share(self, guarantee):
        base = share_base(guarantee.application, guarantee.kind)
        share = percentage(guarantee.amount, base)
        return f"{share}%" if share is not None else "-"

    @admin.display(description=_("保証料"))
    def fee_display(self, guarantee):
        return yen(guarantee.fee) or "-"


class CompanyMessageInline(admin.TabularInline):
    model = CompanyMessage
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "body"]
    readonly_fields = fields
    verbose_name_plural = _("弊社からお客様へのお知らせ")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageForm(forms.Form):
    # A double click posts the same token twice; the service records the message once.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    message = forms.CharField(label=_("本文"), widget=forms.Textarea(attrs={"rows": 6, "cols": 80}))
    internal = forms.BooleanField(
        label=_("社内メモとして記録する(お客様には表示しません)"), required=False
    )


class ReturnForm(forms.Form):
    message = forms.CharField(
        label=_("差戻しの理由(お客様へのお知らせ)"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            "お客様の画面の「弊社からお客様へのお知らせ」に表示され、メールでもお知らせします。"
        ),
    )


@admin.register(Application)
class ApplicationAdmin(FastChangeListMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "status_display",
        "branch",
        "contractor",
        "obligee",
        "works_name",
        "contract_amount_display",
        "guarantees_display",
        "sent_at",
    ]
    list_filter = [BranchFilter, "status", ObligeeFilter, "sent_at"]
    # Searched by get_search_results below; listed so that the admin shows the search box.
    search_fields = ["number", "works_name", "contractor__name"]
    search_help_text = _(
        "申込番号・保証契約番号(先頭から)、工事名・請負者名・発注者名で検索できます。"
    )
    list_select_related = ["branch", "contractor", "obligee"]
    list_per_page = 25
    paginator = CappedCountPaginator
    show_full_result_count = False  # one COUNT over the branch's rows is enough
    ordering = ["-sent_at", "-id"]
    actions = ["accept_selected", "export_csv"]
    inlines = [GuaranteeInline, CompanyMessageInline]
    fieldsets = [
        (
            _("申込"),
            {"fields": ["number", "status", "contractor", "created_by", "sent_at", "copied_from"]},
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
        (_("インフォメーション"), {"fields": ["branch", "notify_issuance", "notify_email"]}),
        (
            _("連絡先"),
            {
                "fields": [
                    "contact_department",
                    "contact_title",
                    "contact_person",
                    "contact_phone",
                    "message_to_company",
                ]
            },
        ),
        (_("手続の経過"), {"fields": ["audit_timeline"]}),
    ]
    change_form_template = "admin/applications/application/change_form.html"

    def get_list_display(self, request):
        # Staff of one branch see one branch: its column and filter would say nothing.
        if request.user.has_perm("applications.view_all_branches"):
            return self.list_display
        return [name for name in self.list_display if name != "branch"]

    def get_list_filter(self, request):
        if request.user.has_perm("applications.view_all_branches"):
            return self.list_filter
        return [f for f in self.list_filter if f is not BranchFilter]

    def get_search_results(self, request, queryset, search_term):
        """An application or guarantee number is looked up by its (indexed) prefix; any other
        text in the works name, the contractor's name or kana and the obligee's name.

        Written out rather than left to search_fields, whose join to the guarantees needs a
        DISTINCT over the whole branch.
        """
        term = to_halfwidth_ascii(search_term).strip()
        if not term:
            return queryset, False
        if NUMBER_PATTERN.match(term.upper()):
            term = term.upper()
            guarantee = Guarantee.objects.filter(
                application=OuterRef("pk"), number__startswith=term
            )
            return queryset.filter(Q(number__startswith=term) | Exists(guarantee)), False
        # Companies and obligees are few: matched first, by id, so the list is not joined to them
        # row by row.
        contractors = Contractor.objects.filter(Q(name__contains=term) | Q(kana__contains=term))
        obligees = Obligee.objects.filter(name__contains=term)
        return queryset.filter(
            Q(works_name__contains=term)
            | Q(contractor_id__in=contractors.values("pk"))
            | Q(obligee_id__in=obligees.values("pk"))
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
        return label(application, "status")

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
            "<div>{} {} {} <small>{}</small></div>",
            (
                (label(g, "kind"), yen(g.amount), g.number or "", label(g, "status"))
                for g in application.guarantees.all()
            ),
        )

    @admin.display(description=_("手続の経過(社内メモを含む)"))
    def audit_timeline(self, application):
        rows = [
            (timezone.localtime(at).strftime("%Y-%m-%d %H:%M"), what, who, detail)
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

    # Actions on one application

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
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/approve/",
                wrap(self.approve_view),
                name="applications_application_approve",
            ),
        ]
        return [*own, *super().get_urls()]

    def _application_or_404(self, request, pk: int) -> Application:
        if not self.has_process_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, application):
        return HttpResponseRedirect(
            reverse("admin:applications_application_change", args=[application.pk])
        )

    def _run(self, request, action, success: str):
        try:
            action()
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def accept_view(self, request, pk):
        application = self._application_or_404(request, pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: services.application_accept(application_id=pk, user=request.user),
                _("申込 %(number)s を受け付けました(審査中)。") % {"number": application.number},
            )
        return self._back(application)

    def approve_view(self, request, pk, guarantee_pk):
        application = self._application_or_404(request, pk)
        guarantee = get_object_or_404(application.guarantees.all(), pk=guarantee_pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: guarantee_services.guarantee_approve(
                    guarantee_id=guarantee.pk, user=request.user
                ),
                _("%(kind)sを承諾しました。") % {"kind": label(guarantee, "kind")},
            )
        return self._back(application)

    def return_view(self, request, pk):
        return self._message_form(request, pk, ReturnForm, _("差戻し"), returning=True)

    def message_view(self, request, pk):
        return self._message_form(request, pk, MessageForm, _("お客様へのお知らせ・社内メモ"))

    def _message_form(self, request, pk, form_class, title, *, returning=False):
        application = self._application_or_404(request, pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if returning:
                done = self._run(
                    request,
                    lambda: services.application_return(
                        application_id=pk, user=request.user, message=data["message"]
                    ),
                    _("申込 %(number)s を差し戻しました。") % {"number": application.number},
                )
            else:
                done = self._run(
                    request,
                    lambda: services.application_post_message(
                        application_id=pk,
                        user=request.user,
                        message=data["message"],
                        internal=data["internal"],
                        token=data["token"],
                    ),
                    _("記録しました。"),
                )
            if done:
                return self._back(application)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title}: {application.number}",
            "form": form,
            "application": application,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/applications/application/message_form.html", context
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_process": self.has_process_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # Actions on the list

    @admin.action(description=_("選択した申込を受け付ける"), permissions=["process"])
    def accept_selected(self, request, queryset):
        accepted = 0
        for application in queryset.filter(status=Application.Status.SENT):
            if self._run(
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
        writer = csv.writer(response)
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
                        guarantee.number or "",
                        guarantee.fee or "",
                        timezone.localtime(application.sent_at).strftime("%Y-%m-%d %H:%M")
                        if application.sent_at
                        else "",
                    ]
                )
        return response
