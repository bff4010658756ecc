"""Issuance tasks: thin, ids in; the work is in guarantees.issuance."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

# Issuing is idempotent: a task that failed (database restarting, disk full) is retried with
# back-off, and acknowledged only once done, so a worker killed mid-way leaves it queued.
RETRIED = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "max_retries": 10,
}


@shared_task(**RETRIED)
def issue_certificate(guarantee_id: int) -> int | None:
    """Issue the electronic certificate of `guarantee_id` (idempotent: safe to run again)."""
    from guarantees import issuance

    certificate = issuance.certificate_issue(guarantee_id)
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
    owed = [(issuance.certificate_issue, pk, "guarantee") for pk in issuance.issuance_overdue()]
    owed += [(lifecycle.amendment_issue, pk, "amendment") for pk in lifecycle.amendments_overdue()]
    for issue, pk, what in owed:
        try:
            certificate = issue(pk)
        except Exception:
            logger.exception("Sweep: issuing %s %s failed; next sweep retries.", what, pk)
            continue
        if certificate is not None:
            issued.append(certificate.pk)
    return issued


@shared_task
def expire_guarantees() -> list[int]:
    """The nightly sweep: 期間満了 for every guarantee whose guarantee period has ended."""
    from guarantees import lifecycle

    return lifecycle.guarantees_expire()
