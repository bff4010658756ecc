"""The outbox's tasks: ids in, one service call each.

A failed SMTP attempt is not retried by Celery: notifications.services records it on the message
(attempts, last_error, next_attempt_at with exponential back-off) and the periodic sweep sends
the message again when it is due. The schedule lives in the database, so it survives a worker
killed or a broker restarted, and no long countdown waits in Redis (where an unacknowledged task
comes back after the visibility timeout). Celery's own retries cover what prevents recording an
attempt at all: the database being unreachable.
"""

from celery import shared_task
from django.db import DatabaseError

from notifications import services


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=600, max_retries=10)
def send_message(message_id: int) -> None:
    services.message_send(message_id=message_id)


@shared_task
def outbox_sweep() -> None:
    services.outbox_send_due()
