"""The 管理者's pages: people, invitations, roles, deactivation and the timeline."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from members import services
from members.models import Invitation
from notifications.models import OutboxMessage
from tests.factories import ContractorFactory, ElectronicObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


def test_the_people_page_lists_people_invitations_and_second_factors(admin_client, alice, bob):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=bob, name="app", confirmed=True)
    services.invite(
        email="pending@example.jp", role="viewer", contractor=alice.contractor, invited_by=alice
    )
    UserFactory(email="stranger@example.jp", contractor=ContractorFactory())
    html = admin_client.get(reverse("members:people")).content.decode()
    assert "alice@example.jp" in html and "bob@example.jp" in html
    assert "pending@example.jp" in html
    assert "stranger@example.jp" not in html
    assert html.count("有効") >= 1 and "無効" in html


def test_inviting_from_the_page_sends_the_mail_and_full_width_input_is_read(admin_client):
    response = admin_client.post(
        reverse("members:invite"), {"email": "ＮＥＷ＠example.jp", "role": "applicant"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("new@example.jp", "applicant")
    assert OutboxMessage.objects.filter(recipient="new@example.jp").exists()


def test_a_role_the_company_does_not_give_is_refused(admin_client):
    response = admin_client.post(
        reverse("members:invite"), {"email": "x@example.jp", "role": "clerk"}
    )
    assert response.status_code == 200 and response.context["invite_form"].errors
    assert not Invitation.objects.exists()


def test_invitations_to_one_address_are_rate_limited(admin_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation-send-address": (2, 3600)}
    from django.core.cache import cache

    cache.clear()
    invitation = services.invite(
        email="x@example.jp",
        role="viewer",
        contractor=User.objects.get(email="alice@example.jp").contractor,
        invited_by=None,
    )
    url = reverse("members:invitation_resend", args=[invitation.pk])
    admin_client.post(url)
    admin_client.post(url)
    response = admin_client.post(url, follow=True)
    assert "しばらく受け付けを停止" in response.content.decode()
    cache.clear()


def test_resend_and_revoke_from_the_page(admin_client, alice):
    invitation = services.invite(
        email="x@example.jp", role="viewer", contractor=alice.contractor, invited_by=alice
    )
    admin_client.post(reverse("members:invitation_resend", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.sent_count == 2
    admin_client.post(reverse("members:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    response = admin_client.post(
        reverse("members:invitation_revoke", args=[invitation.pk]), follow=True
    )
    assert "取消し" in response.content.decode()


def test_changing_a_role_and_the_last_admin_rule(admin_client, alice, bob):
    admin_client.post(reverse("members:person_role", args=[bob.pk]), {"role": "viewer"})
    bob.refresh_from_db()
    assert bob.role == "viewer"
    response = admin_client.post(
        reverse("members:person_role", args=[alice.pk]), {"role": "viewer"}, follow=True
    )
    assert "管理者が一人もいなくなる" in response.content.decode()
    alice.refresh_from_db()
    assert alice.role == "admin"
    response = admin_client.post(reverse("members:person_deactivate", args=[alice.pk]), follow=True)
    assert "管理者が一人もいなくなる" in response.content.decode()


def test_deactivation_ends_the_leavers_session_at_once(admin_client, bob):
    leaver = Client()
    leaver.force_login(bob)
    assert leaver.get(reverse("applications:dashboard")).status_code == 200
    admin_client.post(reverse("members:person_deactivate", args=[bob.pk]))
    response = leaver.get(reverse("applications:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    signing_in = {"username": bob.email, "password": "correct-horse-battery"}
    assert leaver.post(reverse("accounts:login"), signing_in).status_code == 200  # refused
    # Let back in: the old session stays ended, a new sign-in works.
    admin_client.post(reverse("members:person_reactivate", args=[bob.pk]))
    assert leaver.get(reverse("applications:dashboard")).status_code == 302
    assert leaver.post(reverse("accounts:login"), signing_in).status_code == 302


def test_a_deactivated_persons_old_reset_link_is_dead(client, alice, bob):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(bob.pk))
    token = default_token_generator.make_token(bob)
    services.person_deactivate(person_id=bob.pk, organisation=alice.contractor, user=alice)
    response = client.get(
        reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True
    )
    assert "このリンクは無効" in response.content.decode()


def test_another_companys_person_is_a_404(admin_client):
    stranger = UserFactory(contractor=ContractorFactory())
    for name in ["members:person", "members:person_role", "members:person_deactivate"]:
        method = admin_client.get if name == "members:person" else admin_client.post
        assert method(reverse(name, args=[stranger.pk])).status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


def test_the_timeline_lists_the_organisations_steps_newest_first(admin_client, alice, bob):
    services.invite(
        email="x@example.jp", role="viewer", contractor=alice.contractor, invited_by=alice
    )
    services.role_change(person_id=bob.pk, role="viewer", organisation=alice.contractor, user=alice)
    html = admin_client.get(reverse("members:timeline")).content.decode()
    assert html.index("利用者の役割を変更") < html.index("利用者を招待")
    assert "管理者 → 閲覧のみ" in html


def test_other_roles_are_refused_and_the_menu_shows_the_page_to_admins_only(client, alice, bob):
    User.objects.filter(pk=bob.pk).update(role="applicant")
    client.force_login(bob)
    assert client.get(reverse("members:people")).status_code == 403
    assert (
        'data-testid="menu-people"'
        not in client.get(reverse("applications:dashboard")).content.decode()
    )
    client.force_login(alice)
    assert (
        'data-testid="menu-people"'
        in client.get(reverse("applications:dashboard")).content.decode()
    )


def test_an_obligee_admin_invites_a_clerk(client):
    obligee = ElectronicObligeeFactory()
    admin = UserFactory(contractor=None, obligee=obligee)
    client.force_login(admin)
    client.post(reverse("members:invite"), {"email": "clerk@example.jp", "role": "clerk"})
    invitation = Invitation.objects.get()
    assert (invitation.obligee, invitation.role) == (obligee, "clerk")
