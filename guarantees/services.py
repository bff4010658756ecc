"""State changes of guarantees."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from applications.selectors import locked_for_staff
from core.audit import log_action
from core.errors import ServiceError, StateError
from core.sequences import fiscal_year, next_value, peek_value
from fees.calculation import FeeBreakdown, FeeError, approval_fee
from guarantees.models import Guarantee
from notifications.services import notify_contractor


def _number_key(branch_code: str, approved_on) -> tuple[str, int]:
    year = fiscal_year(approved_on)
    return f"guarantee:{branch_code}:{year}", year


def guarantee_number(*, branch_code: str, approved_on) -> str:
    """`<branch code>-<fiscal year>-<6-digit serial>`, e.g. GM-2026-000123.

    The serial comes from a locked counter per branch and fiscal year, inside the approving
    transaction: concurrent approvals wait for each other, and a rolled-back approval gives its
    serial back, so a fiscal year has neither duplicates nor gaps.
    """
    key, year = _number_key(branch_code, approved_on)
    return f"{branch_code}-{year}-{next_value(key):06d}"


def _approval_fee(guarantee: Guarantee, application: Application, today) -> FeeBreakdown:
    """The fee an approval on `today` fixes; a ServiceError when it cannot be computed."""
    try:
        return approval_fee(
            kind=guarantee.kind,
            amount=guarantee.amount,
            contract_date=application.contract_date,
            period_end=application.period_end,
            approved_on=today,
        )
    except FeeError as exc:
        # The sending rules refuse what cannot be priced, but time passes between sending and
        # approval (the works period may have ended) and fee tables change.
        raise ServiceError(
            _("保証料を計算できないため承諾できません: %(reason)s") % {"reason": exc.message},
            code="fee",
        ) from exc


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving a guarantee now would assign, for the confirmation page. Reading it
    consumes nothing: the number is the next free serial, which a concurrent approval may take
    first (so it is shown as 予定)."""

    number: str
    fee: FeeBreakdown | None
    refusal: str | None  # why the approval would be refused (state or fee), or None


def guarantee_approval_preview(
    *, guarantee: Guarantee, application: Application
) -> ApprovalPreview:
    today = timezone.localdate()
    key, year = _number_key(application.branch.code, today)
    number = f"{application.branch.code}-{year}-{peek_value(key):06d}"
    refusal = application.approve_refusal(guarantee)
    fee = None
    try:
        fee = _approval_fee(guarantee, application, today)
    except ServiceError as exc:
        refusal = refusal or exc.message
    return ApprovalPreview(number=number, fee=fee, refusal=refusal)


@transaction.atomic
def guarantee_approve(*, guarantee_id: int, user) -> Guarantee:
    """承諾: assign the guarantee number and compute the fee, frozen with its breakdown."""
    application_id = (
        Guarantee.objects.filter(pk=guarantee_id).values_list("application_id", flat=True).first()
    )
    # The application first, then the guarantee: the order application_return locks them in.
    application = locked_for_staff(application_id, user)
    guarantee = Guarantee.objects.select_for_update().get(pk=guarantee_id)
    refusal = application.approve_refusal(guarantee)
    if refusal is not None:
        raise StateError(refusal, code="not_reviewing")
    now = timezone.now()
    today = timezone.localdate(now)
    breakdown = _approval_fee(guarantee, application, today)
    guarantee.number = guarantee_number(branch_code=application.branch.code, approved_on=today)
    guarantee.status = Guarantee.Status.APPROVED
    guarantee.fee = breakdown.fee
    guarantee.fee_breakdown = breakdown.as_json()
    guarantee.approved_at = now
    guarantee.save(update_fields=["number", "status", "fee", "fee_breakdown", "approved_at"])
    Application.objects.filter(pk=application.pk).update(updated_at=now)
    log_action(
        application,
        "guarantee.approved",
        user=user,
        data={"kind": guarantee.kind, "number": guarantee.number, "fee": guarantee.fee},
    )
    notify_contractor(
        application, "guarantee_approved", f"approved-{guarantee.pk}", guarantee=guarantee
    )
    return guarantee
