"""State changes of applications: the only way views, admin, tasks and tests change them."""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import rules
from applications.models import Application
from core.audit import audit_entries_for, log_action
from core.sequences import fiscal_year, next_value
from guarantees.models import Guarantee
from notifications.services import message_enqueue


class ApplicationStateError(ValidationError):
    """The application is not in a state that allows this action."""


@transaction.atomic
def application_save(
    *,
    user,
    form_token: uuid.UUID,
    values: dict,
    guarantees: dict[str, dict],
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
        raise ApplicationStateError(
            _("この申込は%(status)sのため変更できません。")
            % {"status": application.get_status_display()},
            code="not_editable",
        )
    for name, value in values.items():
        setattr(application, name, value)
    application.save()
    _sync_guarantees(application, guarantees)
    if created:
        data = {"copied_from": copied_from.number or copied_from.pk} if copied_from else {}
        log_action(application, "application.created", user=user, data=data)
    return application


def _sync_guarantees(application: Application, requested: dict[str, dict]) -> None:
    existing = {g.kind: g for g in application.guarantees.all()}
    for kind, guarantee in existing.items():
        if kind not in requested:
            guarantee.delete()
    for kind, fields in requested.items():
        guarantee = existing.get(kind) or Guarantee(application=application, kind=kind)
        for name, value in fields.items():
            setattr(guarantee, name, value)
        guarantee.save()


def application_errors(application: Application) -> list[rules.Error]:
    """What stops this saved application from being sent today."""
    return rules.sending_errors(
        application, list(application.guarantees.all()), today=timezone.localdate()
    )


@transaction.atomic
def application_submit(*, application_id: int, user) -> Application:
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
        raise ApplicationStateError(
            _("この申込は%(status)sのため送信できません。")
            % {"status": application.get_status_display()},
            code="not_editable",
        )
    errors = application_errors(application)
    if errors:
        raise ValidationError([message for _key, message in errors], code="incomplete")
    resent = application.status == Application.Status.RETURNED
    now = timezone.now()
    if application.number is None:
        year = fiscal_year(timezone.localdate(now))
        serial = next_value(f"application-{year}")
        application.number = f"A{year}-{serial:06d}"
    application.status = Application.Status.SENT
    application.sent_at = now
    application.save(update_fields=["number", "status", "sent_at", "updated_at"])
    log_action(
        application,
        "application.resent" if resent else "application.sent",
        user=user,
        data={"number": application.number, "branch": application.branch.name},
    )
    message_enqueue(
        template="application_received",
        recipient=application.notify_email or user.email,
        context={
            "application": application,
            "guarantees": application.guarantees.all(),
            "resent": resent,
        },
        dedup_key=f"application_received:{application.pk}:{now.isoformat()}",
    )
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, user) -> Application:
    """Withdraw (取下げ) a sent application before the branch accepts it. Idempotent."""
    application = Application.objects.select_for_update().get(
        pk=application_id, contractor=user.contractor
    )
    if application.status == Application.Status.WITHDRAWN:
        return application
    if not application.is_withdrawable:
        raise ApplicationStateError(
            _("受付後の申込は取り下げできません。営業部・支店へご連絡ください。"),
            code="not_withdrawable",
        )
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    log_action(application, "application.withdrawn", user=user)
    return application


@transaction.atomic
def application_delete_draft(*, application_id: int, user) -> None:
    """Delete a draft that was never sent. Deleting it twice is a no-op."""
    application = (
        Application.objects.select_for_update()
        .filter(pk=application_id, contractor=user.contractor)
        .first()
    )
    if application is None:
        return
    if application.status != Application.Status.DRAFT:
        raise ApplicationStateError(_("送信済みの申込は削除できません。"), code="not_draft")
    application.delete()


# Branch processing (営業部・支店): called from the Django admin, each with its audit entry.


def _locked_for_staff(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("contractor", "branch", "obligee")
        .get(pk=application_id)
    )


def notify_contractor(application: Application, template: str, event: str, **context) -> None:
    message_enqueue(
        template=template,
        recipient=application.notify_email or application.created_by.email,
        context={"application": application, **context},
        dedup_key=f"{template}:{application.pk}:{event}",
    )


@transaction.atomic
def application_accept(*, application_id: int, user) -> Application:
    """受付: the branch takes a sent application into review (審査中)."""
    application = _locked_for_staff(application_id)
    if application.status != Application.Status.SENT:
        raise ApplicationStateError(
            _("%(status)sの申込は受付できません(受付できるのは送信済の申込です)。")
            % {"status": application.get_status_display()},
            code="not_sent",
        )
    application.status = Application.Status.REVIEWING
    application.save(update_fields=["status", "updated_at"])
    application.guarantees.update(status=Guarantee.Status.REVIEWING)
    entry = log_action(application, "application.accepted", user=user)
    notify_contractor(application, "application_accepted", f"accepted-{entry.pk}")
    return application


@transaction.atomic
def application_return(*, application_id: int, user, message: str) -> Application:
    """差戻し: send the application back to the contractor with what to correct.

    It keeps its number and history; the contractor corrects it and sends it again.
    """
    message = message.strip()
    if not message:
        raise ValidationError(_("差戻しの理由(お客様へのお知らせ)を入力してください。"))
    application = _locked_for_staff(application_id)
    if application.status not in (Application.Status.SENT, Application.Status.REVIEWING):
        raise ApplicationStateError(
            _("%(status)sの申込は差し戻せません。") % {"status": application.get_status_display()},
            code="not_returnable",
        )
    if application.guarantees.exclude(
        status__in=[Guarantee.Status.REQUESTED, Guarantee.Status.REVIEWING]
    ).exists():
        raise ApplicationStateError(
            _("承諾済みの保証がある申込は差し戻せません。"), code="already_approved"
        )
    application.status = Application.Status.RETURNED
    application.save(update_fields=["status", "updated_at"])
    application.guarantees.update(status=Guarantee.Status.REQUESTED)
    application.company_messages.create(body=message, author=user)
    entry = log_action(application, "application.returned", user=user, data={"message": message})
    notify_contractor(application, "application_returned", f"returned-{entry.pk}", message=message)
    return application


@transaction.atomic
def application_post_message(
    *,
    application_id: int,
    user,
    message: str,
    internal: bool = False,
    token: uuid.UUID | None = None,
) -> Application:
    """弊社からお客様へのお知らせ — or, with `internal`, a staff note the contractor never sees.

    `token` identifies the form it came from: posting the same form again records nothing.
    """
    message = message.strip()
    if not message:
        raise ValidationError(_("本文を入力してください。"))
    application = _locked_for_staff(application_id)
    if application.status == Application.Status.DRAFT:
        raise ApplicationStateError(_("作成中の申込にはお知らせを送れません。"), code="draft")
    if token and audit_entries_for(application).filter(data__token=str(token)).exists():
        return application
    data = {"token": str(token)} if token else {}
    if internal:
        log_action(application, "application.note", user=user, data={**data, "note": message})
    else:
        application.company_messages.create(body=message, author=user)
        log_action(application, "application.message_posted", user=user, data=data)
    return application
