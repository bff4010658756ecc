import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.kinds import GuaranteeKind
from core.text import YEN_TOO_LARGE, AmountTooLarge, parse_yen
from core.wareki import DateReadError, read_date

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EstimateForm(forms.Form):
    """The query of the live estimate: what the application form holds so far."""

    kind = forms.ChoiceField(
        choices=GuaranteeKind.choices,
        error_messages={
            "required": _("保証の種類を指定してください。"),
            "invalid_choice": _("保証の種類が正しくありません。"),
        },
    )
    amount = forms.CharField(error_messages={"required": _("保証金額を入力してください。")})
    contract_date = forms.CharField(error_messages={"required": _("契約日を入力してください。")})
    period_end = forms.CharField(error_messages={"required": _("工期(至)を入力してください。")})

    def clean_amount(self) -> int:
        try:
            amount = parse_yen(self.cleaned_data["amount"])
        except AmountTooLarge:
            raise forms.ValidationError(YEN_TOO_LARGE, code="too_large") from None
        except ValueError:
            raise forms.ValidationError(
                _("金額は数字で入力してください(例: 20,000,000)。"), code="invalid"
            ) from None
        if not amount:
            raise forms.ValidationError(_("1円以上の金額を入力してください。"), code="positive")
        return amount

    def clean_contract_date(self) -> datetime.date:
        return _parse_date(
            self.cleaned_data["contract_date"], _("契約日の日付が正しくありません。")
        )

    def clean_period_end(self) -> datetime.date:
        return _parse_date(self.cleaned_data["period_end"], _("工期(至)の日付が正しくありません。"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("contract_date"), cleaned.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("工期(至)が契約日より前になっています。"))
        return cleaned

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return ""


def _parse_date(value: str, message: "StrOrPromise") -> datetime.date:
    """The application form's date as typed there (2026-11-20, 令和8年11月20日, R8.11.20 …),
    read by the form's own reader."""
    try:
        day = read_date(value)
    except DateReadError:
        day = None
    if day is None:
        raise forms.ValidationError(message, code="invalid")
    return day
