from django.template.loader import render_to_string
from django.utils import translation

from notifications.models import OutboxMessage


def message_enqueue(
    *, template: str, recipient: str, context: dict, dedup_key: str
) -> OutboxMessage:
    """Render a Japanese e-mail from templates/emails/<template>.{subject.txt,txt,html} and put it
    in the outbox. Idempotent per dedup_key; call it inside the transaction of the change it reports,
    so the message exists if and only if the change does."""
    existing = OutboxMessage.objects.filter(dedup_key=dedup_key).first()
    if existing:
        return existing
    with translation.override("ja"):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        body_text = render_to_string(f"emails/{template}.txt", context)
        body_html = render_to_string(f"emails/{template}.html", context)
    return OutboxMessage.objects.create(
        dedup_key=dedup_key,
        template=template,
        recipient=recipient,
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
    )


def notify_contractor(application, template: str, event: str, **context) -> OutboxMessage:
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
