import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry


def log_action(
    obj: models.Model | type[models.Model],
    action: str,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """Record that `user` did `action` (e.g. "application.sent") to `obj`: a row, or a model
    class for what concerns the whole table (e.g. "obligee.imported")."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=None if isinstance(obj, type) else obj.pk,
        action=action,
        # (core names the user by Django's base class: it does not import accounts)
        user=user if user is not None and user.is_authenticated else None,  # type: ignore[misc]
        data=data or {},
    )


def audit_entries_for(obj: models.Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("user")


def jsonable(value: object) -> object:
    """A field value as the audit data stores it: dates as ISO text, other objects as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# Every action code in words, for the staff's history (手続の経過) and anyone reading the log.
# %(guarantee)s is the guarantee concerned, named by the caller (e.g. 前払金保証(GM-2026-000004)):
# this module depends on no app, so it cannot name guarantee kinds itself.
ACTION_LABELS = {
    "application.created": _("申込を作成"),
    "application.updated": _("申込内容を変更(お客様)"),
    "application.sent": _("申込を送信"),
    "application.resent": _("修正した申込を再送信"),
    "application.withdrawn": _("申込を取下げ"),
    "application.deleted": _("下書きを削除"),
    "application.accepted": _("受付(審査中へ)"),
    "application.returned": _("差戻し"),
    "application.message_posted": _("お客様へのお知らせ"),
    "application.note": _("社内メモ"),
    "guarantee.removed": _("%(guarantee)sの申込を取りやめ(お客様)"),
    "guarantee.approved": _("%(guarantee)sを承諾"),
    "guarantee.issue_requested": _("%(guarantee)sの発行を開始"),
    "guarantee.issue_failed": _("%(guarantee)sの発行に失敗"),
    "guarantee.issue_retried": _("%(guarantee)sの再発行を開始"),
    "guarantee.issued": _("%(guarantee)sを発行(第%(version)s版)"),
    "certificate.printable": _("%(guarantee)sの証書(紙)を印刷用に作成(第%(version)s版)"),
    "guarantee.amendment_requested": _("%(guarantee)sの変更を指示"),
    "guarantee.amended": _("%(guarantee)sの変更後の保証証書を発行(第%(version)s版)"),
    "guarantee.cancelled": _("%(guarantee)sを解約"),
    "guarantee.expired": _("%(guarantee)sの保証期間が満了"),
    "certificate.key_revealed": _("認証キーを表示"),
    "certificate.key_reveal_failed": _("認証キーの表示を拒否"),
    "certificate.notice_made": _("認証キー等のお知らせを作成"),
    "certificate.received": _("発注者が受領"),
    "certificate.receive_refused": _("受領を一時停止中のため拒否"),
    "certificate.receive_mistyped": _("認証キーの入力誤り"),
    "certificate.receive_failed": _("受領を拒否"),
    "certificate.receive_repeated": _("受領済みの保証証書を再び受領しようとした"),
    "obligee.key_register_unlocked": _("認証キー登録の一時停止を解除"),
    "obligee.imported": _("発注者をCSVから取込み"),
    "member.invited": _("利用者を招待"),
    "member.invitation_revoked": _("招待を取消し"),
    "member.invitation_resent": _("招待を再送信"),
    "member.joined": _("招待から利用者が登録"),
    "member.role_changed": _("利用者の役割を変更"),
    "member.deactivated": _("利用者の利用を停止"),
    "member.reactivated": _("利用者の利用を再開"),
    "account.password_changed": _("パスワードを変更"),
    "account.email_change_requested": _("メールアドレスの変更を依頼"),
    "account.email_changed": _("メールアドレスを変更"),
    "account.second_factor_on": _("二段階認証を設定"),
    "account.second_factor_off": _("二段階認証を解除"),
    "account.backup_codes_renewed": _("二段階認証のバックアップコードを再発行"),
    "account.second_factor_required": _("組織の二段階認証の必須を変更"),
    "registration.confirmed": _("利用申込のメールアドレスを確認"),
    "registration.approved": _("利用申込を承認"),
    "registration.refused": _("利用申込をお断り"),
    "email.sent": _("メールを送信"),
    "email.failed": _("メールの送信に失敗"),
    "email.requeued": _("メールを再送信"),
    "certificate.renewed": _("%(guarantee)sの保証証書(第%(version)s版)にタイムスタンプを追加"),
    "renewal.finished": _("タイムスタンプの更新を実行"),
}

# The admin's own edits (core.admin.AuditedAdmin) are recorded as "<model>.<what>".
EDIT_LABELS = {
    "created": _("%(model)sを追加"),
    "changed": _("%(model)sを変更"),
    "rows_changed": _("%(model)sの明細を変更"),
    "deleted": _("%(model)sを削除"),
}


def action_label(entry: AuditEntry, *, guarantee: str = "") -> str:
    """What `entry` records, in words: "前払金保証(GM-2026-000004)の発行を開始" when given the
    guarantee's name. An action without words of its own (none today) shows its code rather
    than nothing."""
    template = ACTION_LABELS.get(entry.action)
    if template is None:
        _model, _dot, what = entry.action.rpartition(".")
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        if what not in EDIT_LABELS or model is None:
            return entry.action
        return str(EDIT_LABELS[what]) % {"model": model._meta.verbose_name}
    return str(template) % {"guarantee": guarantee, "version": entry.data.get("version", "")}
