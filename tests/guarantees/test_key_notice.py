"""The handover notice 「電子保証証書閲覧用『認証キー』等のお知らせ」: made from the page that shows the
key, carrying the number and key for the obligee, and only for the user it was shown to."""

import re

import pytest
from django.urls import reverse

from core.models import AuditEntry
from guarantees import keys
from guarantees.rendering import read_key_notice
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def notice_pass(client, certificate) -> str:
    shown = client.post(
        reverse("guarantees:certificate_key", args=[certificate.pk]), {"password": PASSWORD}
    )
    match = re.search(r'name="notice_pass" value="([^"]+)"', shown.content.decode())
    assert match, "the page showing the key offers the notice"
    return match.group(1)


def test_the_notice_carries_the_number_and_key_and_is_audited_without_the_key(
    client, alice, issue_for
):
    body = keys.new_key()
    certificate = issue_for(alice, key=body)
    client.force_login(alice)
    response = client.post(
        reverse("guarantees:certificate_key_notice", args=[certificate.pk]),
        {"notice_pass": notice_pass(client, certificate)},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert read_key_notice(response.content) == (
        certificate.guarantee.number,
        keys.display_key(body),
    )
    entry = AuditEntry.objects.get(action="certificate.notice_made")
    assert entry.user == alice
    assert body not in str(entry.data) and keys.display_key(body) not in str(entry.data)


def test_the_notice_needs_the_pass_of_this_user_and_certificate(client, alice, bob, issue_for):
    certificate = issue_for(alice)
    other = issue_for(alice)
    client.force_login(alice)
    url = reverse("guarantees:certificate_key_notice", args=[certificate.pk])
    # No pass, a forged one, or the pass of another certificate: no notice.
    assert client.post(url, {"notice_pass": ""}).status_code == 302
    assert client.post(url, {"notice_pass": "1:1:forged"}).status_code == 302
    assert client.post(url, {"notice_pass": notice_pass(client, other)}).status_code == 403
    alice_pass = notice_pass(client, certificate)
    client.force_login(bob)  # a colleague cannot use alice's pass
    assert client.post(url, {"notice_pass": alice_pass}).status_code == 403
    assert client.get(url).status_code == 405
    assert not AuditEntry.objects.filter(action="certificate.notice_made").exists()


def test_another_companys_certificate_is_not_found(client, alice, charlie, issue_for):
    certificate = issue_for(alice)
    client.force_login(charlie)
    response = client.post(
        reverse("guarantees:certificate_key_notice", args=[certificate.pk]), {"notice_pass": "x"}
    )
    assert response.status_code == 404
