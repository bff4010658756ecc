"""The e-mail outbox: messages are written in the transaction of the change they report, and
sent afterwards by the worker.

Delivery is at least once, and exactly once in every case but one. A sender first claims a due
message with one conditional UPDATE (pending, due, and not claimed by anyone else: `_due`), which
also counts the attempt and pushes next_attempt_at past the longest possible SMTP conversation;
only the sender whose UPDATE changed the row sends it. Concurrent workers and the sweep therefore
never send the same message twice, and no transaction stays open while the SMTP server answers.
The one exception: a worker that dies after the SMTP server accepted the message but before it
recorded 送信済. The claim then expires and the message is sent again, with the same Message-ID
header (derived from the message), by which mail systems and readers recognise the duplicate.
Losing an e-mail would be worse than sending one twice.
"""

import datetime
import hashlib
import logging
import smtplib
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import log_action
from core.errors import StateError
from core.queueing import queue_after_commit
from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

# last_error keeps the start of the error: enough to know what went wrong.
ERROR_LENGTH = 500
SWEEP_BATCH = 100


def message_enqueue(
    *, template: str, recipient: str, context: dict, dedup_key: str
) -> OutboxMessage:
    """Render a Japanese e-mail from templates/emails/<template>.{subject.txt,txt,html} and put it
    in the outbox; it is sent once the transaction commits. Idempotent per dedup_key; call it
    inside the transaction of the change it reports, so the message exists if and only if the
    change does."""
    existing = OutboxMessage.objects.filter(dedup_key=dedup_key).first()
    if existing:
        return existing
    with translation.override("ja"):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        body_text = render_to_string(f"emails/{template}.txt", context)
        body_html = render_to_string(f"emails/{template}.html", context)
    message = OutboxMessage.objects.create(
        dedup_key=dedup_key,
        template=template,
        recipient=recipient,
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
    )
    _queue_send(message)
    return message


def absolute_url(path: str) -> str:
    """`path` on the site address (SITE_URL, the same the certificates' QR codes carry), for the
    links of e-mails: they are read outside the portal, where only a whole address leads back."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def notify_contractor(application: Any, template: str, event: str, **context: Any) -> OutboxMessage:
    """A status e-mail about `application` (received, accepted, returned, approved) to the account
    address of the user who sent it (or created it, before it was sent).

    Never to the application's notice address: that address is typed into the form and so could
    be anyone's; it receives only the issuance notice, and only when the contractor asked for it.
    """
    applicant = application.sent_by or application.created_by
    return message_enqueue(
        template=template,
        recipient=applicant.email,
        context={"application": application, **context},
        dedup_key=f"{template}:{application.pk}:{event}",
    )


def _queue_send(message: OutboxMessage) -> None:
    from notifications.tasks import send_message  # the tasks module imports this one

    queue_after_commit(send_message, message.pk)


def _due(now: datetime.datetime) -> Q:
    """Pending messages whose time has come: never tried (next_attempt_at empty), or due again
    after a failure, or claimed by a sender that did not finish within its claim."""
    return Q(status=OutboxMessage.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed attempt: BASE, 2×BASE, 4×BASE …"""
    return datetime.timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def message_id_header(message: OutboxMessage) -> str:
    """The same Message-ID for every attempt at one message, unique across messages."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "netdesk.invalid"
    digest = hashlib.sha256(message.dedup_key.encode()).hexdigest()[:20]
    return f"<outbox.{message.pk}.{digest}@{domain}>"


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": message_id_header(message)},
    )
    email.attach_alternative(message.body_html, "text/html")
    return email


def _error_text(exc: Exception) -> str:
    """The error as last_error keeps it: its kind and the server's answer, never a credential."""
    text = f"{type(exc).__name__}: {exc}"
    if settings.EMAIL_HOST_PASSWORD:
        text = text.replace(settings.EMAIL_HOST_PASSWORD, "***")
    return text[:ERROR_LENGTH]


def _refused_for_good(exc: Exception) -> bool:
    """Whether the SMTP server refused this message itself with a permanent (5xx) answer: its
    recipient or its content. Asking again gets the same answer. Anything else — a 4xx answer,
    a refused sign-in or sender, a connection that failed — may pass later, and is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for one attempt, or None when it is not due or another sender has it."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(_due(now), pk=message_id).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + datetime.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS),
    )
    return OutboxMessage.objects.get(pk=message_id) if claimed else None


def message_send(*, message_id: int) -> bool:
    """One attempt at sending the message, if it is due; True when it was sent.

    A failure is recorded (attempts, last_error, next_attempt_at after an exponential back-off);
    after OUTBOX_MAX_ATTEMPTS attempts, or at once when the server refuses the message for good
    (5xx), the message is 送信失敗.
    """
    message = _claim(message_id)
    if message is None:
        return False
    try:
        _email(message).send()
    except Exception as exc:
        # Whatever the backend raised (SMTP refusal, connection, timeout): the attempt is over
        # and recorded, so that the message is tried again or given up, never left claimed.
        logger.warning("Outbox message %s not sent: %s", message.pk, type(exc).__name__)
        _record_failure(message, _error_text(exc), final=_refused_for_good(exc))
        return False
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.SENT, sent_at=timezone.now(), next_attempt_at=None
        )
        log_action(message, "email.sent", data={"attempts": message.attempts})
    return True


def _record_failure(message: OutboxMessage, error: str, *, final: bool) -> None:
    given_up = final or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.FAILED if given_up else OutboxMessage.Status.PENDING,
            last_error=error,
            next_attempt_at=None if given_up else timezone.now() + retry_delay(message.attempts),
        )
        if given_up:
            log_action(message, "email.failed", data={"attempts": message.attempts, "error": error})


def outbox_send_due(*, limit: int = SWEEP_BATCH) -> int:
    """The periodic sweep: send every message that is due, oldest first — retries whose back-off
    has passed, and messages whose send task was never queued (the broker was down) or was lost
    (its worker died). Returns how many were sent."""
    due = (
        OutboxMessage.objects.filter(_due(timezone.now()))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(message_send(message_id=pk) for pk in list(due))


@transaction.atomic
def message_retry(*, message_id: int, user: AbstractBaseUser) -> OutboxMessage:
    """再送信: a failed message goes back to pending with its attempts reset, and is sent after
    the commit. Refused for any other status (a second click finds it pending already)."""
    message = OutboxMessage.objects.select_for_update().get(pk=message_id)
    if message.status != OutboxMessage.Status.FAILED:
        raise StateError(
            _("送信失敗の通知メールだけを再送信できます(%(status)s)。")
            % {"status": message.get_status_display()},
            code="not_failed",
        )
    log_action(
        message,
        "email.requeued",
        user=user,
        data={"attempts": message.attempts, "last_error": message.last_error},
    )
    message.status = OutboxMessage.Status.PENDING
    message.attempts = 0
    message.next_attempt_at = None
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    _queue_send(message)
    return message
