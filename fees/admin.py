import itertools

from django import forms
from django.contrib import admin
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdminMixin
from fees.models import COVERED_DAYS, FeePeriodFactor, FeeTable, FeeTier


def _kept_rows(formset) -> list[dict]:
    """The cleaned rows that will be saved (not deleted, not left blank)."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class FeeTierFormSet(forms.BaseInlineFormSet):
    """Every amount must fall in some tier: exactly one tier has no upper bound."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        open_ended = [row for row in _kept_rows(self) if row.get("upper_bound") is None]
        if len(open_ended) != 1:
            raise forms.ValidationError(
                _("上限なし(保証金額の上限が空欄)の料率区分を1つだけ設けてください。")
            )


class FeePeriodFactorFormSet(forms.BaseInlineFormSet):
    """Every period up to ten years must have a factor, and a longer period never costs less."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = sorted(_kept_rows(self), key=lambda row: row["up_to_days"])
        if not rows or rows[-1]["up_to_days"] < COVERED_DAYS:
            raise forms.ValidationError(
                _("期間係数は%(days)s日(10年)以下のすべての期間を含むように設けてください。")
                % {"days": f"{COVERED_DAYS:,}"}
            )
        for shorter, longer in itertools.pairwise(rows):
            if longer["factor"] < shorter["factor"]:
                raise forms.ValidationError(
                    _("期間係数は期間が長いほど小さくならないように設けてください。")
                )


class FeeTierInline(admin.TabularInline):
    model = FeeTier
    formset = FeeTierFormSet
    extra = 0
    min_num = 1


class FeePeriodFactorInline(admin.TabularInline):
    model = FeePeriodFactor
    formset = FeePeriodFactorFormSet
    extra = 0
    min_num = 1


@admin.register(FeeTable)
class FeeTableAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "effective_from", "in_force", "minimum_fee_yen", "tier_count", "note"]
    list_display_links = ["kind", "effective_from"]
    list_filter = ["kind"]
    date_hierarchy = "effective_from"
    ordering = ["kind", "-effective_from"]
    fields = ["kind", "effective_from", "minimum_fee", "note"]
    inlines = [FeeTierInline, FeePeriodFactorInline]

    def get_queryset(self, request):
        # Whether each table is the one in force today for its kind: effective already, and no
        # later table of the same kind is effective yet.
        today = timezone.localdate()
        newer_in_force = FeeTable.objects.filter(
            kind=OuterRef("kind"),
            effective_from__gt=OuterRef("effective_from"),
            effective_from__lte=today,
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                tier_count=Count("tiers"),
                in_force=ExpressionWrapper(
                    Q(effective_from__lte=today) & ~Exists(newer_in_force),
                    output_field=BooleanField(),
                ),
            )
        )

    @admin.display(description=_("現在適用中"), boolean=True)
    def in_force(self, table: FeeTable) -> bool:
        return table.in_force

    @admin.display(description=_("最低保証料"), ordering="minimum_fee")
    def minimum_fee_yen(self, table: FeeTable) -> str:
        return _("%(amount)s円") % {"amount": f"{table.minimum_fee:,}"}

    @admin.display(description=_("料率区分の数"))
    def tier_count(self, table: FeeTable) -> int:
        return table.tier_count
