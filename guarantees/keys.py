"""The authentication key (認証キー) of an electronic certificate (SPEC §6).

80 random bits written as 16 symbols of Crockford's base32 and Crockford's mod-37 check symbol,
shown as XXXX-XXXX-XXXX-XXXX-C. The check symbol is the key's value mod 37: 37 is prime and
divides neither a symbol difference (< 32), a power of 32, nor 31, so changing one symbol (a
difference d·32^k) or swapping two neighbours (a difference (a−b)·31·32^k) always changes the
remainder — a typo is caught before any lookup.

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

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CHECK_ALPHABET = ALPHABET + "*~$=U"  # values 32–36 exist only as check symbols
BODY_LENGTH = 16  # 16 × 5 bits = 80 bits
GROUP = 4

# Entry: what people type for a symbol (Crockford: I and L read as 1, O as 0).
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Separators a person may type or paste between groups: spaces, hyphens and dashes of any width.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]+")


class InvalidKey(ValueError):
    """Not a well-formed key: wrong length, a symbol outside the alphabet, or a failed check."""

    def __init__(self, message=None):
        self.message = message or _(
            "認証キーの形式が正しくありません。20文字(XXXX-XXXX-XXXX-XXXX-X)を確認してください。"
        )
        super().__init__(str(self.message))


def new_key() -> str:
    """A fresh key body: 16 symbols from 80 bits of `secrets`."""
    return _encode(secrets.randbits(BODY_LENGTH * 5))


def check_symbol(body: str) -> str:
    return CHECK_ALPHABET[_decode(body) % 37]


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
    if any(symbol not in ALPHABET for symbol in body) or check not in CHECK_ALPHABET:
        raise InvalidKey()
    if check_symbol(body) != check:
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
def _forget_secrets(*, setting, **kwargs):
    if setting in {"SECRET_KEY", "AUTH_KEY_HMAC_SECRET", "AUTH_KEY_FERNET_KEYS"}:
        _hmac_secret.cache_clear()
        _fernet.cache_clear()
