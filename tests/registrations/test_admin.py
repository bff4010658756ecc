"""The branch's side: registrations in the admin, approval (a new company or the existing one),
refusal with its reason e-mailed, duplicates flagged, and each decision taken once."""

import pytest
from django.urls import reverse

from accounts.models import Contractor, User
from core.audit import audit_entries_for
from core.models import AuditEntry
from members.models import Invitation
from notifications.models import OutboxMessage
from registrations import services
from registrations.models import Registration
from tests.accounts.otp import login_verified_staff
from tests.factories import ContractorFactory, UserFactory
from tests.registrations.conftest import OTHER_VALID_NUMBER, VALID_NUMBER

pytestmark = pytest.mark.django_db


def make_registration(branch, *, confirmed=True, **fields) -> Registration:
    data = {
        "company_name": "◇◇土木 株式会社",
        "company_kana": "ヒシヒシドボク",
        "corporate_number": VALID_NUMBER,
        "permit_authority": "governor",
        "permit_prefecture": "10",
        "permit_kind": "general",
        "permit_number": 12345,
        "address": "群馬県渋川市石原80",
        "representative": "代表取締役 菱田 一郎",
        "branch": branch,
        "applicant_name": "菱田 次郎",
        "applicant_department": "総務部",
        "applicant_phone": "0279-22-2111",
        "applicant_email": "jiro@hishi-doboku.example.jp",
        **fields,
    }
    registration = services.registration_submit(data=data)
    if confirmed:
        services.registration_confirm(token=registration.token)
        registration.refresh_from_db()
    return registration


def change_url(registration):
    return reverse("admin:registrations_registration_change", args=[registration.pk])


def test_branch_staff_see_their_branch_confirmed_registrations_only(
    client, gunma, tochigi, gunma_staff
):
    mine = make_registration(gunma)
    make_registration(gunma, confirmed=False, applicant_email="unconfirmed@example.jp")
    theirs = make_registration(tochigi, applicant_email="t@example.jp")
    login_verified_staff(client, gunma_staff)
    page = client.get(reverse("admin:registrations_registration_changelist")).content.decode()
    assert change_url(mine) in page
    assert "unconfirmed@example.jp" not in page
    assert change_url(theirs) not in page
    # Another branch's registration is as unknown as any other id.
    assert client.get(change_url(theirs)).status_code == 302
    approve = reverse("admin:registrations_registration_approve", args=[theirs.pk])
    assert client.post(approve, {"company": "new"}).status_code == 404


def test_head_office_sees_every_branch(client, gunma, tochigi, head_office_staff):
    make_registration(gunma)
    make_registration(tochigi, applicant_email="t@example.jp")
    assert services.registrations_for_staff(head_office_staff).count() == 2


def test_the_page_shows_what_to_check(client, gunma, gunma_staff):
    registration = make_registration(gunma)
    login_verified_staff(client, gunma_staff)
    page = client.get(change_url(registration)).content.decode()
    for words in [
        VALID_NUMBER,
        "群馬県知事 許可(般)第012345号",
        "正しい",
        "承認する",
        "お断りする",
    ]:
        assert words in page


def test_approving_creates_the_company_and_invites_its_first_admin(client, gunma, gunma_staff):
    registration = make_registration(gunma)
    login_verified_staff(client, gunma_staff)
    url = reverse("admin:registrations_registration_approve", args=[registration.pk])
    page = client.get(url).content.decode()
    assert "新しく登録する" in page
    response = client.post(url, {"company": "new"})
    assert response.status_code == 302
    registration.refresh_from_db()
    company = registration.contractor
    assert registration.status == Registration.Status.APPROVED
    assert (company.name, company.kana, company.corporate_number, company.home_branch) == (
        "◇◇土木 株式会社",
        "ヒシヒシドボク",
        VALID_NUMBER,
        gunma,
    )
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.contractor) == (
        "jiro@hishi-doboku.example.jp",
        "admin",
        company,
    )
    assert invitation.invited_by == gunma_staff
    assert OutboxMessage.objects.filter(
        template="member_invitation", recipient="jiro@hishi-doboku.example.jp"
    ).exists()
    # The company's timeline starts with the confirmation and the approval.
    actions = [entry.action for entry in audit_entries_for(company)]
    assert "registration.confirmed" in actions and "registration.approved" in actions
    assert "member.invited" in actions


def test_approving_links_to_the_existing_company_with_the_same_number(client, gunma, gunma_staff):
    existing = ContractorFactory(name="◇◇土木(株)", corporate_number=VALID_NUMBER)
    registration = make_registration(gunma)
    login_verified_staff(client, gunma_staff)
    url = reverse("admin:registrations_registration_approve", args=[registration.pk])
    page = client.get(url).content.decode()
    assert "◇◇土木(株)" in page and "新しく登録する" not in page
    client.post(url, {"company": str(existing.pk)})
    registration.refresh_from_db()
    assert registration.contractor == existing
    assert Contractor.objects.count() == 1
    assert Invitation.objects.get().contractor == existing


def test_a_new_company_is_refused_while_one_with_the_number_exists(gunma, gunma_staff):
    ContractorFactory(corporate_number=VALID_NUMBER)
    registration = make_registration(gunma)
    with pytest.raises(services.StateError, match="すでに登録されています"):
        services.registration_approve(registration_id=registration.pk, user=gunma_staff)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WAITING
    assert not Invitation.objects.exists()


def test_another_company_cannot_be_chosen(gunma, gunma_staff):
    other = ContractorFactory(corporate_number=OTHER_VALID_NUMBER)
    registration = make_registration(gunma)
    with pytest.raises(services.ServiceError, match="法人番号が同じ"):
        services.registration_approve(
            registration_id=registration.pk, user=gunma_staff, contractor_id=other.pk
        )


def test_approval_is_taken_once(client, gunma, gunma_staff):
    registration = make_registration(gunma)
    services.registration_approve(registration_id=registration.pk, user=gunma_staff)
    with pytest.raises(services.StateError, match="承認済"):
        services.registration_approve(registration_id=registration.pk, user=gunma_staff)
    with pytest.raises(services.StateError):
        services.registration_refuse(
            registration_id=registration.pk, user=gunma_staff, reason="重複"
        )
    # The second click of the page: a message, nothing more.
    login_verified_staff(client, gunma_staff)
    url = reverse("admin:registrations_registration_approve", args=[registration.pk])
    response = client.post(url, {"company": "new"}, follow=True)
    assert "承認済のため、処理できません" in response.content.decode()
    assert Contractor.objects.count() == 1 and Invitation.objects.count() == 1


def test_refusing_mails_the_reason(client, gunma, gunma_staff):
    registration = make_registration(gunma)
    login_verified_staff(client, gunma_staff)
    url = reverse("admin:registrations_registration_refuse", args=[registration.pk])
    assert client.post(url, {"reason": ""}).status_code == 200  # the form again
    response = client.post(url, {"reason": "建設業許可の確認ができませんでした。"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REFUSED
    assert registration.refusal_reason == "建設業許可の確認ができませんでした。"
    mail = OutboxMessage.objects.get(template="registration_refused")
    assert mail.recipient == "jiro@hishi-doboku.example.jp"
    assert "建設業許可の確認ができませんでした。" in mail.body_text
    assert "群馬支店" in mail.body_text
    assert not Contractor.objects.exists() and not Invitation.objects.exists()
    entry = AuditEntry.objects.get(action="registration.refused")
    assert entry.user == gunma_staff
    # The registration's page tells its story.
    page = client.get(change_url(registration)).content.decode()
    assert "利用申込のメールアドレスを確認" in page and "利用申込をお断り" in page
    # Refused twice: a message.
    again = client.post(url, {"reason": "もう一度"}, follow=True).content.decode()
    assert "お断りのため、処理できません" in again
    assert OutboxMessage.objects.filter(template="registration_refused").count() == 1


@pytest.mark.parametrize("reason", ["  ", "\x00", "あ" * 2001])
def test_a_refusal_needs_a_reason(gunma, gunma_staff, reason):
    registration = make_registration(gunma)
    with pytest.raises(services.ServiceError):
        services.registration_refuse(
            registration_id=registration.pk, user=gunma_staff, reason=reason
        )


def test_duplicates_are_flagged_not_merged(client, gunma, tochigi, head_office_staff):
    first = make_registration(gunma)
    second = make_registration(tochigi, applicant_email="other@example.jp")
    ContractorFactory(name="既存の土木", corporate_number=VALID_NUMBER)
    login_verified_staff(client, head_office_staff)
    listing = client.get(reverse("admin:registrations_registration_changelist")).content.decode()
    assert "登録済みの請負者 / 審査待ちの申込" in listing
    page = client.get(change_url(first)).content.decode()
    assert "既存の土木" in page and "other@example.jp" in page
    assert Registration.objects.filter(status="waiting").count() == 2
    assert second.status == Registration.Status.WAITING


def test_an_applicant_already_known_is_shown(client, gunma, gunma_staff):
    registration = make_registration(gunma)
    UserFactory(email="jiro@hishi-doboku.example.jp")
    login_verified_staff(client, gunma_staff)
    assert "すでに利用者です" in client.get(change_url(registration)).content.decode()


def test_staff_who_may_only_view_cannot_decide(gunma, groups):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(email="v@example.jp", contractor=None, is_staff=True, branch=gunma)
    viewer.user_permissions.add(Permission.objects.get(codename="view_registration"))
    registration = make_registration(gunma)
    with pytest.raises(services.PermissionDenied):
        services.registration_approve(registration_id=registration.pk, user=viewer)


def test_the_work_queue_counts_waiting_registrations(client, gunma, tochigi, gunma_staff):
    make_registration(gunma)
    make_registration(gunma, applicant_email="b@example.jp")
    make_registration(gunma, confirmed=False, applicant_email="c@example.jp")
    make_registration(tochigi, applicant_email="d@example.jp")
    login_verified_staff(client, gunma_staff)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="queue-registrations">2件' in page
    assert "status__exact=waiting" in page


def test_the_invited_admin_joins_the_company(client, gunma, gunma_staff):
    from members import services as member_services

    registration = make_registration(gunma)
    services.registration_approve(registration_id=registration.pk, user=gunma_staff)
    invitation = Invitation.objects.get()
    # The token of the e-mail's link (only its digest is stored): re-sent to read one.
    token = member_services.invitation_resend(
        invitation_id=invitation.pk, organisation=invitation.contractor, user=gunma_staff
    ).token
    user = member_services.invitation_accept(
        token=token, full_name="菱田 次郎", password="kaze-no-tani-2026"
    )
    assert (user.contractor, user.role) == (Contractor.objects.get(), User.Role.ADMIN)
