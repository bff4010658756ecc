"""Password-reset requests are throttled per e-mail address and per IP address, saying nothing
about whether an address has an account."""

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")
THROTTLED = "パスワード再設定のご依頼が短い間に続いたため、しばらく受け付けを停止しています。"


def request_reset(client, email: str, ip: str = "127.0.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "password-reset-address": (3, 3600),
        "password-reset-ip": (5, 3600),
    }


def test_one_address_gets_three_reset_mails_and_then_a_japanese_refusal(client, alice, limits):
    for _ in range(3):
        assert request_reset(client, "alice@example.jp")["Location"].endswith("/sent/")
    assert len(mail.outbox) == 3

    refused = request_reset(client, "Alice@Example.JP", ip="198.51.100.7")
    html = refused.content.decode()
    assert refused.status_code == 429
    assert THROTTLED in html
    assert 'value="Alice@Example.JP"' in html  # what was typed is kept
    assert len(mail.outbox) == 3


def test_the_refusal_is_the_same_for_an_address_without_an_account(client, alice, limits):
    for email in ["alice@example.jp", "nobody@example.jp"]:
        for _ in range(3):
            request_reset(client, email)
    known = request_reset(client, "alice@example.jp", ip="192.0.2.1")
    unknown = request_reset(client, "nobody@example.jp", ip="192.0.2.2")

    assert known.status_code == unknown.status_code == 429
    assert page_without_input(known, "alice@example.jp") == page_without_input(
        unknown, "nobody@example.jp"
    )
    assert THROTTLED in known.content.decode()


def page_without_input(response, email: str) -> str:
    html = response.content.decode().replace(email, "")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_one_ip_address_asking_for_many_addresses_is_stopped(client, alice, limits):
    for number in range(4):
        request_reset(client, f"someone{number}@example.jp", ip="203.0.113.9")

    assert request_reset(client, "alice@example.jp", ip="203.0.113.9").status_code == 302
    refused = request_reset(client, "alice@example.jp", ip="203.0.113.9")
    assert refused.status_code == 429 and THROTTLED in refused.content.decode()
    assert len(mail.outbox) == 1

    # Someone else, elsewhere, is not held up.
    assert request_reset(client, "alice@example.jp", ip="198.51.100.7").status_code == 302
    assert len(mail.outbox) == 2
