"""Reads of guarantees: what a contractor user may see of them."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from guarantees.models import Guarantee

# A fee is computed when the branch approves (承諾); every later status keeps it.
FEE_FIXED_STATUSES = [
    Guarantee.Status.APPROVED,
    Guarantee.Status.ISSUED,
    Guarantee.Status.AMENDED,
    Guarantee.Status.CANCELLED,
    Guarantee.Status.EXPIRED,
]


def fee_statements_for(user) -> QuerySet[Guarantee]:
    """The guarantees of the user's own company with a fixed fee: those 保証料計算書一覧 lists."""
    if user.contractor_id is None:
        return Guarantee.objects.none()
    return Guarantee.objects.filter(
        application__contractor_id=user.contractor_id,
        status__in=FEE_FIXED_STATUSES,
        fee_breakdown__isnull=False,
    )


def fee_statement_rows(user) -> QuerySet[Guarantee]:
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


def fee_statement_for_user_or_404(user, pk: int) -> Guarantee:
    """The guarantee `pk` if the user's company may have its fee statement; 404 otherwise
    (another company's, or not approved yet: the same answer, so ids cannot be probed)."""
    return get_object_or_404(
        fee_statements_for(user).select_related(
            "application__obligee", "application__contractor", "application__branch"
        ),
        pk=pk,
    )


def latest_snapshot(guarantee: Guarantee) -> dict | None:
    """What the newest certificate version of `guarantee` states, or None before issuance."""
    return guarantee.certificates.order_by("-version").values_list("snapshot", flat=True).first()
