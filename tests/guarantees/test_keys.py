"""The authentication key: format, check symbol, entry, storage (SPEC §6)."""

import random
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken

from guarantees import keys

# The 32 symbols of the body, also for the check symbol: never * ~ $ = U.
KEY_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$")


@pytest.fixture
def sample(monkeypatch):
    """A reproducible sample of keys as new_key() draws them."""
    rng = random.Random(20190501)
    monkeypatch.setattr(keys.secrets, "randbits", rng.getrandbits)
    return [keys.new_key() for _ in range(40)]


@pytest.fixture
def legacy_sample():
    """Bodies of any value (as keys issued before the Damm check were), and the extremes."""
    rng = random.Random(20260401)
    bodies = [keys._encode(rng.getrandbits(80)) for _ in range(40)]
    return [keys._encode(0), keys._encode(2**80 - 1), *bodies]


def typos(shown: str):
    """Every string a single wrong symbol or a swap of two neighbours makes of `shown`."""
    for position, original in enumerate(shown):
        for typo in keys.LEGACY_CHECK_ALPHABET:
            if typo != original:
                yield shown[:position] + typo + shown[position + 1 :]
    for position in range(len(shown) - 1):
        a, b = shown[position], shown[position + 1]
        if a != b:
            yield shown[:position] + b + a + shown[position + 2 :]


def test_a_new_key_has_16_random_symbols_shown_in_groups_with_a_check_symbol_of_the_same_32():
    made = {keys.new_key() for _ in range(500)}
    assert len(made) == 500
    for body in made:
        assert len(body) == 16
        assert KEY_FORMAT.match(keys.display_key(body))
    # Every symbol of the alphabet turns up: the random bits are spread over all 16 positions.
    assert set("".join(made)) == set(keys.ALPHABET)
    # ...and over the check symbols, which never need a symbol outside the 32.
    assert {keys.display_key(body)[-1] for body in made} == set(keys.ALPHABET)


def test_the_check_runs_over_a_totally_anti_symmetric_quasigroup_of_order_32():
    symbols = range(32)
    for x in symbols:
        # A Latin square: each row and each column holds every symbol once.
        assert {keys.quasigroup(x, y) for y in symbols} == set(symbols)
        assert {keys.quasigroup(y, x) for y in symbols} == set(symbols)
    for c in symbols:
        for x in symbols:
            for y in symbols:
                if x != y:
                    assert keys.quasigroup(keys.quasigroup(c, x), y) != keys.quasigroup(
                        keys.quasigroup(c, y), x
                    )


def test_the_damm_check_alone_catches_every_typo_and_swap_of_any_body(legacy_sample):
    def passes(shown: str) -> bool:
        return all(s in keys.ALPHABET for s in shown) and keys._damm_interim(shown) == 0

    for body in legacy_sample:
        shown = body + keys.check_symbol(body)
        assert passes(shown)
        assert not any(passes(typed) for typed in typos(shown))


def test_every_single_symbol_typo_and_swap_of_a_new_key_is_caught(sample):
    for body in sample:
        shown = keys.display_key(body).replace("-", "")
        assert keys.parse_key(shown) == body
        for typed in typos(shown):
            with pytest.raises(keys.InvalidKey):
                keys.parse_key(typed)


def test_keys_issued_with_the_mod_37_check_are_still_accepted(legacy_sample):
    for body in legacy_sample:
        legacy = keys.legacy_check_symbol(body)
        assert keys.parse_key(f"{body}{legacy}") == body
        # Shown again today, the same key carries the Damm check, which is accepted as well.
        assert keys.parse_key(keys.display_key(body)) == body
    assert keys.legacy_check_symbol("0000000000000000") == "0"
    assert keys.legacy_check_symbol("0000000000000010") == "*"  # 32 (values 32–36: *~$=U)
    assert keys.legacy_check_symbol("0000000000000014") == "U"  # 36


@pytest.mark.parametrize("tilde", ["~", "〜", "～"])  # as printed; Japanese keyboard; full width
def test_an_old_key_ending_in_a_tilde_is_accepted_however_the_tilde_is_typed(tilde):
    body = "0000000000000011"  # 33 mod 37: ~
    assert keys.legacy_check_symbol(body) == "~"
    assert keys.parse_key(f"0000-0000-0000-0011-{tilde}") == body
    assert keys.parse_key(f"００００－００００－００００－００１１－{tilde}") == body


@pytest.mark.parametrize(
    "typed",
    [
        "7K3M-9QXD-ZP24-W8RT-{c}",
        "7k3m-9qxd-zp24-w8rt-{c}",
        "7K3M9QXDZP24W8RT{c}",
        " 7K3M 9QXD ZP24 W8RT {c} ",
        "７Ｋ３Ｍ－９ＱＸＤ－ＺＰ２４－Ｗ８ＲＴ－{c}",  # full width, as a Japanese IME types it
        "7K3M ー 9QXD ー ZP24 ー W8RT ー {c}",
        "7K3M–9QXD—ZP24‐W8RT−{c}",  # dashes pasted from a word processor
    ],
)
def test_entry_ignores_case_spaces_hyphens_and_width(typed):
    body = "7K3M9QXDZP24W8RT"
    check = keys.check_symbol(body)
    assert keys.parse_key(typed.format(c=check.lower())) == body
    assert keys.parse_key(typed.format(c=check)) == body


def test_entry_reads_i_and_l_as_one_and_o_as_zero():
    body = "1K3M9QXDZP24W80T"
    check = keys.check_symbol(body)
    assert keys.parse_key(f"IK3M-9QXD-ZP24-W8OT-{check}") == body
    assert keys.parse_key(f"lk3m-9qxd-zp24-w8ot-{check}") == body


@pytest.mark.parametrize(
    "typed",
    ["", "-", "7K3M-9QXD-ZP24-W8RT", "7K3M-9QXD-ZP24-W8RT-00", "7K3M\x009QXD-ZP24-W8RT-0",
     "U" * 17, "あいうえおかきくけこさしすせそたち", "7" * 100_000],
)  # fmt: skip
def test_malformed_entry_is_refused_with_a_japanese_message(typed):
    with pytest.raises(keys.InvalidKey) as caught:
        keys.parse_key(typed)
    assert "認証キー" in str(caught.value.message)


def test_the_digest_is_keyed_and_finds_the_same_key_whatever_was_typed(settings):
    body = keys.new_key()
    digest = keys.key_digest(body)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert keys.key_digest(keys.parse_key(keys.display_key(body).lower())) == digest
    assert body.lower() not in digest and body not in digest
    settings.AUTH_KEY_HMAC_SECRET = "another-server"
    assert keys.key_digest(body) != digest


def test_the_stored_key_is_encrypted_and_reads_back_also_after_rotation(settings):
    old = Fernet.generate_key().decode()
    settings.AUTH_KEY_FERNET_KEYS = [old]
    body = keys.new_key()
    token = keys.encrypt_key(body)
    assert body not in token
    assert keys.decrypt_key(token) == body
    # A new key first: new tokens use it, the old ones still read.
    settings.AUTH_KEY_FERNET_KEYS = [Fernet.generate_key().decode(), old]
    assert keys.decrypt_key(token) == body
    settings.AUTH_KEY_FERNET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(InvalidToken):
        keys.decrypt_key(token)
