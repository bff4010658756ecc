"""A guarantee's staff actions in the admin — 承諾, 発行, 再発行, 交付, 変更, 解約 — and its
documents (保証料計算書, the certificate versions' PDFs).

They are pages of the application the guarantee belongs to: their addresses sit under the
application's (`<application>/guarantees/<guarantee>/approve/`, …) and each leads back to it. So
they are not a ModelAdmin of their own but a mixin of the application's ModelAdmin
(applications/admin.py), which adds `guarantee_urls()` to its URLs and provides the pages of one
application's actions:

- `_application_or_404(request, pk)`: the application, if the staff member may process it and it
  is in their branch's scope (403 or 404 otherwise); `_viewable_application_or_404` the same for
  reading its documents;
- `_run(request, action, success)`: run a service, report its refusal or its outcome;
- `_page(request, template, application, title, **context)`: an action page of the application;
- `_back(application)`: the redirect to the application's page.

Every action calls a guarantee service, which locks the application first itself
(guarantees/locking.py) and refuses what the state no longer allows; this module only collects
input and reports the outcome.

Also タイムスタンプ更新の実行: the runs of the renewal of document timestamps (guarantees.renewal),
read-only, for head office: when each ran, what it renewed, and why a certificate failed.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.http import pdf_response
from core.numbers import percentage
from core.templatetags.netdesk import label, yen
from guarantees import issuance, lifecycle, services
from guarantees.forms import AmendmentForm, CancellationForm
from guarantees.models import Certificate, Guarantee, RenewalRun
from guarantees.rules import share_base

TEMPLATES = "admin/guarantees/guarantee/"


def _issued_message(requested: Guarantee) -> str | tuple[str, int]:
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


class GuaranteeActionsMixin:
    """The guarantee actions, mixed into the ModelAdmin of the applications (see the module's
    docstring for what that ModelAdmin provides)."""

    # The pages of one application's actions, provided by the ModelAdmin of the applications.
    _application_or_404: Callable[..., Any]
    _viewable_application_or_404: Callable[..., Any]
    _run: Callable[..., bool]
    _page: Callable[..., TemplateResponse]
    _back: Callable[..., HttpResponseRedirect]

    def guarantee_urls(self):
        """The actions' URLs, named as Django names a ModelAdmin's own
        (`<app>_<model>_approve`, …), each view behind the admin site's checks."""

        def wrap(view):
            return self.admin_site.admin_view(view)

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        guarantee = "<int:pk>/guarantees/<int:guarantee_pk>"
        routes = [
            (f"{guarantee}/approve/", self.approve_view, "approve"),
            (f"{guarantee}/issue/", self.issue_view, "issue"),
            (f"{guarantee}/issue/retry/", self.issue_retry_view, "issue_retry"),
            (f"{guarantee}/handover/", self.handover_view, "handover"),
            (f"{guarantee}/amend/", self.amend_view, "amend"),
            (f"{guarantee}/cancel/", self.cancel_view, "cancel"),
            (f"{guarantee}/fee-statement.pdf", self.fee_statement_pdf_view, "fee_statement_pdf"),
            ("<int:pk>/certificates/<int:certificate_pk>.pdf", self.certificate_pdf_view,
             "certificate_pdf"),
        ]  # fmt: skip
        return [path(route, wrap(view), name=f"{prefix}_{name}") for route, view, name in routes]

    def _guarantee_or_404(self, request, pk: int, guarantee_pk: int):
        """The application (as _application_or_404) and its guarantee `guarantee_pk`."""
        application = self._application_or_404(request, pk)
        return application, get_object_or_404(application.guarantees.all(), pk=guarantee_pk)

    def approve_view(self, request, pk, guarantee_pk):
        """GET: what 承諾 will assign (number 予定, fee and its breakdown); POST: approve."""
        application, guarantee = self._guarantee_or_404(request, pk, guarantee_pk)
        if request.method == "POST":
            self._run(
                request,
                lambda: services.guarantee_approve(guarantee_id=guarantee.pk, user=request.user),
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
        preview = services.guarantee_approval_preview(guarantee=guarantee, application=application)
        return self._page(
            request,
            TEMPLATES + "approve_confirm.html",
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
            TEMPLATES + "issue_confirm.html",
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
            TEMPLATES + "handover_confirm.html",
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
            TEMPLATES + template,
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


@admin.register(RenewalRun)
class RenewalRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "finished",
        "renewed",
        "upgraded",
        "skipped",
        "failed",
        "note_short",
    ]
    list_per_page = 50
    show_full_result_count = False
    fields = [
        "started_at",
        "finished_at",
        "margin_days",
        "renewed",
        "upgraded",
        "skipped",
        "failed",
        "note",
        "failure_list",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        newest = RenewalRun.objects.order_by("-started_at", "-id").values("pk")[:1]
        return super().get_queryset(request).annotate(newest=Subquery(newest))

    def has_add_permission(self, request):
        return False  # runs are recorded by the task

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was done to the certificates

    @admin.display(description=_("終了日時"), ordering="finished_at")
    def finished(self, run: RenewalRun):
        if run.finished_at is not None:
            return run.finished_at
        # The newest run may still be going on; an older one without an end was stopped.
        return _("実行中") if run.pk == getattr(run, "newest", None) else _("中断")

    @admin.display(description=_("備考"))
    def note_short(self, run: RenewalRun) -> str:
        return truncatechars(run.note, 60)

    @admin.display(description=_("失敗の内容"))
    def failure_list(self, run: RenewalRun):
        if not run.failures:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((failure.get("name", ""), failure.get("reason", "")) for failure in run.failures),
        )
        more = ""
        if run.failed > len(run.failures):
            more = format_html(
                "<p>{}</p>", _("ほか%(count)d件") % {"count": run.failed - len(run.failures)}
            )
        return format_html(
            '<table data-testid="renewal-failures"><thead><tr><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>{}",
            _("保証証書"),
            _("理由"),
            rows,
            more,
        )
