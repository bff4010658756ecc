"""The obligee's search of its received certificates."""

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import JapaneseDateField, JapaneseDateInput
from core.text import YEN_TOO_LARGE, AmountTooLarge, parse_yen
from guarantees.received import ReceivedSearch

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _date_field(label: "StrOrPromise") -> JapaneseDateField:
    """An issue date typed in 西暦 or 和暦 (2026-04-01, 令和8年4月1日, R8.4.1), full-width
    digits accepted: the portal's one date reader."""
    return JapaneseDateField(
        label=label,
        required=False,
        help_text=_("西暦(2026-04-01)または和暦(令和8年4月1日、R8.4.1)"),
        widget=JapaneseDateInput(attrs=_input(placeholder="2026-04-01 / R8.4.1")),
    )


class _YenField(forms.CharField):
    """Whole yen as typed: 20,000,000 or ２０，０００，０００円."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=30, **kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)  # the length is checked on what was typed
        try:
            return parse_yen(text)
        except AmountTooLarge:
            raise forms.ValidationError(YEN_TOO_LARGE, code="too_large") from None
        except ValueError:
            raise forms.ValidationError(
                _("金額は円単位の数字で入力してください(例: 20,000,000)。"), code="invalid"
            ) from None


def _input(**attrs: "StrOrPromise") -> dict[str, "StrOrPromise"]:
    return {"class": "form-control", "autocomplete": "off", **attrs}


class ReceivedSearchForm(forms.Form):
    """The GET search of the received list (電子帳簿保存法: issue date and amount ranges, the
    contractor); every field is optional and any may be combined."""

    issued_from = _date_field(_("発行日(から)"))
    issued_to = _date_field(_("発行日(まで)"))
    amount_min = _YenField(
        label=_("保証金額(以上)"),
        widget=forms.TextInput(attrs=_input(inputmode="numeric", placeholder="10,000,000")),
    )
    amount_max = _YenField(
        label=_("保証金額(以下)"),
        widget=forms.TextInput(attrs=_input(inputmode="numeric", placeholder="50,000,000")),
    )
    contractor = forms.CharField(
        label=_("請負者名"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs=_input(type="search", placeholder=_("例: 〇〇建設"))),
    )

    def clean_contractor(self) -> str:
        value = self.cleaned_data["contractor"]
        if _CONTROL.search(value):
            raise forms.ValidationError(_("請負者名に使用できない文字が含まれています。"))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            self.add_error(
                "issued_to", _("発行日の範囲は、「から」に「まで」より前の日付を入力してください。")
            )
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "amount_max",
                _("保証金額の範囲は、「以上」に「以下」より小さい金額を入力してください。"),
            )
        return data

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"

    def search(self) -> ReceivedSearch | None:
        """The conditions, once the form is valid; None while any is wrong."""
        if not self.is_valid():
            return None
        return ReceivedSearch(**self.cleaned_data)

    @property
    def conditions(self) -> list[tuple[str, str]]:
        """(label, value as typed) of every condition given, for the printed list."""
        return [
            (str(field.label), str(field.value()))
            for field in self
            if field.value() not in (None, "")
        ]
