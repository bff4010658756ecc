"""State changes of guarantees."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from core.audit import log_action
from core.errors import ServiceError, StateError
from core.sequences import fiscal_year, next_value
from fees.calculation import FeeError, compute_fee, guarantee_period
from guarantees.models import Guarantee
from notifications.services import notify_contractor


def guarantee_number(*, branch_code: str, approved_on) -> str:
    """`<branch code>-<fiscal year>-<6-digit serial>`, e.g. GM-2026-000123.

    The serial comes from a locked counter per branch and fiscal year, inside the approving
    transaction: concurrent approvals wait for each other, and a rolled-back approval gives its
    serial back, so a fiscal year has neither duplicates nor gaps.
    """
    year = fiscal_year(approved_on)
    serial = next_value(f"guarantee:{branch_code}:{year}")
    return f"{branch_code}-{year}-{serial:06d}"


@transaction.atomic
def guarantee_approve(*, guarantee_id: int, user) -> Guarantee:
    """承諾: assign the guarantee number and compute the fee, frozen with its breakdown."""
    guarantee = Guarantee.objects.select_for_update().get(pk=guarantee_id)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("branch", "contractor", "obligee", "created_by")
        .get(pk=guarantee.application_id)
    )
    if application.status != Application.Status.REVIEWING:
        raise StateError(
            _("%(status)sの申込の保証は承諾できません(受付後の審査中の申込のみ承諾できます)。")
            % {"status": application.get_status_display()},
            code="not_reviewing",
        )
    if guarantee.status != Guarantee.Status.REVIEWING:
        raise StateError(
            _("この%(kind)sはすでに%(status)sです。")
            % {"kind": guarantee.get_kind_display(), "status": guarantee.get_status_display()},
            code="not_reviewing",
        )
    now = timezone.now()
    today = timezone.localdate(now)
    start, end = guarantee_period(
        contract_date=application.contract_date,
        approved_on=today,
        period_end=application.period_end,
    )
    try:
        breakdown = compute_fee(
            kind=guarantee.kind,
            amount=guarantee.amount,
            period_start=start,
            period_end=end,
            on=today,
        )
    except FeeError as exc:
        # The sending rules refuse what cannot be priced, but time passes between sending and
        # approval (the works period may have ended) and fee tables change.
        raise ServiceError(
            _("保証料を計算できないため承諾できません: %(reason)s") % {"reason": exc.message},
            code="fee",
        ) from exc
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
