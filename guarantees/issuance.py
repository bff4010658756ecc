"""Issuing certificates (発行, SPEC §5): the staff's request, the worker's issuance, the sweep.

An electronic certificate is made in one transaction that holds the row locks of the application
and the guarantee, in the order every staff action takes them (guarantees.locking): render,
sign (PAdES B-LTA), make the key, store the PDF, insert the version, mark the guarantee 発行済. A
second run waits for the lock and then finds the version; a run killed half-way commits nothing
(its PDF, stored under the name of the version, is overwritten by the retry), so retries and
duplicates still end with exactly one version and one key.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.audit import log_action
from core.errors import StateError
from core.queueing import queue_after_commit
from guarantees import rendering, selectors, tasks
from guarantees.locking import locked_for_worker, locked_guarantee
from guarantees.models import Certificate, Guarantee
from guarantees.snapshot import certificate_snapshot
from guarantees.versions import new_version, next_version_number
from notifications.services import message_enqueue


def fee_statement(guarantee: Guarantee) -> bytes:
    """保証料計算書 (PDF) of an approved guarantee. Once issued it names what the newest certificate
    version states; before issuance, the guarantee as approved."""
    if guarantee.fee_breakdown is None:  # approval fixes it (selectors.fee_statements_for)
        raise ValueError("Only an approved guarantee has a fee statement.")
    snapshot = selectors.latest_snapshot(guarantee) or certificate_snapshot(
        guarantee, version=1, issued_on=timezone.localdate(guarantee.approved_at)
    )
    return rendering.render_fee_statement(snapshot, guarantee.fee_breakdown)


# The staff's side


@transaction.atomic
def issue_request(*, guarantee_id: int, user: User) -> Guarantee:
    """発行 by the branch. Electronic: record the request and queue the issuance after commit.
    Paper: render the certificate unsigned for the branch to print (発行済 once handed over)."""
    guarantee = locked_guarantee(guarantee_id, user)
    application = guarantee.application
    refusal = guarantee.issue_refusal(printed=guarantee.certificates.exists())
    if refusal is not None:
        raise StateError(refusal, code="not_issuable")
    now = timezone.now()
    # Refused here, with the reason, rather than by the worker's render after it was queued.
    snapshot = certificate_snapshot(
        guarantee, version=next_version_number(guarantee), issued_on=timezone.localdate(now)
    )
    if (problem := rendering.date_problem(snapshot)) is not None:
        raise StateError(problem, code="undated")
    if guarantee.is_electronic:
        guarantee.issue_requested_at = now
        guarantee.save(update_fields=["issue_requested_at"])
        log_action(
            application, "guarantee.issue_requested", user=user, data={"number": guarantee.number}
        )
        queue_after_commit(tasks.issue_certificate, guarantee.pk)
    else:
        certificate = new_version(guarantee, now=now, user=user, signed=False)
        log_action(
            application,
            "certificate.printable",
            user=user,
            data={"number": guarantee.number, "version": certificate.version},
        )
    return guarantee


@transaction.atomic
def paper_handover(*, guarantee_id: int, user: User) -> Certificate:
    """The branch printed the paper certificate and handed it over: the guarantee is 発行済."""
    guarantee = locked_guarantee(guarantee_id, user)
    certificate = (
        guarantee.certificates.filter(certificate_format=Guarantee.Format.PAPER)
        .order_by("-version")
        .first()
    )
    refusal = guarantee.handover_refusal(printed=certificate is not None)
    if refusal is not None:
        raise StateError(refusal, code="not_printable")
    assert certificate is not None  # refused above unless printed
    now = timezone.now()
    certificate.handed_over_at = now
    certificate.save(update_fields=["handed_over_at"])
    _mark_issued(guarantee, now=now, user=user, certificate=certificate)
    return certificate


# The worker's side


def certificate_issue(guarantee_id: int) -> Certificate | None:
    """Issue the electronic certificate `guarantee_id` is owed (idempotent).

    Returns the current version (new or made by an earlier run), or None when the guarantee is
    owed nothing (not approved electronic with a request, e.g. withdrawn meanwhile).
    """
    with transaction.atomic():
        guarantee = locked_for_worker(guarantee_id)
        application = guarantee.application
        current = guarantee.certificates.filter(superseded_at__isnull=True).order_by("-version")
        if guarantee.status != Guarantee.Status.APPROVED:
            return current.first()
        if not guarantee.is_electronic or guarantee.issue_requested_at is None:
            return None
        now = timezone.now()
        certificate = new_version(guarantee, now=now, user=None, signed=True)
        _mark_issued(guarantee, now=now, user=None, certificate=certificate)
        if application.notify_issuance and application.notify_email:
            message_enqueue(
                template="certificate_issued",
                recipient=application.notify_email,
                context={"application": application, "certificate": certificate},
                dedup_key=f"certificate_issued:{certificate.pk}",
            )
    return certificate


def issuance_overdue(*, older_than: datetime.timedelta | None = None) -> list[int]:
    """Approved electronic guarantees whose requested issuance never finished (the task was
    never queued — broker down — or its worker died): their ids, oldest request first."""
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.ISSUANCE_SWEEP_GRACE_SECONDS)
    return list(
        Guarantee.objects.filter(
            status=Guarantee.Status.APPROVED,
            certificate_format=Guarantee.Format.ELECTRONIC,
            issue_requested_at__lte=timezone.now() - older_than,
        )
        .order_by("issue_requested_at", "pk")
        .values_list("pk", flat=True)
    )


# When the worker gives up (the failure path)

# The most of an error's text kept for the branch to read.
FAILURE_REASON_MAX_LENGTH = 500


def issuance_failed(guarantee_id: int, *, error: BaseException) -> bool:
    """Record that the worker gave up issuing `guarantee_id` (its last retry failed): the page
    shows 発行失敗 with the error and offers 再発行を試みる. Whether it was recorded: not when
    the guarantee is owed nothing any more (issued meanwhile, e.g. by the sweep)."""
    reason = f"{type(error).__name__}: {error}"[:FAILURE_REASON_MAX_LENGTH]
    with transaction.atomic():
        guarantee = (
            Guarantee.objects.select_for_update(of=("self",))
            .select_related("application")
            .get(pk=guarantee_id)
        )
        state = guarantee.issuance_state
        if state is None:
            return False
        guarantee.issue_failed_at = timezone.now()
        guarantee.issue_failure_reason = reason
        guarantee.save(update_fields=["issue_failed_at", "issue_failure_reason"])
        # Once per failure: the sweep trying a failed issuance every minute updates the error
        # shown, without a line in the history each time.
        if state == "pending":
            log_action(
                guarantee.application,
                "guarantee.issue_failed",
                data={"kind": guarantee.kind, "number": guarantee.number, "reason": reason},
            )
    return True


@transaction.atomic
def issue_retry(*, guarantee_id: int, user: User) -> Guarantee:
    """再発行を試みる: queue the failed issuance of `guarantee_id` again. A second click finds
    the issuance pending again and is refused, so one click queues one task."""
    guarantee = locked_guarantee(guarantee_id, user)
    application = guarantee.application
    refusal = guarantee.retry_refusal()
    if refusal is not None:
        raise StateError(refusal, code="not_failed")
    guarantee.issue_failed_at = None
    guarantee.issue_failure_reason = ""
    # A new request: the sweep's grace period starts again from now.
    guarantee.issue_requested_at = timezone.now()
    guarantee.save(update_fields=["issue_failed_at", "issue_failure_reason", "issue_requested_at"])
    log_action(
        application,
        "guarantee.issue_retried",
        user=user,
        data={"kind": guarantee.kind, "number": guarantee.number},
    )
    queue_after_commit(tasks.issue_certificate, guarantee.pk)
    return guarantee


def _mark_issued(
    guarantee: Guarantee, *, now: datetime.datetime, user: User | None, certificate: Certificate
) -> None:
    guarantee.status = Guarantee.Status.ISSUED
    guarantee.save(update_fields=["status"])
    application = guarantee.application
    application.guarantee_issued(now=now)
    log_action(
        application,
        "guarantee.issued",
        user=user,
        data={
            "kind": guarantee.kind,
            "number": guarantee.number,
            "version": certificate.version,
            "format": certificate.certificate_format,
            "sha256": certificate.sha256,
        },
    )
