"""Limits on wrong keys (認証キーの登録) and wrong passwords (認証キーを表示) hold under parallel
requests: no more failures are answered than the limit allows, right attempts in parallel are not
counted against the user, and failures then a right attempt still stop at the limit."""

import time

import pytest
from django.urls import reverse

from accounts.models import User
from core.models import AuditEntry
from guarantees import keys
from guarantees.models import Receipt
from tests.factories import PASSWORD, UserFactory
from tests.test_security_sqlite import post_together

# Threads with their own connections: the file test database on SQLite, as `make run` serves.
pytestmark = pytest.mark.django_db(transaction=True)

NO_MATCH = "保証契約番号と認証キーの組み合わせを確認できませんでした"
REGISTRATION_HELD = "認証キーの誤りが続いたため"
WRONG_PASSWORD = "パスワードが正しくありません"
REVEAL_HELD = "パスワードの誤りが続いたため"


@pytest.fixture
def key(certificate) -> str:
    """The key of `certificate` (alice's, tests/guarantees/conftest.py)."""
    return keys.decrypt_key(certificate.key_encrypted)


@pytest.fixture(autouse=True)
def slow_checks(monkeypatch):
    """Each key lookup and password check takes a moment, as hashing a password does in
    production: parallel requests overlap there, between the limit's check and its count."""

    def slowed(function):
        def wrapper(*args, **kwargs):
            time.sleep(0.1)
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(keys, "key_digest", slowed(keys.key_digest))
    monkeypatch.setattr(User, "check_password", slowed(User.check_password))


def actions(prefix: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_parallel_wrong_keys_get_no_more_answers_than_the_limit(certificate, key):
    user = UserFactory(contractor=None, obligee=certificate.guarantee.application.obligee)
    number = certificate.guarantee.number
    home = reverse("obligee_portal:home")
    wrong = [(home, {"number": number, "key": keys.display_key(keys.new_key())})] * 12

    responses = post_together(user, wrong)

    assert sorted(r.status_code for r in responses) == [200] * 5 + [429] * 7
    assert sum(NO_MATCH in r.content.decode() for r in responses) == 5
    assert sum(REGISTRATION_HELD in r.content.decode() for r in responses) == 7
    audited = actions("certificate.receive")
    assert audited.count("certificate.receive_failed") == 5
    assert audited.count("certificate.receive_refused") == 7
    # The user is held: the right pair waits too.
    [response] = post_together(user, [(home, {"number": number, "key": keys.display_key(key)})])
    assert response.status_code == 429 and REGISTRATION_HELD in response.content.decode()
    assert not Receipt.objects.exists()


def test_parallel_right_passwords_all_show_the_key(alice, certificate, key):
    url = reverse("guarantees:certificate_key", args=[certificate.pk])

    responses = post_together(alice, [(url, {"password": PASSWORD})] * 8)

    assert [r.status_code for r in responses] == [200] * 8
    assert all(keys.display_key(key) in r.content.decode() for r in responses)
    assert actions("certificate.key_") == ["certificate.key_revealed"] * 8


def test_parallel_wrong_passwords_then_the_right_one_stay_held(alice, certificate, key):
    url = reverse("guarantees:certificate_key", args=[certificate.pk])

    responses = post_together(alice, [(url, {"password": "guess"})] * 8)

    assert sum(WRONG_PASSWORD in r.content.decode() for r in responses) == 5
    assert sorted(r.status_code for r in responses) == [200] * 5 + [429] * 3
    [response] = post_together(alice, [(url, {"password": PASSWORD})])
    assert response.status_code == 429 and REVEAL_HELD in response.content.decode()
    assert keys.display_key(key) not in response.content.decode()
    assert "certificate.key_revealed" not in actions("certificate.key_")
