import re
import unicodedata

import jaconv
from django import forms
from django.utils.translation import gettext_lazy as _

from core.kinds import GuaranteeKind
from core.widgets import StaticChoicesSelect
from obligees.models import PREFECTURE_CHOICES

_SPACES = re.compile(r"\s+")


class ObligeeSearchForm(forms.Form):
    """The GET search of the public obligee list; every field is optional."""

    q = forms.CharField(
        label=_("発注者名・フリガナ"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("例: 渋川市、しぶかわ"),
            }
        ),
    )
    prefecture = forms.TypedChoiceField(
        label=_("都道府県"),
        required=False,
        choices=[("", _("すべて")), *PREFECTURE_CHOICES],
        coerce=int,
        empty_value=None,
        widget=StaticChoicesSelect("prefecture", attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=_("保証の種類"),
        required=False,
        choices=[("", _("すべて")), *GuaranteeKind.choices],
        widget=StaticChoicesSelect("guarantee-kind", attrs={"class": "form-select"}),
    )

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def clean_q(self) -> str:
        """NFKC (full-width letters and digits, half-width katakana) without any spaces."""
        return _SPACES.sub("", unicodedata.normalize("NFKC", self.cleaned_data["q"]))

    @property
    def kana_query(self) -> str:
        """The cleaned query with hiragana as katakana, to match the stored フリガナ."""
        return jaconv.hira2kata(self.cleaned_data.get("q", ""))
