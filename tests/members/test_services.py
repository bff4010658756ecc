"""Invitations and people: the services, with the clock set where time matters."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from core.audit import audit_entries_for
from core.errors import ServiceError, StateError
from members import services
from members.models import Invitation
from notifications.models import OutboxMessage
from tests.factories import ContractorFactory, ElectronicObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "kaze-no-tani-2026"


@pytest.fixture
def company(alice):
    return alice.contractor


def invite(company, alice, email="new@example.jp", role="applicant"):
    return services.invite(email=email, role=role, contractor=company, invited_by=alice)


def accept(invitation, name="新人 一郎"):
    return services.invitation_accept(token=invitation.token, full_name=name, password=PASSWORD)


def test_an_invitation_stores_only_the_digest_and_mails_the_link(
    company, alice, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(company, alice, email="ＮＥＷ@Example.jp")
    assert invitation.email == "new@example.jp"
    assert len(invitation.token) >= 43
    stored = Invitation.objects.get()
    assert invitation.token not in stored.token_digest
    assert stored.token_digest == services.token_digest(invitation.token)
    assert stored.expires_at - stored.created_at == datetime.timedelta(days=7)
    (mail,) = mailoutbox
    assert mail.to == ["new@example.jp"]
    assert f"/members/invitations/{invitation.token}/" in mail.body
    assert "申込担当" in mail.body
    entry = audit_entries_for(company).get()
    assert (entry.action, entry.user, entry.data["email"]) == (
        "member.invited",
        alice,
        "new@example.jp",
    )


def test_accepting_makes_the_account_in_the_invited_role_once(company, alice):
    invitation = invite(company, alice)
    user = accept(invitation)
    assert (user.email, user.contractor, user.role) == ("new@example.jp", company, "applicant")
    assert user.check_password(PASSWORD)
    invitation.refresh_from_db()
    assert invitation.used_at is not None and invitation.user == user
    with pytest.raises(StateError, match="すでに使用され"):
        accept(invitation)
    assert User.objects.filter(email="new@example.jp").count() == 1
    assert audit_entries_for(company).filter(action="member.joined", user=user).exists()


def test_an_invitation_expires_after_seven_days(company, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        invitation = invite(company, alice)
        clock.shift(datetime.timedelta(days=7, seconds=-1))
        assert services.invitation_refusal(services.invitation_for_token(invitation.token)) == ""
        clock.shift(datetime.timedelta(seconds=1))
        with pytest.raises(StateError, match="有効期限"):
            accept(invitation)
    assert not User.objects.filter(email="new@example.jp").exists()


def test_a_revoked_invitation_is_refused(company, alice):
    invitation = invite(company, alice)
    services.invitation_revoke(invitation_id=invitation.pk, organisation=company, user=alice)
    with pytest.raises(StateError, match="取り消されました"):
        accept(invitation)
    assert audit_entries_for(company).filter(action="member.invitation_revoked").exists()


def test_resending_gives_a_new_link_and_kills_the_old(company, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        old = invite(company, alice)
        clock.shift(datetime.timedelta(days=8))  # expired: may be re-sent
        new = services.invitation_resend(invitation_id=old.pk, organisation=company, user=alice)
        assert new.token != old.token
        with pytest.raises(StateError, match="無効"):
            accept(old)
        assert accept(new).role == "applicant"
    assert OutboxMessage.objects.filter(template="member_invitation").count() == 2


def test_an_unknown_or_absurd_token_is_refused_plainly(company, alice):
    invite(company, alice)
    for token in ["", "x", "A" * 5000, "\x00abc"]:
        with pytest.raises(StateError, match="無効"):
            services.invitation_accept(token=token, full_name="誰か", password=PASSWORD)


def test_the_password_validators_apply_and_leave_the_invitation_unused(company, alice):
    invitation = invite(company, alice)
    with pytest.raises(ValidationError):
        services.invitation_accept(token=invitation.token, full_name="新人", password="1234")
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_an_address_with_an_account_is_told_to_sign_in(company, alice):
    invitation = invite(company, alice, email="taken@example.jp")
    UserFactory(email="taken@example.jp", contractor=ContractorFactory())
    with pytest.raises(StateError, match="すでにネットデスクに登録"):
        accept(invitation)
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_roles_the_organisation_does_not_give_are_refused(company, alice):
    with pytest.raises(ServiceError):
        invite(company, alice, role="clerk")
    obligee = ElectronicObligeeFactory()
    with pytest.raises(ServiceError):
        services.invite(email="a@example.jp", role="viewer", obligee=obligee, invited_by=None)
    assert services.invite(email="a@example.jp", role="clerk", obligee=obligee, invited_by=None)


def test_a_second_pending_invitation_or_a_present_member_is_refused(company, alice, bob):
    invite(company, alice)
    with pytest.raises(StateError, match="有効な招待"):
        invite(company, alice)
    with pytest.raises(StateError, match="すでにこの組織"):
        invite(company, alice, email=bob.email)
    services.person_deactivate(person_id=bob.pk, organisation=company, user=alice)
    with pytest.raises(StateError, match="利用を再開"):
        invite(company, alice, email=bob.email)


def test_the_last_admin_can_neither_step_down_nor_leave(company, alice, bob):
    User.objects.filter(pk=bob.pk).update(role="applicant")
    with pytest.raises(StateError, match="管理者が一人も"):
        services.role_change(person_id=alice.pk, role="viewer", organisation=company, user=alice)
    with pytest.raises(StateError, match="管理者が一人も"):
        services.person_deactivate(person_id=alice.pk, organisation=company, user=alice)
    # With a second 管理者, alice may step down; then bob is the last.
    services.role_change(person_id=bob.pk, role="admin", organisation=company, user=alice)
    services.role_change(person_id=alice.pk, role="viewer", organisation=company, user=alice)
    with pytest.raises(StateError):
        services.role_change(person_id=bob.pk, role="viewer", organisation=company, user=bob)


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(company, alice, bob):
    before = bob.get_session_auth_hash()
    services.person_deactivate(person_id=bob.pk, organisation=company, user=alice)
    bob.refresh_from_db()
    assert not bob.is_active
    services.person_reactivate(person_id=bob.pk, organisation=company, user=alice)
    bob.refresh_from_db()
    assert bob.is_active and bob.get_session_auth_hash() != before
    actions = list(audit_entries_for(company).values_list("action", flat=True))
    assert actions == ["member.deactivated", "member.reactivated"]


def test_another_organisations_people_and_invitations_are_out_of_reach(company, alice):
    other = ContractorFactory()
    stranger = UserFactory(contractor=other)
    theirs = services.invite(
        email="x@example.jp", role="viewer", contractor=other, invited_by=stranger
    )
    with pytest.raises(User.DoesNotExist):
        services.person_deactivate(person_id=stranger.pk, organisation=company, user=alice)
    with pytest.raises(Invitation.DoesNotExist):
        services.invitation_revoke(invitation_id=theirs.pk, organisation=company, user=alice)
