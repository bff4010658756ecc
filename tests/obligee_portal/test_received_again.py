"""A pair registered again (typed or dropped, by the same clerk or a colleague): the answer says
when it was received, and nothing new is recorded."""

import datetime

import pytest
import time_machine
from django.contrib.messages import INFO
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from core.ratelimit import rate_limit_reached
from guarantees import keys
from guarantees.models import Receipt
from guarantees.receiving import USER_LIMIT
from tests.factories import UserFactory
from tests.obligee_portal.conftest import notice_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limits")]


def type_pair(client, url, number, key):
    return client.post(url, {"number": number, "key": key}, follow=True)


def typed_differently(key: str) -> str:
    return keys.display_key(key).lower().replace("-", "")


def shown(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in response.context["messages"]]


@pytest.mark.parametrize("url", [reverse("obligee_portal:home"), reverse("obligee_portal:receive")])
def test_typing_a_received_pair_again_says_when_it_was_received(
    client, obligee_user, certificate, key, url
):
    number = certificate.guarantee.number
    # Received three days ago; typed again today (lower case, no hyphens: the same pair).
    first_day = timezone.now() - datetime.timedelta(days=3)
    with time_machine.travel(first_day, tick=False):
        client.force_login(obligee_user)
        type_pair(client, url, number, keys.display_key(key))
    receipt = Receipt.objects.get()
    client.force_login(obligee_user)
    response = type_pair(client, url, number.lower(), typed_differently(key))
    day = timezone.localdate(first_day)
    assert shown(response) == [
        (
            INFO,
            f"保証証書 {number}(第1版)は {day:%Y/%m/%d} に受領済みです(受領者: {obligee_user})。"
            "改めて受領する必要はありません。",
        )
    ]
    assert "を受領しました" not in response.content.decode()
    # No second receipt, count or 「受領」 in the record; the attempt itself is audited.
    assert list(Receipt.objects.all()) == [receipt]
    assert Receipt.objects.get().received_at == receipt.received_at
    assert AuditEntry.objects.filter(action="certificate.received").count() == 1
    repeated = AuditEntry.objects.get(action="certificate.receive_repeated")
    assert repeated.user == obligee_user and repeated.data == {"number": number, "version": 1}
    assert key not in str(repeated.data)


def test_a_colleagues_second_try_names_who_received_it(client, obligee_user, certificate, key):
    number = certificate.guarantee.number
    client.force_login(obligee_user)
    type_pair(client, reverse("obligee_portal:home"), number, keys.display_key(key))
    colleague = UserFactory(full_name="伊香保 次郎", contractor=None, obligee=obligee_user.obligee)
    client.force_login(colleague)
    response = type_pair(client, reverse("obligee_portal:home"), number, keys.display_key(key))
    [(level, text)] = shown(response)
    assert level == INFO and f"受領者: {obligee_user}" in text and "受領済みです" in text
    assert Receipt.objects.get().received_by == obligee_user


def test_a_received_notice_dropped_again_says_so(client, obligee_user, certificate, key):
    client.force_login(obligee_user)
    url = reverse("obligee_portal:receive_notices")

    def drop():
        notice = SimpleUploadedFile("notice.pdf", notice_of(certificate, key), "application/pdf")
        return shown(client.post(url, {"notices": [notice]}, follow=True))

    [(_, first)] = drop()
    assert first.endswith("を受領しました。")
    [(level, again)] = drop()
    assert level == INFO and again.startswith(f"notice.pdf:保証証書 {certificate.guarantee.number}")
    assert "受領済みです" in again
    assert Receipt.objects.count() == 1


def test_the_same_key_with_another_number_is_still_refused_and_counted(
    client, obligee_user, certificate, key, alice, issue_for
):
    """Only the very pair received is answered 受領済み: a wrong number is a failed attempt."""
    client.force_login(obligee_user)
    type_pair(
        client, reverse("obligee_portal:home"), certificate.guarantee.number, keys.display_key(key)
    )
    other = issue_for(alice, guarantee__application__obligee=obligee_user.obligee)
    for _ in range(5):
        response = type_pair(
            client, reverse("obligee_portal:home"), other.guarantee.number, keys.display_key(key)
        )
        assert "確認できませんでした" in response.content.decode()
        assert "受領済みです" not in response.content.decode()
    assert rate_limit_reached(USER_LIMIT, str(obligee_user.pk))
    assert Receipt.objects.count() == 1


def test_a_mistyped_key_is_still_caught_by_its_check_symbol(client, obligee_user, certificate, key):
    client.force_login(obligee_user)
    type_pair(
        client, reverse("obligee_portal:home"), certificate.guarantee.number, keys.display_key(key)
    )
    shown_key = keys.display_key(key)
    typo = ("1" if shown_key[0] != "1" else "2") + shown_key[1:]
    response = type_pair(client, reverse("obligee_portal:home"), certificate.guarantee.number, typo)
    assert response.status_code == 200
    assert "受領済みです" not in response.content.decode()
    assert 'data-testid="register-error"' in response.content.decode()


def test_a_received_version_since_amended_gets_the_neutral_refusal(
    client, obligee_user, certificate, key
):
    """SPEC §7: a superseded version's key is refused like any other, even by its receiver; the
    certificate page says there is a newer version to receive."""
    client.force_login(obligee_user)
    type_pair(
        client, reverse("obligee_portal:home"), certificate.guarantee.number, keys.display_key(key)
    )
    certificate.superseded_at = timezone.now()
    certificate.save()
    response = type_pair(
        client, reverse("obligee_portal:home"), certificate.guarantee.number, keys.display_key(key)
    )
    html = response.content.decode()
    assert "確認できませんでした" in html and "受領済みです" not in html
    assert not AuditEntry.objects.filter(action="certificate.receive_repeated").exists()
    assert Receipt.objects.count() == 1
