"""The confirmation link: single-use, expiring after 24 hours, and nothing reaches the branch
before it is used."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from notifications.models import OutboxMessage
from registrations import services
from registrations.models import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(client, registration_data):
    client.post("/registrations/", registration_data())
    body = OutboxMessage.objects.get(template="registration_confirm").body_text
    link = re.search(r"https?://\S+/registrations/confirm/\S+/", body)[0]
    return Registration.objects.get(), link.split("/")[-2]


def open_link(client, token):
    response = client.get(reverse("registrations:confirm_link", args=[token]))
    assert response.status_code == 302
    assert token not in response["Location"]
    return client.get(response["Location"])


def test_opening_the_link_shows_the_application_and_confirming_sends_it(client, applied):
    registration, token = applied
    page = open_link(client, token).content.decode()
    assert "◇◇土木 株式会社" in page and "確定する" in page
    # Opening the link (a mail scanner would) confirms nothing.
    registration.refresh_from_db()
    assert registration.status == Registration.Status.UNCONFIRMED
    done = client.post(reverse("registrations:confirm")).content.decode()
    assert "群馬支店に届きました" in done
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WAITING
    assert registration.confirmed_at is not None
    entry = AuditEntry.objects.get(action="registration.confirmed")
    assert entry.data["email"] == "jiro@hishi-doboku.example.jp"


def test_the_link_works_once(client, applied):
    _registration, token = applied
    open_link(client, token)
    client.post(reverse("registrations:confirm"))
    again = open_link(client, token).content.decode()
    assert "すでに使用され" in again
    assert Registration.objects.get().status == Registration.Status.WAITING
    assert AuditEntry.objects.filter(action="registration.confirmed").count() == 1


def test_the_service_refuses_a_second_confirmation(applied):
    _registration, token = applied
    services.registration_confirm(token=token)
    with pytest.raises(services.StateError, match="すでに使用され"):
        services.registration_confirm(token=token)


def test_the_link_expires_after_24_hours(client, applied):
    registration, token = applied
    assert registration.expires_at - registration.created_at == datetime.timedelta(hours=24)
    with time_machine.travel(registration.created_at + datetime.timedelta(hours=23, minutes=59)):
        assert "確定する" in open_link(client, token).content.decode()
    with time_machine.travel(registration.created_at + datetime.timedelta(hours=24, seconds=1)):
        page = open_link(client, token).content.decode()
        assert "有効期限" in page and "過ぎています" in page
        # Posting anyway confirms nothing.
        client.post(reverse("registrations:confirm"))
        with pytest.raises(services.StateError, match="有効期限"):
            services.registration_confirm(token=token)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.UNCONFIRMED


@pytest.mark.parametrize("token", ["unknown-token", "x" * 500, "%00", "ｘｙｚ"])
def test_an_unknown_token_is_refused_in_words(client, applied, token):
    page = open_link(client, token)
    assert page.status_code == 200
    assert "無効です" in page.content.decode()
    assert client.post(reverse("registrations:confirm")).status_code == 200
    assert Registration.objects.get().status == Registration.Status.UNCONFIRMED


def test_a_nul_in_the_link_is_a_bad_request(client, applied):
    # The project's middleware answers any control character in a path so, before any view.
    response = client.get("/registrations/confirm/%00/")
    assert response.status_code == 400
    assert Registration.objects.get().status == Registration.Status.UNCONFIRMED


def test_the_page_without_a_link_says_it_is_not_valid(client):
    assert "無効です" in client.get(reverse("registrations:confirm")).content.decode()


def test_links_are_limited_per_ip_address(client, applied, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration-link-ip": (2, 900)}
    _registration, token = applied
    for _ in range(2):
        client.get(reverse("registrations:confirm_link", args=["guess"]))
    response = client.get(reverse("registrations:confirm_link", args=[token]))
    assert response.status_code == 429
    assert Registration.objects.get().status == Registration.Status.UNCONFIRMED


def test_unconfirmed_registrations_do_not_reach_the_branch(applied, gunma_staff):
    assert not services.registrations_for_staff(gunma_staff).exists()
    assert services.waiting_count(gunma_staff) == 0
    services.registration_confirm(token=applied[1])
    assert services.waiting_count(gunma_staff) == 1


def test_the_token_is_stored_only_as_its_digest(applied):
    registration, token = applied
    assert token not in registration.token_digest
    assert registration.token_digest == services.token_digest(token)
    assert timezone.now() < registration.expires_at
