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
