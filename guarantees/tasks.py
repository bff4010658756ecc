"""Issuance tasks: thin, ids in; the work is in guarantees.issuance."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=10,
)
def issue_certificate(guarantee_id: int) -> int | None:
    """Issue the electronic certificate of `guarantee_id` (idempotent: safe to run again)."""
    from guarantees import issuance

    certificate = issuance.certificate_issue(guarantee_id)
    return certificate.pk if certificate else None


@shared_task
def issue_overdue() -> list[int]:
    """The periodic sweep: issue what was requested but never issued (broker down when staff
    pressed 発行, or the worker died), each once; one failure does not stop the others."""
    from guarantees import issuance

    issued = []
    for guarantee_id in issuance.issuance_overdue():
        try:
            certificate = issuance.certificate_issue(guarantee_id)
        except Exception:
            logger.exception(
                "Sweep: issuing guarantee %s failed; next sweep retries.", guarantee_id
            )
            continue
        if certificate is not None:
            issued.append(certificate.pk)
    return issued
