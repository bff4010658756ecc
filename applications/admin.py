"""Branch processing (営業部・支店) in the Django admin: scoped lists, read-only detail, actions.

Every action calls a service; the admin only collects input and reports the outcome.
"""

import re
import uuid

from django import forms
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

from accounts.models import Branch
from applications import selectors, services
from applications.models import Application
from applications.rules import share_base
from core.csv import SafeWriter
from core.http import pdf_response
from core.numbers import percentage
from core.paginator import SEARCH_COUNT_LIMIT, CappedCountPaginator
from core.templatetags.netdesk import label, minute, yen
from core.text import reject_bidi_controls, to_halfwidth_ascii
from guarantees import issuance, lifecycle
from guarantees import services as guarantee_services
from guarantees.forms import AmendmentForm, CancellationForm
from guarantees.models import Certificate, Guarantee

# An application number (A2026-000123) or a guarantee number (GM-2026-000123, or with a branch
# code of digits: 03-2026-000123), or their start.
NUMBER_PATTERN = re.compile(r"^[A-Z0-9]+(-\d*)+$")
# The serial alone, as the numbers print it (000123): what a clerk reads out on the telephone.
SERIAL_PATTERN = re.compile(r"^\d{6}$")


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


class StatusFilter(admin.SimpleListFilter):
    """手続状況, opening on the work to do (送信済 and 審査中), with a choice for everything.

    A search looks through every status unless one is chosen: a clerk who types a number wants
    that application, whatever became of it.
    """

    title = _("手続状況")
    parameter_name = "status"
    WORK_TO_DO = "todo"
    EVERYTHING = "all"

    def lookups(self, request, model_admin):
        return [
            (self.WORK_TO_DO, _("要対応(送信済・審査中)")),
            *((s.value, s.label) for s in Application.Status if s != Application.Status.DRAFT),
            (self.EVERYTHING, _("すべて")),
        ]

    def value(self):
        value = super().value()
        if value in {key for key, _title in self.lookup_choices}:
            return value
        # A search, or a queue of guarantees chosen (from the home page), looks at every status.
        queue = self.request.GET.get(GuaranteeQueueFilter.parameter_name)
        if self.request.GET.get("q", "").strip() or queue in selectors.GUARANTEE_QUEUES:
            return self.EVERYTHING
        return self.WORK_TO_DO

    def choices(self, changelist):
        choices = super().choices(changelist)
        next(choices)  # Django's "All": here no choice means the work to do, "すべて" is listed
        yield from choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.EVERYTHING:
            return queryset
        if value == self.WORK_TO_DO:
            return queryset.filter(status__in=Application.WORK_TO_DO)
        return queryset.filter(status=value)


class GuaranteeQueueFilter(admin.SimpleListFilter):
    """保証の状況: applications with an approved guarantee waiting for the branch (the work
    queue of the admin's home page links here)."""

    title = _("保証の状況")
    parameter_name = "guarantee"

    def lookups(self, request, model_admin):
        return [(queue, label) for queue, label in GUARANTEE_QUEUE_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() not in selectors.GUARANTEE_QUEUES:
            return queryset
        return selectors.applications_in_queue(queryset, self.value())


GUARANTEE_QUEUE_LABELS = {
    "approved": _("承諾(入金・発行待ち)"),
    "handover": _("交付待ち(証書(紙))"),
    "failed": _("発行失敗"),
}


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


def _staff_text_field(label, help_text):
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=services.STAFF_TEXT_MAX_LENGTH,
        validators=[reject_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
    )


class TokenForm(forms.Form):
    # A double click posts the same token twice; the service records the text once.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


# The forms of the three text actions; each names its page, its button, its outcome and the
# service it calls.


class CustomerMessageForm(TokenForm):
    title = _("お客様へお知らせを送る")
    submit = _("お客様へ送る")
    success = _("申込 %(number)s のお客様へお知らせを送りました。")
    message = _staff_text_field(
        _("お客様へのお知らせ"),
        _("お客様の画面の「弊社からお客様へのお知らせ」に表示されます。"),
    )

    def run(self, *, application_id, user):
        data = self.cleaned_data
        return services.application_post_message(
            application_id=application_id, user=user, message=data["message"], token=data["token"]
        )


class NoteForm(TokenForm):
    title = _("社内メモを書く(お客様には表示されません)")
    submit = _("社内メモを記録する")
    success = _("申込 %(number)s に社内メモを記録しました(お客様には表示されません)。")
    note = _staff_text_field(
        _("社内メモ"),
        _("社内だけの記録です。お客様には表示されず、手続の経過に残ります。"),
    )

    def run(self, *, application_id, user):
        data = self.cleaned_data
        return services.application_add_note(
            application_id=application_id, user=user, note=data["note"], token=data["token"]
        )


class ReturnForm(forms.Form):
    title = _("差戻し")
    submit = _("差し戻す")
    success = _("申込 %(number)s を差し戻しました。")
    message = _staff_text_field(
        _("差戻しの理由(お客様へのお知らせ)"),
        _("お客様の画面の「弊社からお客様へのお知らせ」に表示され、メールでもお知らせします。"),
    )

    def run(self, *, application_id, user):
        return services.application_return(
            application_id=application_id, user=user, message=self.cleaned_data["message"]
        )


# While an electronic guarantee is being issued, the list says so instead of its status.
ISSUANCE_STATE_LABELS = {"pending": _("発行処理中"), "failed": _("発行失敗")}


def _issued_message(requested: Guarantee) -> str:
    """What staff read after 発行 (or 再発行を試みる) of an electronic guarantee: where it stands
    once the request is committed — a worker in this process has issued it already (or failed),
    one elsewhere is still at it (the page then updates itself)."""
    guarantee = Guarantee.objects.get(pk=requested.pk)
    values = {"number": guarantee.number}
    if guarantee.status == Guarantee.Status.ISSUED:
        return _("電子保証 %(number)s を発行しました(発行済)。") % values
    if guarantee.issuance_state == "failed":
        return (
            _("電子保証 %(number)s の発行に失敗しました。理由を確認してください。") % values,
            messages.ERROR,
        )
    return (
        _(
            "電子保証 %(number)s の発行処理を開始しました(発行処理中)。完了するとこの画面に発行済と表示されます。"
        )
        % values
    )


def _yes_no(value: bool) -> str:
    return _("希望する") if value else _("希望しない")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
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
            path("<int:pk>/note/", wrap(self.note_view), name="applications_application_note"),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/approve/",
                wrap(self.approve_view),
                name="applications_application_approve",
            ),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/issue/",
                wrap(self.issue_view),
                name="applications_application_issue",
            ),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/issue/retry/",
                wrap(self.issue_retry_view),
                name="applications_application_issue_retry",
            ),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/handover/",
                wrap(self.handover_view),
                name="applications_application_handover",
            ),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/amend/",
                wrap(self.amend_view),
                name="applications_application_amend",
            ),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/cancel/",
                wrap(self.cancel_view),
                name="applications_application_cancel",
            ),
            path(
                "<int:pk>/guarantees/<int:guarantee_pk>/fee-statement.pdf",
                wrap(self.fee_statement_pdf_view),
                name="applications_application_fee_statement_pdf",
            ),
            path(
                "<int:pk>/certificates/<int:certificate_pk>.pdf",
                wrap(self.certificate_pdf_view),
                name="applications_application_certificate_pdf",
            ),
        ]
        return [*own, *super().get_urls()]

    def _application_or_404(self, request, pk: int) -> Application:
        if not self.has_process_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _guarantee_or_404(self, request, pk: int, guarantee_pk: int):
        """The application (as _application_or_404) and its guarantee `guarantee_pk`."""
        application = self._application_or_404(request, pk)
        return application, get_object_or_404(application.guarantees.all(), pk=guarantee_pk)

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
        return TemplateResponse(request, f"admin/applications/application/{template}", context)

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
        """GET: what 承諾 will assign (number 予定, fee and its breakdown); POST: approve."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: guarantee_services.guarantee_approve(
                    guarantee_id=guarantee.pk, user=request.user
                ),
                lambda approved: (
                    _("%(kind)sを承諾しました(保証契約番号 %(number)s、保証料 %(fee)s)。")
                    % {
                        "kind": label(approved, "kind"),
                        "number": approved.number,
                        "fee": yen(approved.fee),
                    }
                ),
            )
            return self._back(application)
        preview = guarantee_services.guarantee_approval_preview(
            guarantee=guarantee, application=application
        )
        return self._page(
            request,
            "approve_confirm.html",
            application,
            _("%(kind)sの承諾") % {"kind": label(guarantee, "kind")},
            guarantee=guarantee,
            preview=preview,
            share=percentage(guarantee.amount, share_base(application, guarantee.kind)),
        )

    def issue_view(self, request, pk, guarantee_pk):
        """GET: what 発行 will do (electronic: sign and key by the worker; paper: a PDF to
        print); POST: issue."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: issuance.issue_request(guarantee_id=guarantee.pk, user=request.user),
                _issued_message
                if guarantee.is_electronic
                else _(
                    "証書(紙) %(number)s を印刷用に作成しました。印刷して交付したら「交付を記録する」を押してください。"
                )
                % {"number": guarantee.number},
            )
            return self._back(application)
        return self._page(
            request,
            "issue_confirm.html",
            application,
            _("%(kind)sの発行") % {"kind": label(guarantee, "kind")},
            guarantee=guarantee,
            refusal=guarantee.issue_refusal(printed=guarantee.certificates.exists()),
        )

    def issue_retry_view(self, request, pk, guarantee_pk):
        """再発行を試みる (POST): queue a failed electronic issuance again."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: issuance.issue_retry(guarantee_id=guarantee.pk, user=request.user),
                _issued_message,
            )
        return self._back(application)

    def handover_view(self, request, pk, guarantee_pk):
        """GET: confirm that the printed certificate was handed over; POST: record it (発行済)."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: issuance.paper_handover(guarantee_id=guarantee.pk, user=request.user),
                _("証書(紙) %(number)s の交付を記録しました(発行済)。")
                % {"number": guarantee.number},
            )
            return self._back(application)
        return self._page(
            request,
            "handover_confirm.html",
            application,
            _("%(kind)sの証書(紙)の交付") % {"kind": label(guarantee, "kind")},
            guarantee=guarantee,
            certificate=guarantee.certificates.order_by("-version").first(),
        )

    def amend_view(self, request, pk, guarantee_pk):
        """変更: the form (the version in force's values), then a confirmation listing each change
        (old → new); confirmed, the worker issues the next version with a new key."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        current = guarantee.current_version
        success = _(
            "%(number)s の変更を受け付けました。変更後の保証証書(第%(version)s版)を発行しています。"
        ) % {"number": guarantee.number, "version": (current.version + 1) if current else 1}
        if request.method == "POST" and lifecycle.amendment_recorded(
            guarantee, request.POST.get("token")
        ):
            # The same confirmation again (a double click, the back button): already done.
            self.message_user(request, success, messages.SUCCESS)
            return self._back(application)
        today = timezone.localdate()
        refusal = guarantee.amend_refusal(today=today)
        form = AmendmentForm(
            request.POST or None,
            guarantee=guarantee,
            snapshot=current.snapshot if current else {},
            today=today,
        )
        return self._confirmed(
            request,
            application,
            form,
            refusal=refusal,
            template="amend_form.html",
            title=_("%(kind)sの変更") % {"kind": label(guarantee, "kind")},
            run=lambda data: lifecycle.amendment_request(
                guarantee_id=guarantee.pk,
                user=request.user,
                changes=form.changes,
                reason=data["reason"],
                token=data["token"],
            ),
            success=success,
            guarantee=guarantee,
            current=current,
        )

    def cancel_view(self, request, pk, guarantee_pk):
        """解約: the date and the reason, then a confirmation; confirmed, the guarantee is 解約."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        today = timezone.localdate()
        form = CancellationForm(request.POST or None, guarantee=guarantee, today=today)
        return self._confirmed(
            request,
            application,
            form,
            refusal=guarantee.cancel_refusal(),
            template="cancel_form.html",
            title=_("%(kind)sの解約") % {"kind": label(guarantee, "kind")},
            run=lambda data: lifecycle.guarantee_cancel(
                guarantee_id=guarantee.pk,
                user=request.user,
                cancelled_on=data["cancelled_on"],
                reason=data["reason"],
            ),
            success=_("%(number)s を解約しました。") % {"number": guarantee.number},
            guarantee=guarantee,
        )

    def _confirmed(self, request, application, form, *, refusal, template, title, run, success,
                   **context):  # fmt: skip
        """A form that is confirmed before it is run: GET shows it; a valid POST shows what will
        happen (the values carried in hidden fields); a POST with `confirm` runs it. A service
        refusal (the state changed meanwhile, or a rule) comes back as messages on the form."""
        confirming = False
        # A confirmed POST goes to the service even when the page would refuse: the service
        # decides under its lock, and answers a repeated confirmation as the first one.
        if request.method == "POST" and form.is_valid():
            if "confirm" not in request.POST:
                confirming = refusal is None and "correct" not in request.POST
            else:
                try:
                    run(form.cleaned_data)
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for name, errors in exc.error_dict.items():
                            form.add_error(name if name in form.fields else None, errors)
                    else:
                        for message in exc.messages:
                            self.message_user(request, message, messages.ERROR)
                        return self._back(application)
                else:
                    self.message_user(request, success, messages.SUCCESS)
                    return self._back(application)
        return self._page(
            request,
            template,
            application,
            title,
            form=form,
            refusal=refusal,
            confirming=confirming,
            **context,
        )

    def fee_statement_pdf_view(self, request, pk, guarantee_pk):
        """保証料計算書 (PDF) of an approved guarantee, e.g. to print when the contractor asked
        for it on paper (保証料計算書(紙) 希望する)."""
        application = self._viewable_application_or_404(request, pk)
        guarantee = get_object_or_404(
            application.guarantees.exclude(fee_breakdown=None), pk=guarantee_pk
        )
        return pdf_response(
            issuance.fee_statement(guarantee), f"fee-statement-{guarantee.number}.pdf", inline=True
        )

    def certificate_pdf_view(self, request, pk, certificate_pk):
        """A certificate version's PDF, for the branch (paper ones are printed from here)."""
        application = self._viewable_application_or_404(request, pk)
        certificate = get_object_or_404(
            Certificate.objects.filter(guarantee__application=application), pk=certificate_pk
        )
        with certificate.pdf.open("rb") as stored:
            content = stored.read()
        return pdf_response(
            content,
            f"{certificate.guarantee.number}-v{certificate.version}.pdf",
            inline=True,
        )

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
        return self._page(request, "message_form.html", application, form.title, form=form)

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
