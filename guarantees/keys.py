"""The authentication key (認証キー) of an electronic certificate (SPEC §6).

16 symbols of Crockford's base32 and a check symbol from the same 32 symbols, shown as
XXXX-XXXX-XXXX-XXXX-C, so that a clerk reading the key off paper never meets a symbol a Japanese
keyboard turns into another (Crockford's own mod-37 check adds * ~ $ = U, and ~ becomes 〜).

The check is Damm's, over the quasigroup x∘y = α·x + y of the field GF(32) (α the root of
x⁵ + x² + 1, i.e. the symbol value 2). Starting from 0, each symbol s takes the interim r to α·r + s;
the check symbol is the one that brings the interim after all 17 symbols back to 0. Why that
catches what a person gets wrong:
- one symbol changed from a to b: the interim at that point differs (y ↦ α·x + y is one-to-one),
  and so does every later one (x ↦ α·x + y is one-to-one since α ≠ 0);
- two neighbours a, b swapped: α(α·r + a) + b = α(α·r + b) + a means (α + 1)(a + b) = 0, which
  needs a = b since α ≠ 1 (the quasigroup is totally anti-symmetric); again every later interim
  differs.

Keys issued before the Damm check carry Crockford's mod-37 check symbol, and such notices are
still in obligees' hands, so entry accepts that check too (the lookup of the key's digest decides
whether the body is a key at all). New keys are drawn so that both checks give the same symbol:
then the old check catches every typo of a new key as the new one does (37 is prime and divides
neither a symbol difference, a power of 32 nor 31), and accepting it lets no typo through. The
draw keeps about 74.8 of the 80 random bits, ample behind the rate limits on key entry.

Stored twice, never in clear: an HMAC-SHA256 digest to find the certificate a typed key belongs
to, and a Fernet token so the contractor can display it again.
"""

import hashlib
import hmac
import re
import secrets
import unicodedata
from base64 import urlsafe_b64encode
from functools import cache
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
# Crockford's mod-37 check symbols (values 32–36 exist only there): keys issued before the Damm
# check end in one of these 37.
LEGACY_CHECK_ALPHABET = ALPHABET + "*~$=U"
BODY_LENGTH = 16  # 16 × 5 bits = 80 bits
GROUP = 4

# Entry: what people type for a symbol (Crockford: I and L read as 1, O as 0). A Japanese
# keyboard types ~ as the wave dash 〜 (NFKC leaves it alone; the full-width ～ it folds itself).
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "〜": "~"})
# Separators a person may type or paste between groups: spaces, hyphens and dashes of any width.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]+")


class InvalidKey(ValueError):
    """Not a well-formed key: wrong length, a symbol outside the alphabet, or a failed check."""

    def __init__(self, message: "StrOrPromise | None" = None) -> None:
        self.message = message or _(
            "認証キーの形式が正しくありません。20文字(XXXX-XXXX-XXXX-XXXX-X)を確認してください。"
        )
        super().__init__(str(self.message))


def new_key() -> str:
    """A fresh key body from `secrets`, one whose Damm and mod-37 check symbols agree (about one
    draw in 37; see the module's docstring)."""
    while True:
        body = _encode(secrets.randbits(BODY_LENGTH * 5))
        if check_symbol(body) == legacy_check_symbol(body):
            return body


def check_symbol(body: str) -> str:
    """The Damm check symbol of a key body (one of the 32 symbols of the body)."""
    return ALPHABET[_times_alpha(_damm_interim(body))]


def legacy_check_symbol(body: str) -> str:
    """Crockford's mod-37 check symbol, printed on keys issued before the Damm check."""
    return LEGACY_CHECK_ALPHABET[_decode(body) % 37]


def display_key(body: str) -> str:
    """XXXX-XXXX-XXXX-XXXX-C, the form shown and printed."""
    groups = [body[i : i + GROUP] for i in range(0, BODY_LENGTH, GROUP)]
    return "-".join([*groups, check_symbol(body)])


def parse_key(text: str) -> str:
    """The key body of what a person typed or pasted, or InvalidKey.

    Ignores case, spaces and hyphens, accepts full-width characters, reads I/L as 1 and O as 0.
    """
    normal = unicodedata.normalize("NFKC", text or "")
    normal = _SEPARATORS.sub("", normal).upper().translate(_READ_AS)
    if len(normal) != BODY_LENGTH + 1:
        raise InvalidKey()
    body, check = normal[:BODY_LENGTH], normal[BODY_LENGTH]
    if any(symbol not in ALPHABET for symbol in body) or check not in LEGACY_CHECK_ALPHABET:
        raise InvalidKey()
    if check not in {check_symbol(body), legacy_check_symbol(body)}:
        raise InvalidKey(_("認証キーの入力に誤りがあります。1文字ずつ確認してください。"))
    return body


def key_digest(body: str) -> str:
    """The lookup digest of a key body (hex HMAC-SHA256 with the server's secret)."""
    return hmac.new(_hmac_secret(), body.encode("ascii"), hashlib.sha256).hexdigest()


def encrypt_key(body: str) -> str:
    return _fernet().encrypt(body.encode("ascii")).decode("ascii")


def decrypt_key(token: str) -> str:
    """The key body of a stored token (cryptography.fernet.InvalidToken if it is not ours)."""
    return _fernet().decrypt(token.encode("ascii")).decode("ascii")


def _encode(value: int) -> str:
    symbols = []
    for _i in range(BODY_LENGTH):
        value, digit = divmod(value, 32)
        symbols.append(ALPHABET[digit])
    return "".join(reversed(symbols))


def _times_alpha(value: int) -> int:
    """α·value in GF(32) = GF(2)[x]/(x⁵ + x² + 1): a shift, reduced when x⁵ appears."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def quasigroup(x: int, y: int) -> int:
    """x∘y = α·x + y (addition in GF(32) is XOR), the quasigroup the check runs over."""
    return _times_alpha(x) ^ y


def _damm_interim(symbols: str) -> int:
    interim = 0
    for symbol in symbols:
        interim = quasigroup(interim, ALPHABET.index(symbol))
    return interim


def _decode(body: str) -> int:
    value = 0
    for symbol in body:
        value = value * 32 + ALPHABET.index(symbol)
    return value


def _derived(purpose: str) -> bytes:
    """A secret of its own for `purpose`, derived from SECRET_KEY when none is configured."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"netdesk.auth-key.{purpose}".encode(), hashlib.sha256
    ).digest()


@cache
def _hmac_secret() -> bytes:
    configured = settings.AUTH_KEY_HMAC_SECRET
    return configured.encode() if configured else _derived("hmac")


@cache
def _fernet() -> MultiFernet:
    keys = settings.AUTH_KEY_FERNET_KEYS or [urlsafe_b64encode(_derived("fernet")).decode()]
    return MultiFernet([Fernet(key) for key in keys])


@receiver(setting_changed)
def _forget_secrets(*, setting: str, **kwargs: object) -> None:
    if setting in {"SECRET_KEY", "AUTH_KEY_HMAC_SECRET", "AUTH_KEY_FERNET_KEYS"}:
        _hmac_secret.cache_clear()
        _fernet.cache_clear()
