"""認証キーの登録 (受領): the obligee registers a certificate with its number and key."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from guarantees import keys
from guarantees.models import Receipt
from tests.factories import ObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return keys.new_key()


@pytest.fixture
def certificate(alice, issue_for, key):
    return issue_for(alice, key=key)


@pytest.fixture
def obligee_user(certificate):
    """A user of the obligee the certificate is addressed to."""
    return UserFactory(contractor=None, obligee=certificate.guarantee.application.obligee)


@pytest.fixture
def signed_in(client, obligee_user):
    client.force_login(obligee_user)
    return client


def register(client, number, key, **extra):
    return client.post(reverse("obligee_portal:home"), {"number": number, "key": key}, **extra)


def error(response) -> str:
    import re

    match = re.search(r'data-testid="register-error">([^<]*)<', response.content.decode())
    return match[1] if match else ""


def test_obligee_users_land_on_their_received_list(signed_in):
    response = signed_in.get(reverse("applications:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("obligee_portal:home")
    page = signed_in.get(reverse("obligee_portal:home"))
    assert "受領した保証証書" in page.content.decode() and "電子保証の受領" in page.content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        lambda key: keys.display_key(key),
        lambda key: keys.display_key(key).lower().replace("-", " "),
        lambda key: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in keys.display_key(key)),
    ],
)  # fmt: skip
def test_a_right_pair_adds_the_certificate_to_the_received_list(
    signed_in, certificate, key, obligee_user, typed
):
    number = certificate.guarantee.number
    response = register(signed_in, f" {number.lower()} ", typed(key), follow=True)
    html = response.content.decode()
    assert "を受領しました" in html
    receipt = Receipt.objects.get()
    assert receipt.certificate == certificate and receipt.received_by == obligee_user
    assert "有効" in html and certificate.snapshot["works"]["name"] in html
    entry = AuditEntry.objects.get(action="certificate.received")
    assert key not in str(entry.data) and keys.display_key(key) not in str(entry.data)
    # Registering it again (a double submission, a colleague) keeps the one receipt.
    register(signed_in, number, keys.display_key(key))
    assert Receipt.objects.count() == 1


def test_a_typo_is_caught_by_the_check_symbol_before_any_lookup(signed_in, certificate, key):
    shown = keys.display_key(key)
    typo = ("1" if shown[0] != "1" else "2") + shown[1:]
    response = register(signed_in, certificate.guarantee.number, typo)
    assert "認証キーの入力に誤りがあります" in error(response)
    assert not Receipt.objects.exists()


def test_a_key_issued_with_the_old_tilde_check_registers_typed_with_a_japanese_keyboard(
    signed_in, alice, issue_for, obligee_user
):
    # Stored before the check symbol changed: the notice in the obligee's hands ends in ~.
    body = next(
        f"7K3M9QXDZP24W8{a}{b}"
        for a in keys.ALPHABET
        for b in keys.ALPHABET
        if keys.legacy_check_symbol(f"7K3M9QXDZP24W8{a}{b}") == "~"
    )
    certificate = issue_for(alice, key=body, guarantee__application__obligee=obligee_user.obligee)
    typed = "－".join([body[0:4], body[4:8], body[8:12], body[12:16], "〜"])
    response = register(signed_in, certificate.guarantee.number, typed, follow=True)
    assert "を受領しました" in response.content.decode()
    assert Receipt.objects.get().certificate == certificate


def test_every_wrong_pair_gets_the_same_neutral_message(
    client, signed_in, certificate, key, alice, issue_for
):
    number = certificate.guarantee.number
    other_obligees = issue_for(alice)  # addressed to another obligee
    other_key = keys.decrypt_key(other_obligees.key_encrypted)
    answers = {
        error(register(signed_in, number, keys.display_key(keys.new_key()))),  # unknown key
        error(register(signed_in, "GM-2000-000001", keys.display_key(key))),  # wrong number
        error(register(signed_in, other_obligees.guarantee.number, keys.display_key(other_key))),
    }
    assert len(answers) == 1 and "確認できませんでした" in answers.pop()
    assert not Receipt.objects.exists()
    assert AuditEntry.objects.filter(action="certificate.receive_failed").count() == 3


def test_a_superseded_or_cancelled_version_does_not_register(signed_in, certificate, key):
    from django.utils import timezone

    from guarantees.models import Guarantee

    type(certificate).objects.filter(pk=certificate.pk).update(superseded_at=timezone.now())
    assert "確認できませんでした" in error(
        register(signed_in, certificate.guarantee.number, keys.display_key(key))
    )
    type(certificate).objects.filter(pk=certificate.pk).update(superseded_at=None)
    Guarantee.objects.filter(pk=certificate.guarantee_id).update(status="cancelled")
    assert "確認できませんでした" in error(
        register(signed_in, certificate.guarantee.number, keys.display_key(key))
    )
    assert not Receipt.objects.exists()


def test_the_sixth_wrong_key_in_the_window_is_refused_even_when_right(signed_in, certificate, key):
    number = certificate.guarantee.number
    for _ in range(5):
        register(signed_in, number, keys.display_key(keys.new_key()))
    response = register(signed_in, number, keys.display_key(key))
    assert response.status_code == 429
    assert "一時停止" in error(response)
    assert not Receipt.objects.exists()


def test_failures_count_per_ip_across_users(client, certificate, key, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "key-register-ip": (3, 900)}
    obligee = certificate.guarantee.application.obligee
    for _ in range(3):
        client.force_login(UserFactory(contractor=None, obligee=obligee))
        register(client, certificate.guarantee.number, keys.display_key(keys.new_key()))
    client.force_login(UserFactory(contractor=None, obligee=obligee))
    assert register(client, certificate.guarantee.number, keys.display_key(key)).status_code == 429


def test_contractors_and_anonymous_users_cannot_register(client, alice, certificate, key):
    response = register(client, certificate.guarantee.number, keys.display_key(key))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.force_login(alice)
    assert register(client, certificate.guarantee.number, keys.display_key(key)).status_code == 403
    other = UserFactory(contractor=None, obligee=ObligeeFactory())
    client.force_login(other)
    register(client, certificate.guarantee.number, keys.display_key(key))
    assert not Receipt.objects.exists()


def test_the_contractor_then_sees_that_the_obligee_received_it(
    client, signed_in, certificate, key, alice
):
    detail = reverse("applications:detail", args=[certificate.guarantee.application_id])
    client.force_login(alice)
    assert "発注者受領済" not in client.get(detail).content.decode()
    client.force_login(
        UserFactory(contractor=None, obligee=certificate.guarantee.application.obligee)
    )
    register(client, certificate.guarantee.number, keys.display_key(key))
    client.force_login(alice)
    assert "発注者受領済" in client.get(detail).content.decode()


def test_the_header_names_the_obligee_once_and_the_footer_speaks_to_obligees(client, shibukawa):
    user = UserFactory(contractor=None, obligee=shibukawa, full_name="渋川市 契約検査課 担当")
    client.force_login(user)
    html = client.get(reverse("obligee_portal:home")).content.decode()
    assert "渋川市 契約検査課 担当 様" in html and "渋川市 渋川市" not in html
    assert "保証証書に記載の営業部・支店" in html and "申込先の営業部・支店" not in html
