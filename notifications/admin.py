"""通知メール: the outbox as head office sees it, read-only, with 再送信 for failed messages.

Messages go to contractors of every branch and carry no branch of their own, so only staff with
the outbox permissions (head office, accounts.groups) see them.
"""

import re

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import OutboxMessage

# A link's secret part (an invitation's or a confirmation's token: 32 random bytes and more, in
# URL-safe base64). Whoever reads the outbox must not be able to follow the link in place of its
# recipient — choose the invited person's password, confirm someone else's address.
_TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_-]{32,}(?=/)")


def hide_tokens(text: str) -> str:
    return _TOKEN.sub("＊＊＊", text)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "recipient",
        "status",
        "template",
        "attempts",
        "next_attempt_at",
        "last_error_short",
        "created_at",
        "sent_at",
    ]
    list_display_links = ["recipient"]
    list_filter = ["status", "template"]
    search_fields = ["recipient"]
    search_help_text = _("宛先のメールアドレスで検索できます。")
    list_per_page = 50
    show_full_result_count = False
    actions = ["retry_selected"]
    fields = [
        "status",
        "template",
        "recipient",
        "subject",
        "body_text_shown",
        "body_html_shown",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "dedup_key",
    ]
    readonly_fields = fields

    @admin.display(description=_("本文(テキスト)"))
    def body_text_shown(self, message: OutboxMessage) -> str:
        return hide_tokens(message.body_text)

    @admin.display(description=_("本文(HTML)"))
    def body_html_shown(self, message: OutboxMessage) -> str:
        return hide_tokens(message.body_html)

    # The list needs the whole width at 1366 px: without the app menu beside it.
    _wide = {"is_nav_sidebar_enabled": False}

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), **self._wide})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **self._wide}
        )

    def has_add_permission(self, request):
        return False  # e-mails are written by the changes they report

    def has_change_permission(self, request, obj=None):
        return False  # nobody edits an e-mail; 再送信 is an action

    def has_delete_permission(self, request, obj=None):
        return False  # the outbox is the record of what was sent

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.display(description=_("最後のエラー"))
    def last_error_short(self, message: OutboxMessage) -> str:
        return truncatechars(message.last_error, 60)

    @admin.action(description=_("選択した送信失敗のメールを再送信"), permissions=["resend"])
    def retry_selected(self, request, queryset):
        retried = 0
        for message in queryset.filter(status=OutboxMessage.Status.FAILED):
            try:
                services.message_retry(message_id=message.pk, user=request.user)
            except ValidationError as exc:  # retried meanwhile, by a colleague
                for text in exc.messages:
                    self.message_user(request, text, messages.ERROR)
            else:
                retried += 1
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d件のメールを再送信します。",
                    "%(count)d件のメールを再送信します。",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("再送信できるメール(送信失敗)がありませんでした。"),
                messages.WARNING,
            )
