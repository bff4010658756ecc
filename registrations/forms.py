"""The 利用申込 form: what a company types, normalised as every form of the portal does (jaconv:
full-width digits and letters folded where a number is meant, half-width katakana widened)."""

import re
import unicodedata
from typing import Any

import jaconv
import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import normalise_email
from accounts.models import Branch
from core.text import normalise_phone, reject_bidi_controls, to_halfwidth_ascii
from registrations.checks import (
    CORPORATE_NUMBER_LENGTH,
    PERMIT_NUMBER_MAX,
    corporate_number_is_valid,
)
from registrations.models import PREFECTURE_CHOICES, Registration

_PHONE = re.compile(r"^[0-9-]+$")
# A reading in katakana: the long-vowel mark, the middle dot, spaces, and letters or digits for
# names that have them (ＮＥＸＣＯ).
_KANA = re.compile(r"^[\u30a0-\u30ff\u3000 A-Za-zＡ-Ｚａ-ｚ0-9０-９&＆.．,，・\-－]+$")
# Characters that separate the digits of a number as people write it (1234-56-7890).
_NUMBER_SEPARATORS = re.compile(r"[\s\-‐－−ー]")


def _text(value: str) -> str:
    """Half-width katakana widened (ｶﾌﾞｼｷｶﾞｲｼｬ → カブシキガイシャ), spaces trimmed; letters and
    digits as typed (a company writes its name its own way)."""
    value = jaconv.h2z(value, kana=True, ascii=False, digit=False)
    return unicodedata.normalize("NFC", value).strip(" \u3000")


def _digits(value: str) -> str:
    return _NUMBER_SEPARATORS.sub("", to_halfwidth_ascii(value))


def phone_error(value: str) -> str | None:
    """A Japanese phone number: digits and hyphens, 10 or 11 digits, a number plan that exists."""
    digits = value.replace("-", "")
    if not _PHONE.match(value) or not 10 <= len(digits) <= 11 or not digits.startswith("0"):
        return str(_("電話番号は市外局番から、数字とハイフンで入力してください(10桁または11桁)。"))
    if not phonenumbers.is_valid_number(phonenumbers.parse(digits, "JP")):
        return str(_("この電話番号は日本の電話番号として正しくありません。番号をご確認ください。"))
    return None


class RegistrationForm(forms.ModelForm):
    branch = forms.ModelChoiceField(
        label=_("担当営業部・支店"),
        queryset=Branch.objects.filter(is_active=True),
        empty_label=_("選択してください"),
        help_text=_(
            "お取引いただく営業部・支店を選んでください。審査はその営業部・支店が行います。"
        ),
    )
    permit_prefecture = forms.ChoiceField(
        label=_("許可した知事の都道府県"),
        choices=[("", _("選択してください")), *PREFECTURE_CHOICES],
        required=False,
        help_text=_("知事許可の場合に選んでください。"),
    )
    corporate_number = forms.CharField(
        label=_("法人番号"),
        max_length=40,
        help_text=_("13桁の数字です。国税庁の法人番号公表サイトで確認できます。"),
    )
    permit_number = forms.CharField(
        label=_("許可番号"),
        max_length=20,
        help_text=_("「第012345号」の数字の部分です。"),
    )
    applicant_email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_(
            "確認用のリンクをこのアドレスにお送りします。承認後は、このアドレスがログインIDになります。"
        ),
        error_messages={"invalid": _("メールアドレスの形式が正しくありません。")},
    )

    class Meta:
        model = Registration
        fields = [
            "company_name",
            "company_kana",
            "corporate_number",
            "permit_authority",
            "permit_prefecture",
            "permit_kind",
            "permit_number",
            "address",
            "representative",
            "branch",
            "applicant_name",
            "applicant_department",
            "applicant_phone",
            "applicant_email",
        ]
        widgets = {
            "permit_authority": forms.RadioSelect,
            "permit_kind": forms.RadioSelect,
        }
        labels = {"company_kana": _("商号(フリガナ)")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(reject_bidi_controls)
        self.fields["permit_authority"].choices = Registration.PermitAuthority.choices  # type: ignore[attr-defined]
        self.fields["permit_kind"].choices = Registration.PermitKind.choices  # type: ignore[attr-defined]
        self.fields["applicant_email"].widget.attrs["autocomplete"] = "email"
        self.fields["applicant_phone"].widget.attrs["autocomplete"] = "tel"

    def clean_company_name(self) -> str:
        return _text(self.cleaned_data["company_name"])

    def clean_company_kana(self) -> str:
        value = jaconv.hira2kata(_text(self.cleaned_data["company_kana"]))
        if value and not _KANA.match(value):
            raise forms.ValidationError(
                _("フリガナはカタカナで入力してください(ひらがなはカタカナに直します)。"),
                code="kana",
            )
        return value

    def clean_corporate_number(self) -> str:
        value = _digits(self.cleaned_data["corporate_number"])
        if not (value.isascii() and value.isdigit()) or len(value) != CORPORATE_NUMBER_LENGTH:
            raise forms.ValidationError(
                _("法人番号は13桁の数字で入力してください。"), code="corporate_number_format"
            )
        if not corporate_number_is_valid(value):
            raise forms.ValidationError(
                _(
                    "法人番号の検査用数字(先頭の1桁)が合いません。番号に誤りがないか、法人番号公表サイトでご確認ください。"
                ),
                code="corporate_number_check_digit",
            )
        return value

    def clean_permit_number(self) -> int:
        value = _digits(self.cleaned_data["permit_number"])
        value = value.removeprefix("第").removesuffix("号")
        if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= PERMIT_NUMBER_MAX:
            raise forms.ValidationError(
                _("許可番号は6桁以内の数字で入力してください。"), code="permit_number"
            )
        return int(value)

    def clean_address(self) -> str:
        return _text(self.cleaned_data["address"])

    def clean_representative(self) -> str:
        return _text(self.cleaned_data["representative"])

    def clean_applicant_name(self) -> str:
        return _text(self.cleaned_data["applicant_name"])

    def clean_applicant_department(self) -> str:
        return _text(self.cleaned_data["applicant_department"])

    def clean_applicant_phone(self) -> str:
        value = normalise_phone(self.cleaned_data["applicant_phone"])
        if message := phone_error(value):
            raise forms.ValidationError(message, code="phone")
        return value

    def clean_applicant_email(self) -> str:
        return normalise_email(self.cleaned_data["applicant_email"])

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        authority = self.cleaned_data.get("permit_authority")
        prefecture = self.cleaned_data.get("permit_prefecture", "")
        if authority == Registration.PermitAuthority.GOVERNOR and not prefecture:
            self.add_error(
                "permit_prefecture",
                forms.ValidationError(
                    _("知事許可の場合は、許可した知事の都道府県を選んでください。"),
                    code="prefecture",
                ),
            )
        elif authority == Registration.PermitAuthority.MINISTER and prefecture:
            # The Minister's permit names no prefecture: what was chosen before the switch goes.
            self.cleaned_data["permit_prefecture"] = ""
        return cleaned

    def _post_clean(self) -> None:
        # The model's own checks (its constraints) need a token and dates the service adds.
        pass

    def registration_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
