"""State changes of applications: the only way views, admin, tasks and tests change them."""

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications import rules
from applications.models import Application
from applications.selectors import locked_for_staff
from core.audit import audit_entries_for, log_action
from core.errors import StateError
from core.sequences import fiscal_year, next_value
from core.text import reject_bidi_controls
from guarantees.models import Guarantee
from notifications.services import notify_contractor

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@transaction.atomic
def application_save(
    *,
    user: User,
    form_token: uuid.UUID,
    values: dict[str, Any],
    guarantees: dict[str, dict[str, Any]],
    application: Application | None = None,
    copied_from: Application | None = None,
) -> Application:
    """Create or update an editable application (a draft, or one returned for correction).

    Without `application`, the draft first saved from the same form (same `form_token`) is
    updated rather than a second one created: a double click or a retried POST saves once.
    `copied_from`: the application of the company the new one's form was filled in from
    (複写して新規作成); recorded when the draft is created, another company's ignored.
    """
    contractor = user.contractor
    if contractor is None:
        raise PermissionDenied("Only contractor users write applications.")
    if copied_from is not None and copied_from.contractor_id != contractor.id:
        copied_from = None
    if application is None:
        application, created = Application.objects.select_for_update().get_or_create(
            form_token=form_token,
            contractor=contractor,
            defaults={"created_by": user, "copied_from": copied_from, **values},
        )
    else:
        application = Application.objects.select_for_update().get(pk=application.pk)
        created = False
    if application.contractor_id != contractor.id:
        raise PermissionDenied("This application belongs to another contractor.")
    if not application.is_editable:
        raise StateError(
            _("この申込は%(status)sのため変更できません。")
            % {"status": application.get_status_display()},
            code="not_editable",
        )
    changed = [name for name, value in values.items() if getattr(application, name) != value]
    for name, value in values.items():
        setattr(application, name, value)
    application.save()
    changed += _sync_guarantees(application, guarantees, user=user)
    if created:
        data = {"copied_from": copied_from.number or copied_from.pk} if copied_from else {}
        log_action(application, "application.created", user=user, data=data)
    elif changed:
        log_action(application, "application.updated", user=user, data={"fields": changed})
    return application


def _sync_guarantees(
    application: Application, requested: dict[str, dict[str, Any]], *, user: User
) -> list[str]:
    """Make the application's guarantees what the form requests; the names of what changed
    ("advance.amount", …). A kind no longer requested is removed, with its own audit entry."""
    existing = {g.kind: g for g in application.guarantees.all()}
    changed: list[str] = []
    for kind, guarantee in existing.items():
        if kind not in requested:
            guarantee.delete()
            log_action(application, "guarantee.removed", user=user, data={"kind": kind})
    for kind, fields in requested.items():
        guarantee = existing.get(kind) or Guarantee(application=application, kind=kind)
        changed += [
            f"{kind}.{name}"
            for name, value in fields.items()
            if guarantee.pk is None or getattr(guarantee, name) != value
        ]
        for name, value in fields.items():
            setattr(guarantee, name, value)
        guarantee.save()
    return changed


def application_errors(application: Application) -> list[rules.Error]:
    """What stops this saved application from being sent today."""
    return rules.sending_errors(
        application, list(application.guarantees.all()), today=timezone.localdate()
    )


@transaction.atomic
def application_submit(*, application_id: int, user: User) -> Application:
    """Send the application to its branch (送信). Sending an already sent application is a no-op,
    so a double click, the back button or a second tab send it once."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("obligee", "branch", "contractor")
        .get(pk=application_id, contractor=user.contractor)
    )
    if application.status == Application.Status.SENT:
        return application
    if not application.is_editable:
        raise StateError(
            _("この申込は%(status)sのため送信できません。")
            % {"status": application.get_status_display()},
            code="not_editable",
        )
    errors = application_errors(application)
    if errors:
        raise ValidationError([message for _key, message in errors], code="incomplete")
    branch = application.branch
    assert branch is not None  # sending_errors() requires one
    resent = application.status == Application.Status.RETURNED
    now = timezone.now()
    if application.number is None:
        year = fiscal_year(timezone.localdate(now))
        serial = next_value(f"application-{year}")
        application.number = f"A{year}-{serial:06d}"
    application.status = Application.Status.SENT
    application.sent_at = now
    application.sent_by = user
    application.save(update_fields=["number", "status", "sent_at", "sent_by", "updated_at"])
    log_action(
        application,
        "application.resent" if resent else "application.sent",
        user=user,
        data={"number": application.number, "branch": branch.name},
    )
    notify_contractor(
        application,
        "application_received",
        now.isoformat(),
        guarantees=application.guarantees.all(),
        resent=resent,
    )
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, user: User) -> Application:
    """Withdraw (取下げ) a sent application before the branch accepts it. Idempotent."""
    application = Application.objects.select_for_update().get(
        pk=application_id, contractor=user.contractor
    )
    if application.status == Application.Status.WITHDRAWN:
        return application
    if not application.is_withdrawable:
        raise StateError(
            _("受付後の申込は取り下げできません。営業部・支店へご連絡ください。"),
            code="not_withdrawable",
        )
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    log_action(application, "application.withdrawn", user=user)
    return application


@transaction.atomic
def application_delete_draft(*, application_id: int, user: User) -> None:
    """Delete a draft that was never sent. Deleting it twice is a no-op."""
    application = (
        Application.objects.select_for_update()
        .filter(pk=application_id, contractor=user.contractor)
        .first()
    )
    if application is None:
        return
    if application.status != Application.Status.DRAFT:
        raise StateError(_("送信済みの申込は削除できません。"), code="not_draft")
    # The entry outlives the draft: who deleted which draft, and what it was about.
    log_action(
        application,
        "application.deleted",
        user=user,
        data={
            "works_name": application.works_name,
            "created_at": application.created_at.isoformat(),
        },
    )
    application.delete()


# Branch processing (営業部・支店): called from the Django admin, each with its audit entry.

# What staff write to a contractor (a message, a return reason) or to each other (a note): a
# few paragraphs, not a document.
STAFF_TEXT_MAX_LENGTH = 2000


def staff_text(text: str, *, missing: str) -> str:
    """`text` stripped, or a ValidationError: empty (`missing` says what to write), too long, or
    with characters that reverse how it is displayed."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(missing, code="required")
    if len(text) > STAFF_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("%(limit)s文字以内で入力してください(現在%(length)s文字)。")
            % {"limit": f"{STAFF_TEXT_MAX_LENGTH:,}", "length": f"{len(text):,}"},
            code="max_length",
        )
    reject_bidi_controls(text)
    return text


def _refuse(reason: "StrOrPromise | None", code: str) -> None:
    if reason is not None:
        raise StateError(reason, code=code)


@transaction.atomic
def application_accept(*, application_id: int, user: User) -> Application:
    """受付: the branch takes a sent application into review (審査中)."""
    application = locked_for_staff(application_id, user)
    _refuse(application.accept_refusal(), "not_sent")
    application.status = Application.Status.REVIEWING
    application.save(update_fields=["status", "updated_at"])
    application.guarantees.update(status=Guarantee.Status.REVIEWING)
    entry = log_action(application, "application.accepted", user=user)
    notify_contractor(application, "application_accepted", f"accepted-{entry.pk}")
    return application


@transaction.atomic
def application_return(*, application_id: int, user: User, message: str) -> Application:
    """差戻し: send the application back to the contractor with what to correct.

    It keeps its number and history; the contractor corrects it and sends it again.
    """
    message = staff_text(message, missing=_("差戻しの理由(お客様へのお知らせ)を入力してください。"))
    application = locked_for_staff(application_id, user)
    # Locked in the order guarantee_approve takes them (application, then guarantees), so an
    # approval running at the same moment either finishes first (and the return is refused)
    # or finds the application returned.
    list(application.guarantees.select_for_update())
    _refuse(application.return_refusal(), "not_returnable")
    application.status = Application.Status.RETURNED
    application.save(update_fields=["status", "updated_at"])
    application.guarantees.update(status=Guarantee.Status.REQUESTED)
    application.company_messages.create(body=message, author=user)
    entry = log_action(application, "application.returned", user=user, data={"message": message})
    notify_contractor(application, "application_returned", f"returned-{entry.pk}", message=message)
    return application


def _locked_for_writing(
    application_id: int, user: User, token: uuid.UUID | None
) -> tuple[Application, bool]:
    """The application to write a message or note on, and whether `token` was used already."""
    application = locked_for_staff(application_id, user)
    _refuse(application.message_refusal(), "draft")
    seen = bool(token) and audit_entries_for(application).filter(data__token=str(token)).exists()
    return application, seen


@transaction.atomic
def application_post_message(
    *, application_id: int, user: User, message: str, token: uuid.UUID | None = None
) -> Application:
    """弊社からお客様へのお知らせ: a message the contractor reads on the application.

    `token` identifies the form it came from: posting the same form again records nothing.
    """
    message = staff_text(message, missing=_("本文を入力してください。"))
    application, seen = _locked_for_writing(application_id, user, token)
    if not seen:
        application.company_messages.create(body=message, author=user)
        data = {"token": str(token)} if token else {}
        log_action(application, "application.message_posted", user=user, data=data)
    return application


@transaction.atomic
def application_add_note(
    *, application_id: int, user: User, note: str, token: uuid.UUID | None = None
) -> Application:
    """社内メモ: a note for the branch's staff, in the staff timeline; the contractor never sees
    it. `token` as for application_post_message."""
    note = staff_text(note, missing=_("社内メモを入力してください。"))
    application, seen = _locked_for_writing(application_id, user, token)
    if not seen:
        data = {"token": str(token)} if token else {}
        log_action(application, "application.note", user=user, data={**data, "note": note})
    return application
