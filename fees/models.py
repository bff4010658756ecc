"""The fee (保証料) rate tables, kept by staff in the admin with the date each takes effect.

A table holds marginal tiers (the part of the guaranteed amount inside each tier × the tier's
annual rate) and period factors (the annual fee scaled by the length of the guarantee period).
How they are applied is in fees/calculation.py.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.kinds import GuaranteeKind

# The longest guarantee period a table must be able to price: ten years, counted as the longest
# ten-year span (3,650 days and up to three leap days). Longer periods are an error.
COVERED_DAYS = 3653


class FeeTable(models.Model):
    """The rates for one guarantee kind from `effective_from` until the next table of that kind."""

    kind = models.CharField(_("保証の種類"), max_length=10, choices=GuaranteeKind.choices)
    effective_from = models.DateField(_("適用開始日"))
    minimum_fee = models.PositiveBigIntegerField(_("最低保証料(円)"))
    note = models.CharField(_("備考"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["kind", "-effective_from"]
        verbose_name = _("保証料率表")
        verbose_name_plural = _("保証料率表")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "effective_from"], name="fee_table_one_per_kind_and_date"
            ),
            models.CheckConstraint(
                name="fee_table_minimum_fee_not_negative",
                condition=Q(minimum_fee__gte=0),
                violation_error_message=_("最低保証料は0円以上にしてください。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_from:%Y-%m-%d}〜"


class FeeTier(models.Model):
    """One band of the guaranteed amount and its annual rate (a fraction: 0.0045 = 0.45%)."""

    table = models.ForeignKey(FeeTable, on_delete=models.CASCADE, related_name="tiers")
    upper_bound = models.PositiveBigIntegerField(
        _("保証金額の上限(円)"),
        null=True,
        blank=True,
        help_text=_("この金額までの部分に適用します。空欄は上限なし(最上位の区分)。"),
    )
    rate = models.DecimalField(
        _("年料率"),
        max_digits=7,
        decimal_places=6,
        help_text=_("小数で入力します(0.0045 = 年0.45%)。"),
    )

    class Meta:
        ordering = ["table_id", F("upper_bound").asc(nulls_last=True)]
        verbose_name = _("料率区分")
        verbose_name_plural = _("料率区分")
        constraints = [
            models.UniqueConstraint(fields=["table", "upper_bound"], name="fee_tier_one_per_bound"),
            models.UniqueConstraint(
                fields=["table"],
                condition=Q(upper_bound__isnull=True),
                name="fee_tier_one_open_ended",
            ),
            models.CheckConstraint(
                name="fee_tier_rate_not_negative",
                condition=Q(rate__gte=0),
                violation_error_message=_("年料率は0以上にしてください。"),
            ),
            models.CheckConstraint(
                name="fee_tier_upper_bound_positive",
                condition=Q(upper_bound__isnull=True) | Q(upper_bound__gt=0),
                violation_error_message=_("保証金額の上限は1円以上にしてください。"),
            ),
        ]

    def __str__(self) -> str:
        return f"≤{self.upper_bound:,}: {self.rate}" if self.upper_bound else f"∞: {self.rate}"


class FeePeriodFactor(models.Model):
    """The factor applied to the annual fee for periods of at most `up_to_days` days."""

    table = models.ForeignKey(FeeTable, on_delete=models.CASCADE, related_name="period_factors")
    up_to_days = models.PositiveIntegerField(
        _("保証期間の日数(以下)"),
        help_text=_("保証期間(始期と終期を含む日数)がこの日数以下のときに適用します。"),
    )
    factor = models.DecimalField(
        _("期間係数"),
        max_digits=7,
        decimal_places=4,
        help_text=_("年額に乗じる係数(1年 = 1.0)。"),
    )

    class Meta:
        ordering = ["table_id", "up_to_days"]
        verbose_name = _("期間係数")
        verbose_name_plural = _("期間係数")
        constraints = [
            models.UniqueConstraint(
                fields=["table", "up_to_days"], name="fee_period_factor_one_per_days"
            ),
            models.CheckConstraint(
                name="fee_period_factor_days_positive",
                condition=Q(up_to_days__gt=0),
                violation_error_message=_("日数は1日以上にしてください。"),
            ),
            models.CheckConstraint(
                name="fee_period_factor_factor_positive",
                condition=Q(factor__gt=0),
                violation_error_message=_("期間係数は0より大きい値にしてください。"),
            ),
        ]

    def __str__(self) -> str:
        return f"≤{self.up_to_days}: {self.factor}"
