from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An e-mail waiting to be sent, or sent, by the worker (transactional outbox)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENT = "sent", _("送信済")
        FAILED = "failed", _("送信失敗")

    # One message per event: enqueuing the same event twice (a retried request) is a no-op.
    dedup_key = models.CharField(max_length=200, unique=True)
    template = models.CharField(_("テンプレート"), max_length=64)
    recipient = models.EmailField(_("宛先"))
    subject = models.CharField(_("件名"), max_length=200)
    body_text = models.TextField(_("本文(テキスト)"))
    body_html = models.TextField(_("本文(HTML)"))
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("送信試行回数"), default=0)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    next_attempt_at = models.DateTimeField(_("次回送信予定"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知メール")
        verbose_name_plural = _("通知メール")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient}"
