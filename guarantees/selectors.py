"""Reads of guarantees and certificates: what a contractor user may see (certificates, fee
statements), and what the public may."""

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet, TextChoices
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from guarantees.models import Certificate, Guarantee, Receipt

# What a verification token may look like: 128 random bits written as URL-safe base64 (22
# symbols) or hexadecimal (32). Anything else is refused before the database is asked.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,32}")


def certificates_for(user: User) -> QuerySet[Certificate]:
    """Every certificate version `user` may see: those of the user's own company's guarantees
    (the same scope as applications.selectors.applications_for)."""
    if user.contractor_id is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(guarantee__application__contractor_id=user.contractor_id)


def electronic_certificate_for_user_or_404(user: User, pk: int) -> Certificate:
    """The electronic certificate version `pk` of the user's company; 404 otherwise (another
    company's, or a paper one: the branch prints those, there is nothing to download)."""
    return get_object_or_404(
        certificates_for(user)
        .filter(certificate_format=Guarantee.Format.ELECTRONIC)
        .select_related("guarantee"),
        pk=pk,
    )


def with_certificates(guarantees: Iterable[Guarantee], *, today: datetime.date) -> None:
    """Sets on each of `guarantees` its certificate: `current_certificate` (the newest version, or
    None), `earlier_certificates` (oldest first) and `key_available` (an electronic certificate in
    force, whose key may be shown), from one query."""
    guarantees = list(guarantees)
    versions: dict[int, list[Certificate]] = {guarantee.pk: [] for guarantee in guarantees}
    if versions:
        for certificate in (
            Certificate.objects.filter(guarantee_id__in=versions)
            # The encrypted key stays in the database: only the key reveal reads it.
            .defer("key_encrypted")
            .order_by("guarantee_id", "version")
        ):
            versions[certificate.guarantee_id].append(certificate)
    received = received_on([versions[g.pk][-1].pk for g in guarantees if versions[g.pk]])
    for guarantee in guarantees:
        earlier = versions[guarantee.pk][:-1]
        current = versions[guarantee.pk][-1] if versions[guarantee.pk] else None
        guarantee.current_certificate = current
        # 発注者受領済: when the obligee registered the current version's key.
        guarantee.received_at = received.get(current.pk) if current else None
        guarantee.earlier_certificates = earlier
        if current is not None:
            current.guarantee = guarantee
        guarantee.key_available = (
            current is not None
            and current.is_electronic
            and certificate_state(current, today=today) == CertificateState.VALID
        )


def certificate_by_token_or_404(token: str) -> Certificate:
    """The certificate whose verification address carries `token`.

    One plain 404 for every token that is not one of ours — malformed, of any length, or simply
    unknown — so that the answer tells nothing about how tokens look or which exist.
    """
    if not _TOKEN.fullmatch(token):
        raise Http404
    return get_object_or_404(
        Certificate.objects.select_related("guarantee").only(
            "id", "version", "snapshot", "superseded_at", "guarantee__status"
        ),
        verify_token=token,
    )


class CertificateState(TextChoices):
    """A certificate version's standing, as the verification page and obligees see it."""

    VALID = "valid", _("有効")
    SUPERSEDED = "superseded", _("変更済")
    CANCELLED = "cancelled", _("解約")
    EXPIRED = "expired", _("期間満了")
    # A paper certificate printed but not yet handed over: in nobody's hands but the branch's.
    NOT_HANDED_OVER = "not_handed_over", _("交付前")


def certificate_state(certificate: Certificate, *, today: datetime.date) -> CertificateState:
    """Whether `certificate` (with its guarantee loaded) is in force on `today`.

    A newer version replaces it (変更済) whatever became of the guarantee later. The guarantee
    period it states ends the guarantee on its own: its end date passed counts as 期間満了 even
    before anyone records the expiry.
    """
    return state_of(
        superseded=certificate.superseded_at is not None,
        status=certificate.guarantee.status,
        period_end=certificate.snapshot.get("guarantee_period", {}).get("end"),
        today=today,
    )


def state_of(
    *, superseded: bool, status: str, period_end: str | None, today: datetime.date
) -> CertificateState:
    """certificate_state() from the values it depends on (as a list reads them): whether a newer
    version replaced it, its guarantee's status, and the guarantee period's end it states (ISO)."""
    if superseded:
        return CertificateState.SUPERSEDED
    if status == Guarantee.Status.CANCELLED:
        return CertificateState.CANCELLED
    if status not in (*Guarantee.IN_FORCE, Guarantee.Status.EXPIRED):
        return CertificateState.NOT_HANDED_OVER
    if status == Guarantee.Status.EXPIRED or (
        period_end and datetime.date.fromisoformat(period_end) < today
    ):
        return CertificateState.EXPIRED
    return CertificateState.VALID


def fee_statements_for(user: User) -> QuerySet[Guarantee]:
    """The guarantees of the user's own company with a fixed fee: those 保証料計算書一覧 lists."""
    if user.contractor_id is None:
        return Guarantee.objects.none()
    return Guarantee.objects.filter(
        application__contractor_id=user.contractor_id,
        status__in=Guarantee.FEE_FIXED,
        fee_breakdown__isnull=False,
    )


def fee_statement_rows(user: User) -> QuerySet[Guarantee]:
    """The rows of 保証料計算書一覧, newest approval first, with only the columns it shows."""
    return (
        fee_statements_for(user)
        .select_related("application__obligee")
        .only(
            "id",
            "kind",
            "number",
            "fee",
            "approved_at",
            "application__works_name",
            "application__obligee__name",
        )
        .order_by("-approved_at", "-id")
    )


def fee_statement_for_user_or_404(user: User, pk: int) -> Guarantee:
    """The guarantee `pk` if the user's company may have its fee statement; 404 otherwise
    (another company's, or not approved yet: the same answer, so ids cannot be probed)."""
    return get_object_or_404(
        fee_statements_for(user).select_related(
            "application__obligee", "application__contractor", "application__branch"
        ),
        pk=pk,
    )


def latest_snapshot(guarantee: Guarantee) -> dict[str, Any] | None:
    """What the newest certificate version of `guarantee` states, or None before issuance."""
    return guarantee.certificates.order_by("-version").values_list("snapshot", flat=True).first()


def received_on(certificate_ids: list[int]) -> dict[int, datetime.datetime]:
    """{certificate id: the first time an obligee received it}, in one query (none if empty)."""
    received: dict[int, datetime.datetime] = {}
    if certificate_ids:
        for certificate_id, at in (
            Receipt.objects.filter(certificate_id__in=certificate_ids)
            .order_by("received_at")
            .values_list("certificate_id", "received_at")
        ):
            received.setdefault(certificate_id, at)
    return received


def receipts_for(user: User) -> QuerySet[Receipt]:
    """What the user's obligee has received (受領), newest first, with what the list shows."""
    if user.obligee_id is None:
        return Receipt.objects.none()
    return Receipt.objects.filter(obligee_id=user.obligee_id).select_related(
        "certificate__guarantee", "received_by"
    )
