"""Normalising what people type in Japanese forms."""

import re
import unicodedata

import jaconv
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_AMOUNT_JUNK = re.compile(r"[,\s円]")

# The largest amount of yen any form accepts: under 1兆円, far above any public works contract,
# and well inside the database's 64-bit integers (and the fee arithmetic) whatever is multiplied.
MAX_YEN = 999_999_999_999


YEN_TOO_LARGE = _("金額は1兆円未満で入力してください。")


class AmountTooLarge(ValueError):
    """A yen amount above MAX_YEN."""


def to_halfwidth_ascii(value: str) -> str:
    """Full-width digits, letters and symbols to ASCII (２０，０００ → 20,000)."""
    return jaconv.z2h(value, kana=False, ascii=True, digit=True)


def parse_yen(value: str) -> int | None:
    """'２０，０００，０００円' → 20000000; '' → None; AmountTooLarge above MAX_YEN; anything
    else raises ValueError."""
    text = _AMOUNT_JUNK.sub("", to_halfwidth_ascii(value or "").replace("\u3000", " "))
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ValueError(value)
    if len(text.lstrip("0")) > len(str(MAX_YEN)) or int(text) > MAX_YEN:
        raise AmountTooLarge(value)
    return int(text)


def to_fullwidth(value: str) -> str:
    """Half-width ASCII and katakana to full width (ﾏﾙﾏﾙｷﾞﾝｺｳ ABC → マルマルギンコウ ＡＢＣ).

    The deposit bank is written in full width on the certificate, as the seed form asks.
    """
    value = unicodedata.normalize("NFKC", value)  # joins ｶﾞ into ガ first
    return jaconv.h2z(value, kana=True, ascii=True, digit=True).replace(" ", "\u3000")


def normalise_phone(value: str) -> str:
    return to_halfwidth_ascii(value).replace("ー", "-").replace("−", "-").strip()


# Bidirectional overrides and isolates reorder how text is displayed: "工事A\u202e1.ppa" would
# show another name than the one stored. Nobody types them into a Japanese form.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def reject_bidi_controls(value: str) -> None:
    """A validator: refuse the invisible characters that reverse the direction of text."""
    if isinstance(value, str) and _BIDI_CONTROLS.search(value):
        raise ValidationError(
            _("表示の向きを変える制御文字(U+202A〜U+202E、U+2066〜U+2069)は使用できません。"),
            code="bidi_control",
        )
