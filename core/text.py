"""Normalising what people type in Japanese forms."""

import re
import unicodedata

import jaconv

_AMOUNT_JUNK = re.compile(r"[,\s円]")


def to_halfwidth_ascii(value: str) -> str:
    """Full-width digits, letters and symbols to ASCII (２０，０００ → 20,000)."""
    return jaconv.z2h(value, kana=False, ascii=True, digit=True)


def parse_yen(value: str) -> int | None:
    """'２０，０００，０００円' → 20000000; '' → None; anything else raises ValueError."""
    text = _AMOUNT_JUNK.sub("", to_halfwidth_ascii(value or "").replace("\u3000", " "))
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(value)
    return int(text)


def to_fullwidth(value: str) -> str:
    """Half-width ASCII and katakana to full width (ﾏﾙﾏﾙｷﾞﾝｺｳ ABC → マルマルギンコウ ＡＢＣ).

    The deposit bank is written in full width on the certificate, as the seed form asks.
    """
    value = unicodedata.normalize("NFKC", value)  # joins ｶﾞ into ガ first
    return jaconv.h2z(value, kana=True, ascii=True, digit=True).replace(" ", "\u3000")


def normalise_phone(value: str) -> str:
    return to_halfwidth_ascii(value).replace("ー", "-").replace("−", "-").strip()
