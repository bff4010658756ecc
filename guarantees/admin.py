"""タイムスタンプ更新の実行: the runs of the renewal of document timestamps (guarantees.renewal),
read-only, for head office: when each ran, what it renewed, and why a certificate failed."""

from django.contrib import admin
from django.db.models import Subquery
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from guarantees.models import RenewalRun


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
