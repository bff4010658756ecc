"""Issuance tasks: thin, ids in; the work is in guarantees.issuance."""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery import Task, shared_task

if TYPE_CHECKING:
    from guarantees.models import Certificate

logger = logging.getLogger(__name__)

# Issuing is idempotent: a task that failed (database restarting, disk full) is retried with
# back-off, and acknowledged only once done, so a worker killed mid-way leaves it queued.
RETRIED: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "max_retries": 10,
}


@shared_task(bind=True, **RETRIED)
def issue_certificate(self: Task[[int], int | None], guarantee_id: int) -> int | None:
    """Issue the electronic certificate of `guarantee_id` (idempotent: safe to run again).

    When the last retry fails too, the failure is recorded for the branch (発行失敗, with a
    button to try again) instead of leaving the page at 発行処理中 until the sweep."""
    from guarantees import issuance

    try:
        certificate = issuance.certificate_issue(guarantee_id)
    except Exception as exc:
        # Run in-process (no broker: `make run`), a retry would hold up the staff's request
        # and then fail it; the first failure is the last there.
        retries_left = self.max_retries is None or self.request.retries < self.max_retries
        if retries_left and not self.request.is_eager:
            raise  # retried with back-off (RETRIED)
        logger.exception("Issuing guarantee %s failed; no retry is left.", guarantee_id)
        issuance.issuance_failed(guarantee_id, error=exc)
        return None
    return certificate.pk if certificate else None


@shared_task(**RETRIED)
def issue_amendment(amendment_id: int) -> int | None:
    """Issue the certificate version of amendment `amendment_id` (idempotent)."""
    from guarantees import lifecycle

    certificate = lifecycle.amendment_issue(amendment_id)
    return certificate.pk if certificate else None


@shared_task
def issue_overdue() -> list[int]:
    """The periodic sweep: issue what was requested but never issued — certificates and amended
    versions (broker down when staff pressed 発行 or 変更, or the worker died) — each once; one
    failure does not stop the others."""
    from guarantees import issuance, lifecycle

    issued = []
    owed: list[tuple[Callable[[int], Certificate | None], int, str]] = [
        (issuance.certificate_issue, pk, "guarantee") for pk in issuance.issuance_overdue()
    ]
    owed += [(lifecycle.amendment_issue, pk, "amendment") for pk in lifecycle.amendments_overdue()]
    for issue, pk, what in owed:
        try:
            certificate = issue(pk)
        except Exception as exc:
            logger.exception("Sweep: issuing %s %s failed; next sweep retries.", what, pk)
            if what == "guarantee":
                # Said on the guarantee too (発行失敗, with the error), not only in the log.
                issuance.issuance_failed(pk, error=exc)
            continue
        if certificate is not None:
            issued.append(certificate.pk)
    return issued


@shared_task
def expire_guarantees() -> list[int]:
    """The nightly sweep: 期間満了 for every guarantee whose guarantee period has ended."""
    from guarantees import lifecycle

    return lifecycle.guarantees_expire()


@shared_task
def renew_certificates() -> int | None:
    """The nightly renewal of document timestamps (guarantees.renewal); the id of its
    RenewalRun, None when another run was going on."""
    from guarantees import renewal

    run = renewal.renewal_run()
    return run.pk if run else None
