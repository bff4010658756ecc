"""Head office invites an obligee's first 管理者 in the admin; nobody types a password."""

import pytest
from django.urls import reverse

from accounts.groups import HEAD_OFFICE, ensure_staff_groups
from core.audit import audit_entries_for
from members import services
from members.models import Invitation
from notifications.models import OutboxMessage
from tests.accounts.otp import login_verified_staff
from tests.factories import BranchFactory, ElectronicObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_office(client):
    user = UserFactory(contractor=None, is_staff=True, branch=BranchFactory(code="HQ"))
    user.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    login_verified_staff(client, user)
    return user


def test_head_office_invites_an_obligees_first_admin(client, head_office):
    obligee = ElectronicObligeeFactory(name="渋川市")
    page = client.get(reverse("admin:obligees_obligee_change", args=[obligee.pk]))
    link = f"{reverse('admin:members_invitation_add')}?obligee={obligee.pk}&amp;role=admin"
    assert link in page.content.decode()
    response = client.post(
        reverse("admin:members_invitation_add"),
        {"obligee": obligee.pk, "email": "Keiyaku@City.example.jp", "role": "admin", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    invitation = Invitation.objects.get()
    assert (invitation.obligee, invitation.email, invitation.role) == (
        obligee,
        "keiyaku@city.example.jp",
        "admin",
    )
    assert invitation.invited_by == head_office
    assert OutboxMessage.objects.filter(recipient="keiyaku@city.example.jp").exists()
    assert audit_entries_for(obligee).filter(action="member.invited").exists()


def test_the_admin_form_refuses_a_wrong_role_or_two_organisations(client, head_office):
    obligee = ElectronicObligeeFactory()
    response = client.post(
        reverse("admin:members_invitation_add"),
        {"obligee": obligee.pk, "email": "a@example.jp", "role": "viewer"},
    )
    assert response.status_code == 200 and not Invitation.objects.exists()
    company = UserFactory().contractor
    response = client.post(
        reverse("admin:members_invitation_add"),
        {"obligee": obligee.pk, "contractor": company.pk, "email": "a@example.jp", "role": "admin"},
    )
    assert response.status_code == 200 and not Invitation.objects.exists()


def test_resend_and_revoke_are_actions(client, head_office):
    obligee = ElectronicObligeeFactory()
    invitation = services.invite(
        email="a@example.jp", role="admin", obligee=obligee, invited_by=None
    )
    url = reverse("admin:members_invitation_changelist")
    client.post(url, {"action": "resend", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.sent_count == 2
    client.post(url, {"action": "revoke", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_outbox_shows_head_office_the_invitation_without_its_token(client, head_office):
    invitation = services.invite(
        email="a@example.jp", role="admin", obligee=ElectronicObligeeFactory(), invited_by=None
    )
    message = OutboxMessage.objects.get(template="member_invitation")
    assert invitation.token in message.body_text  # the recipient gets the link
    page = client.get(reverse("admin:notifications_outboxmessage_change", args=[message.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "/members/invitations/＊＊＊/" in html
    assert invitation.token not in html
