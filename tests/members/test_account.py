"""アカウント設定: the password and e-mail address changes of a contractor or obligee user."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import EmailChange, User
from core.audit import audit_entries_for
from notifications.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kawaranai-Sora-2026"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def actions(organisation) -> list[str]:
    return [entry.action for entry in audit_entries_for(organisation).order_by("pk")]


def confirm_link(message: OutboxMessage) -> str:
    match = re.search(r"https?://\S+/account/email/confirm/(\S+?)/", message.body_text)
    assert match, message.body_text
    return reverse("account:email_confirm_link", args=[match[1]])


# --- The pages --------------------------------------------------------------------------------


def test_the_account_page_shows_the_address_and_the_second_factor(signed_in, alice):
    html = signed_in.get(reverse("account:home")).content.decode()
    assert "alice@example.jp" in html and "無効" in html
    # A 管理者 is offered the organisation's requirement.
    assert 'data-testid="organisation-second-factor"' in html


def test_a_colleague_who_is_not_admin_is_not_offered_the_requirement(client, alice):
    viewer = UserFactory(contractor=alice.contractor, role="viewer")
    client.force_login(viewer)
    html = client.get(reverse("account:home")).content.decode()
    assert 'data-testid="organisation-second-factor"' not in html
    assert 'data-testid="menu-account"' in html


def test_an_obligee_user_has_an_account_page(client, shibukawa):
    client.force_login(UserFactory(contractor=None, obligee=shibukawa, role="clerk"))
    assert client.get(reverse("account:home")).status_code == 200


def test_staff_are_sent_to_the_admin(client, branch):
    client.force_login(UserFactory(contractor=None, is_staff=True, branch=branch))
    response = client.get(reverse("account:home"))
    assert response.status_code == 302 and response.url == reverse("admin:index")


# --- Password ---------------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(signed_in, alice):
    other = Client()
    other.force_login(alice)
    response = signed_in.post(
        reverse("account:password"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("account:home")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert signed_in.get(reverse("account:home")).status_code == 200
    assert other.get(reverse("account:home")).status_code == 302  # to the sign-in
    assert actions(alice.contractor) == ["account.password_changed"]


def test_a_wrong_current_password_or_a_weak_new_one_is_refused(signed_in, alice):
    response = signed_in.post(
        reverse("account:password"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and "old_password" in response.context["form"].errors
    response = signed_in.post(
        reverse("account:password"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200 and "new_password2" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert actions(alice.contractor) == []


def test_a_huge_password_is_a_form_error(signed_in):
    response = signed_in.post(
        reverse("account:password"),
        {"old_password": "x" * 100_000, "new_password1": "a", "new_password2": "b"},
    )
    assert response.status_code == 200


# --- E-mail address ---------------------------------------------------------------------------


def ask_change(client, new_email="alice.new@example.jp", password=PASSWORD):
    return client.post(reverse("account:email"), {"new_email": new_email, "password": password})


def test_changing_the_address_sends_a_link_to_the_new_one_and_tells_the_old_one(signed_in, alice):
    response = ask_change(signed_in, "ＡＬＩＣＥ.new@example.jp")
    assert response.status_code == 302
    to_new = OutboxMessage.objects.get(recipient="alice.new@example.jp")
    to_old = OutboxMessage.objects.get(recipient="alice@example.jp")
    assert "/account/email/confirm/" in to_new.body_text
    assert "/account/email/confirm/" not in to_old.body_text
    assert "alice.new@example.jp" in to_old.body_text
    alice.refresh_from_db()
    assert alice.email == "alice@example.jp"  # not before the link is opened

    # The link, opened (by a mail scanner, say), changes nothing; the button does.
    anonymous = Client()
    response = anonymous.get(confirm_link(to_new))
    assert response.status_code == 302 and response.url == reverse("account:email_confirm")
    assert "/confirm/" not in response.url.removesuffix("/confirm/")
    page = anonymous.get(response.url)
    assert page.status_code == 200 and page.context["change"] is not None
    alice.refresh_from_db()
    assert alice.email == "alice@example.jp"
    done = anonymous.post(reverse("account:email_confirm"))
    assert done.status_code == 200 and done.context["done"]
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.jp"
    assert actions(alice.contractor) == [
        "account.email_change_requested",
        "account.email_changed",
    ]

    # Single use.
    again = Client()
    again.get(confirm_link(to_new))
    response = again.post(reverse("account:email_confirm"))
    assert "すでに使用" in response.context["refusal"]
    # The new address signs in.
    response = Client().post(
        reverse("accounts:login"), {"username": "alice.new@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("applications:dashboard")


def test_the_link_expires_after_24_hours(signed_in, alice):
    ask_change(signed_in)
    link = confirm_link(OutboxMessage.objects.get(recipient="alice.new@example.jp"))
    later = timezone.now() + datetime.timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False):
        anonymous = Client()
        anonymous.get(link)
        response = anonymous.post(reverse("account:email_confirm"))
    assert "有効期限" in response.context["refusal"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.jp"


def test_a_second_request_ends_the_first_link(signed_in, alice):
    ask_change(signed_in, "first@example.jp")
    first = confirm_link(OutboxMessage.objects.get(recipient="first@example.jp"))
    ask_change(signed_in, "second@example.jp")
    anonymous = Client()
    anonymous.get(first)
    response = anonymous.post(reverse("account:email_confirm"))
    assert response.context["refusal"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.jp"


def test_an_address_in_use_gets_the_same_answer_and_no_link(signed_in, alice, charlie):
    used = ask_change(signed_in, "charlie@example.jp")
    free = ask_change(signed_in, "free@example.jp")
    assert used.status_code == free.status_code == 302
    assert used.url == free.url
    assert not OutboxMessage.objects.filter(recipient="charlie@example.jp").exists()
    assert not EmailChange.objects.filter(new_email="charlie@example.jp").exists()
    assert OutboxMessage.objects.filter(recipient="free@example.jp").exists()


def test_an_address_taken_after_the_request_is_refused_at_the_link(signed_in, alice):
    ask_change(signed_in, "late@example.jp")
    link = confirm_link(OutboxMessage.objects.get(recipient="late@example.jp"))
    UserFactory(email="late@example.jp")
    anonymous = Client()
    anonymous.get(link)
    response = anonymous.post(reverse("account:email_confirm"))
    assert response.status_code == 200 and "使用できません" in response.context["refusal"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.jp"


def test_a_deactivated_users_link_is_dead(signed_in, alice):
    ask_change(signed_in)
    link = confirm_link(OutboxMessage.objects.get(recipient="alice.new@example.jp"))
    User.objects.filter(pk=alice.pk).update(is_active=False)
    anonymous = Client()
    anonymous.get(link)
    response = anonymous.post(reverse("account:email_confirm"))
    assert response.context["refusal"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.jp"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"new_email": "alice@example.jp", "password": PASSWORD}, "new_email"),
        ({"new_email": "not an address", "password": PASSWORD}, "new_email"),
        ({"new_email": "x" * 10_000 + "@example.jp", "password": PASSWORD}, "new_email"),
        ({"new_email": "ok@example.jp", "password": "wrong"}, "password"),
        ({"new_email": "ok@example.jp", "password": "p" * 100_000}, "password"),
    ],
)
def test_bad_input_is_a_form_error(signed_in, data, field):
    response = signed_in.post(reverse("account:email"), data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not EmailChange.objects.exists()


@pytest.mark.parametrize("token", ["x", "a" * 500, "%E3%81%82"])
def test_unknown_tokens_are_refused_plainly(client, token):
    client.get(f"/account/email/confirm/{token}/")
    response = client.post(reverse("account:email_confirm"))
    assert response.status_code == 200 and "無効" in response.context["refusal"]


def test_change_requests_are_rate_limited(signed_in, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email-change-user": (2, 3600)}
    assert ask_change(signed_in, "a1@example.jp").status_code == 302
    assert ask_change(signed_in, "a2@example.jp").status_code == 302
    response = ask_change(signed_in, "a3@example.jp")
    assert response.status_code == 429
    assert not OutboxMessage.objects.filter(recipient="a3@example.jp").exists()


def test_the_timeline_shows_the_account_steps_to_the_admin(signed_in, alice):
    ask_change(signed_in)
    html = signed_in.get(reverse("members:timeline")).content.decode()
    assert "メールアドレスの変更を依頼" in html and "alice.new@example.jp" in html
