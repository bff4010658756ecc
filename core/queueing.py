"""Queueing Celery tasks once the change they work on is committed."""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def queue_after_commit(task: Task, *args: Any) -> None:
    """Queue `task(*args)` when the current transaction commits (at once outside one), so the
    worker never reads a row before it exists or sees a change that was rolled back.

    A broker that cannot be reached does not fail the request that made the change: its rows are
    committed already, and the periodic sweep of the task's app finds what was left undone.
    """

    def send() -> None:
        try:
            task.delay(*args)
        except OperationalError as exc:
            logger.warning(
                "%s%r not queued (broker unreachable: %s); the periodic sweep will do it",
                task.name,
                args,
                exc,
            )

    transaction.on_commit(send)
