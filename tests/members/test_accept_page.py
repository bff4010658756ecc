"""The invitation's page: the link, the form, and every refusal in words."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from members import services

pytestmark = pytest.mark.django_db

PASSWORD = "kaze-no-tani-2026"


@pytest.fixture
def invitation(alice):
    return services.invite(
        email="new@example.jp", role="viewer", contractor=alice.contractor, invited_by=alice
    )


def open_link(client, token):
    response = client.get(reverse("members:accept_link", args=[token]))
    assert response.status_code == 302
    assert token not in response["Location"]
    return client.get(response["Location"])


def test_the_invited_person_chooses_name_and_password_and_is_signed_in(client, invitation):
    page = open_link(client, invitation.token)
    text = page.content.decode()
    assert "〇〇建設 株式会社" in text and "閲覧のみ" in text and "new@example.jp" in text
    response = client.post(
        reverse("members:accept"),
        {"full_name": "新人 花子", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.jp")
    assert (user.full_name, user.role) == ("新人 花子", "viewer")
    assert client.session["_auth_user_id"] == str(user.pk)
    # The link again: used.
    assert "すでに使用され" in open_link(client, invitation.token).content.decode()


def test_posted_fields_cannot_choose_another_organisation_or_role(client, invitation):
    open_link(client, invitation.token)
    client.post(
        reverse("members:accept"),
        {
            "full_name": "新人",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "admin",
            "contractor": "999",
            "email": "other@example.jp",
        },
    )
    user = User.objects.get(email="new@example.jp")
    assert user.role == "viewer" and user.contractor == invitation.contractor


def test_weak_or_mismatched_passwords_are_explained(client, invitation):
    open_link(client, invitation.token)
    for first, second in [
        ("1234", "1234"),
        (PASSWORD, PASSWORD + "x"),
        ("new@example.jp", "new@example.jp"),
    ]:
        response = client.post(
            reverse("members:accept"),
            {"full_name": "新人", "password1": first, "password2": second},
        )
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not User.objects.filter(email="new@example.jp").exists()


def test_huge_and_control_character_input_gets_a_message_not_a_500(client, invitation):
    open_link(client, invitation.token)
    response = client.post(
        reverse("members:accept"),
        {"full_name": "名" * 10_000, "password1": "p" * 10_000, "password2": "p" * 10_000},
    )
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        reverse("members:accept"),
        {"full_name": "工事\u202e名", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200 and "full_name" in response.context["form"].errors
    assert client.get(reverse("members:accept_link", args=["x" * 5000])).status_code == 302


def test_expired_and_revoked_links_say_so(client, invitation, alice):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        assert "有効期限" in open_link(client, invitation.token).content.decode()
    services.invitation_revoke(
        invitation_id=invitation.pk, organisation=alice.contractor, user=alice
    )
    assert "取り消されました" in open_link(client, invitation.token).content.decode()
    assert "無効です" in open_link(client, "no-such-token").content.decode()


def test_someone_signed_in_is_asked_to_sign_out_first(client, invitation, bob):
    client.force_login(bob)
    page = open_link(client, invitation.token)
    assert "ログアウトしてから" in page.content.decode()
    client.post(
        reverse("members:accept"),
        {"full_name": "新人", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="new@example.jp").exists()
