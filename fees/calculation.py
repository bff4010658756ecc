"""The fee (保証料): guaranteed amount × marginal annual rates × period factor (SPEC §4).

    base   = Σ (part of the amount inside each tier × the tier's annual rate)   exact, in yen
    scaled = base × the factor of the guarantee period, rounded down to the yen
    fee    = max(scaled, the table's minimum fee)

All arithmetic is Decimal; the only rounding is the final one, down to the yen. The advance-payment
and contract guarantee fees carry no consumption tax. The result records every step and the table
it came from, so that storing `as_json()` with a guarantee freezes the fee statement: a later
change of the table does not change an approved fee or how it was computed.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.kinds import GuaranteeKind
from fees.models import FeeTable

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Bump when the keys of as_json() change, so readers of stored breakdowns can tell versions apart.
BREAKDOWN_SCHEMA = 1

# Enough digits for the largest PositiveBigIntegerField amount × rate × factor, exactly.
_PRECISION = 60


class FeeError(Exception):
    """The fee cannot be computed; `message` says why, in Japanese, for staff and contractors."""

    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(str(message))
        self.message = message


class FeeTableNotFound(FeeError):
    pass


class FeeTableIncomplete(FeeError):
    """The table has no tier for part of the amount, or no factor for the period's length."""


class AmountNotCovered(FeeTableIncomplete):
    """No tier of the table prices part of the amount."""


class PeriodNotCovered(FeeTableIncomplete):
    """The guarantee period is longer than the table's longest period factor."""

    def __init__(self, message: "StrOrPromise", *, longest_days: int | None) -> None:
        super().__init__(message)
        self.longest_days = longest_days


class InvalidFeeInput(FeeError):
    pass


@dataclass(frozen=True)
class TierLine:
    """The part of the amount above `lower` and up to `upper` (None: no limit), at `rate`."""

    lower: int
    upper: int | None
    portion: int
    rate: Decimal
    subtotal: Decimal


@dataclass(frozen=True)
class FeeBreakdown:
    kind: str
    amount: int
    table_id: int
    effective_from: datetime.date
    computed_on: datetime.date
    tiers: tuple[TierLine, ...]
    base: Decimal
    period_start: datetime.date
    period_end: datetime.date
    days: int
    factor_up_to_days: int
    factor: Decimal
    scaled: int
    minimum_fee: int
    minimum_applied: bool
    fee: int

    # SPEC §4: no consumption tax on these fees. Kept in the record so the statement can say so.
    consumption_tax: int = 0

    def as_json(self) -> dict:
        """Everything the fee statement shows: whole yen as ints, rates and factors as strings.

        `base` and the tier subtotals are exact (they may have fractions of a yen, since only the
        final fee is rounded) and so are strings too.
        """
        return {
            "schema": BREAKDOWN_SCHEMA,
            "kind": self.kind,
            "amount": self.amount,
            "table_id": self.table_id,
            "effective_from": self.effective_from.isoformat(),
            "computed_on": self.computed_on.isoformat(),
            "tiers": [
                {
                    "lower": tier.lower,
                    "upper": tier.upper,
                    "portion": tier.portion,
                    "rate": _plain(tier.rate),
                    "subtotal": _plain(tier.subtotal),
                }
                for tier in self.tiers
            ],
            "base": _plain(self.base),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "days": self.days,
            "factor_up_to_days": self.factor_up_to_days,
            "factor": _plain(self.factor),
            "scaled": self.scaled,
            "minimum_fee": self.minimum_fee,
            "minimum_applied": self.minimum_applied,
            "fee": self.fee,
            "consumption_tax": self.consumption_tax,
            "tax_exempt": True,
        }


def _plain(value: Decimal) -> str:
    """Decimal('0.004500') → '0.0045', Decimal('45000.000') → '45000' (never exponent notation)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def guarantee_period(
    *, contract_date: datetime.date, approved_on: datetime.date, period_end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """保証期間: from the contract date, or the approval date if later, to the end of the works.

    SPEC §4 says "the issue date, if later": the fee is fixed when the branch approves, and the
    certificate is issued from that approval, so the approval date stands in for it.
    """
    return max(contract_date, approved_on), period_end


def compute_fee(
    *,
    kind: str,
    amount: int,
    period_start: datetime.date,
    period_end: datetime.date,
    on: datetime.date,
) -> FeeBreakdown:
    """The fee for guaranteeing `amount` yen from `period_start` to `period_end` (both included),
    with the table of `kind` in force on `on` (the latest one effective on or before that date).

    Raises FeeError (FeeTableNotFound, FeeTableIncomplete, InvalidFeeInput) with a Japanese message.
    """
    if amount <= 0:
        raise InvalidFeeInput(_("保証金額は1円以上で指定してください。"))
    if period_end < period_start:
        raise InvalidFeeInput(_("保証期間の終期が始期より前になっています。"))
    table = (
        FeeTable.objects.filter(kind=kind, effective_from__lte=on)
        .order_by("-effective_from")
        .prefetch_related("tiers", "period_factors")
        .first()
    )
    if table is None:
        raise FeeTableNotFound(
            _("%(date)s時点で適用される%(kind)sの保証料率表がありません。")
            % {"date": date_format(on), "kind": dict(GuaranteeKind.choices).get(kind, kind)}
        )

    with localcontext() as context:
        context.prec = _PRECISION
        tiers = _tier_lines(table, amount)
        base = sum((tier.subtotal for tier in tiers), Decimal(0))
        days = (period_end - period_start).days + 1
        factor_row = next(
            (row for row in table.period_factors.all() if row.up_to_days >= days), None
        )
        if factor_row is None:
            raise PeriodNotCovered(
                _("保証期間(%(days)s日)が保証料率表の期間係数の範囲を超えています。")
                % {"days": f"{days:,}"},
                longest_days=max(
                    (row.up_to_days for row in table.period_factors.all()), default=None
                ),
            )
        scaled = int((base * factor_row.factor).to_integral_value(rounding=ROUND_DOWN))

    return FeeBreakdown(
        kind=kind,
        amount=amount,
        table_id=table.pk,
        effective_from=table.effective_from,
        computed_on=on,
        tiers=tiers,
        base=base,
        period_start=period_start,
        period_end=period_end,
        days=days,
        factor_up_to_days=factor_row.up_to_days,
        factor=factor_row.factor,
        scaled=scaled,
        minimum_fee=table.minimum_fee,
        minimum_applied=scaled < table.minimum_fee,
        fee=max(scaled, table.minimum_fee),
    )


def _tier_lines(table: FeeTable, amount: int) -> tuple[TierLine, ...]:
    """The marginal tiers `amount` reaches; the open-ended tier (no upper bound) comes last."""
    ordered = sorted(
        table.tiers.all(), key=lambda tier: (tier.upper_bound is None, tier.upper_bound or 0)
    )
    lines = []
    lower = 0
    for tier in ordered:
        if lower >= amount:
            break
        top = amount if tier.upper_bound is None else min(amount, tier.upper_bound)
        portion = top - lower
        lines.append(
            TierLine(
                lower=lower,
                upper=tier.upper_bound,
                portion=portion,
                rate=tier.rate,
                subtotal=portion * tier.rate,
            )
        )
        lower = top
    if lower < amount:
        raise AmountNotCovered(
            _("保証金額(%(amount)s円)が保証料率表の料率区分の範囲を超えています。")
            % {"amount": f"{amount:,}"}
        )
    return tuple(lines)


def approval_fee(
    *,
    kind: str,
    amount: int,
    contract_date: datetime.date,
    period_end: datetime.date,
    approved_on: datetime.date,
) -> FeeBreakdown:
    """The fee a guarantee of `amount` yen gets if approved on `approved_on`: its guarantee
    period (guarantee_period) priced with the table of `kind` in force that day.

    What approval fixes, what the confirm page and the form's estimate show, and what the
    sending rules check. Raises FeeError, as compute_fee() does.
    """
    start, end = guarantee_period(
        contract_date=contract_date, approved_on=approved_on, period_end=period_end
    )
    return compute_fee(kind=kind, amount=amount, period_start=start, period_end=end, on=approved_on)


@dataclass(frozen=True)
class ApprovalFee:
    """The fee approving a guarantee on a day would fix (`breakdown`), or why no fee can be
    computed (`reason`, FeeError's message; then `breakdown` is None)."""

    breakdown: FeeBreakdown | None
    reason: "StrOrPromise | None" = None


# (The guarantee and its application: fees does not import the guarantees and applications apps.)
def approval_fee_for(guarantee: Any, application: Any, today: datetime.date) -> ApprovalFee:
    """approval_fee() of `guarantee` with the dates its `application` states, approved `today`:
    what approval fixes, the approval page previews and the confirm page estimates."""
    try:
        breakdown = approval_fee(
            kind=guarantee.kind,
            amount=guarantee.amount,
            contract_date=application.contract_date,
            period_end=application.period_end,
            approved_on=today,
        )
    except FeeError as exc:
        return ApprovalFee(breakdown=None, reason=exc.message)
    return ApprovalFee(breakdown=breakdown)


def estimate_for(guarantee: Any, application: Any, today: datetime.date) -> FeeBreakdown | None:
    """The fee the guarantee would get if approved `today` (for the confirm page), or None when
    the amount or dates are missing or no fee can be computed (no table, period out of range).
    """
    if not (guarantee.amount and application.contract_date and application.period_end):
        return None
    return approval_fee_for(guarantee, application, today).breakdown
