"""二段階認証 of contractor and obligee users: enrolment, sign-in with a code, backup codes,
turning it off, and the organisation's requirement."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import PENDING_SECONDS
from core.audit import audit_entries_for
from tests.accounts.otp import authenticator_for, backup_codes_for, login_verified_staff
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the authenticator app shows (django_otp's own TOTP computation)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{value:0{device.digits}d}"


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def enter_code(client, code):
    return client.post(reverse("accounts:login_code"), {"code": code})


def actions(organisation) -> list[str]:
    return [entry.action for entry in audit_entries_for(organisation).order_by("pk")]


def enrol(client, user) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("account:second_factor_enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("account:second_factor_enrol"), {"code": code_of(device)})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    return device, response.context["codes"]


# --- Enrolment --------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_keeps_them_until_confirmed(client, alice):
    client.force_login(alice)
    first = client.get(reverse("account:second_factor_enrol"))
    html = first.content.decode()
    assert 'data-testid="enrol-qr"' in html and "data:image/svg+xml" in html
    again = client.get(reverse("account:second_factor_enrol"))
    assert again.context["secret"] == first.context["secret"]
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_enrolling_confirms_the_app_shows_backup_codes_once_and_ends_other_sessions(client, alice):
    other = Client()
    other.force_login(alice)
    client.force_login(alice)
    device, codes = enrol(client, alice)
    device.refresh_from_db()
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert StaticToken.objects.filter(device__user=alice).count() == 10
    # This session stays, verified by the app; the other one ends.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("account:home")).status_code == 200
    assert other.get(reverse("account:home")).status_code == 302
    # The codes are not shown again.
    html = client.get(reverse("account:second_factor")).content.decode()
    assert codes[0] not in html and "10個" in html
    assert actions(alice.contractor) == ["account.second_factor_on"]


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", "１" * 40, ""])
def test_a_wrong_enrolment_code_is_refused(client, alice, code):
    client.force_login(alice)
    client.get(reverse("account:second_factor_enrol"))
    response = client.post(reverse("account:second_factor_enrol"), {"code": code})
    assert response.status_code == 200 and response.context["form"].errors
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_enrolment_codes_are_rate_limited(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "second-factor-user": (3, 900)}
    client.force_login(alice)
    client.get(reverse("account:second_factor_enrol"))
    for _i in range(3):
        client.post(reverse("account:second_factor_enrol"), {"code": "000000"})
    device = TOTPDevice.objects.get(user=alice)
    response = client.post(reverse("account:second_factor_enrol"), {"code": code_of(device)})
    assert response.status_code == 429
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


# --- Sign-in ----------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_of_the_app(client, alice):
    device = authenticator_for(alice)
    response = sign_in(client, "alice@example.jp")
    assert response.status_code == 302 and response.url == reverse("accounts:login_code")
    # Not signed in between the two steps.
    assert client.get(reverse("applications:dashboard")).status_code == 302
    assert client.get(reverse("accounts:login_code")).status_code == 200
    wrong = enter_code(client, "000000" if code_of(device) != "000000" else "111111")
    assert wrong.status_code == 200 and wrong.context["form"].errors
    # django-otp makes the app wait a second after a wrong code.
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=2)):
        response = enter_code(client, code_of(device))
    assert response.status_code == 302 and response.url == reverse("applications:dashboard")
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("applications:dashboard")).status_code == 200


def test_sign_in_keeps_the_page_asked_for(client, alice):
    device = authenticator_for(alice)
    client.post(
        reverse("accounts:login"),
        {"username": "alice@example.jp", "password": PASSWORD, "next": "/account/"},
    )
    response = enter_code(client, code_of(device))
    assert response.url == "/account/"


def test_sign_in_does_not_follow_a_next_to_another_site(client, alice):
    device = authenticator_for(alice)
    client.post(
        reverse("accounts:login"),
        {"username": "alice@example.jp", "password": PASSWORD, "next": "https://evil.example/"},
    )
    response = enter_code(client, code_of(device))
    assert response.url == reverse("applications:dashboard")


def test_a_backup_code_signs_in_once(client, alice):
    authenticator_for(alice)
    backup_codes_for(alice, ["k7q2m4xz"])
    sign_in(client, "alice@example.jp")
    assert enter_code(client, "K7Q2 M4XZ").status_code == 302
    again = Client()
    sign_in(again, "alice@example.jp")
    response = enter_code(again, "k7q2m4xz")
    assert response.status_code == 200 and response.context["form"].errors


def test_wrong_codes_are_rate_limited_even_before_a_right_one(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "second-factor-user": (3, 900)}
    device = authenticator_for(alice)
    sign_in(client, "alice@example.jp")
    for code in ["abc", "zzz", "qqq"]:  # backup-code shaped: the app's throttle is not involved
        enter_code(client, code)
    response = enter_code(client, code_of(device))
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_password_step_expires(client, alice):
    device = authenticator_for(alice)
    sign_in(client, "alice@example.jp")
    later = timezone.now() + datetime.timedelta(seconds=PENDING_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = enter_code(client, code_of(device))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_a_password_changed_meanwhile_ends_the_half_finished_sign_in(client, alice):
    device = authenticator_for(alice)
    sign_in(client, "alice@example.jp")
    alice.set_password("another-Password-2026")
    alice.save()
    response = enter_code(client, code_of(device))
    assert response.url == reverse("accounts:login")


@pytest.mark.parametrize("code", ["x" * 10_000, "１２３４５６", "\u202e123456"])
def test_odd_codes_are_answered_without_error(client, alice, code):
    authenticator_for(alice)
    sign_in(client, "alice@example.jp")
    response = enter_code(client, code)
    assert response.status_code == 200


def test_users_without_a_second_factor_sign_in_with_the_password(client, alice):
    response = sign_in(client, "alice@example.jp")
    assert response.url == reverse("applications:dashboard")


def test_staff_sign_in_on_the_portal_page_is_unchanged(client, branch):
    staff = UserFactory(email="staff@example.jp", contractor=None, is_staff=True, branch=branch)
    authenticator_for(staff)
    response = sign_in(client, "staff@example.jp")
    assert response.status_code == 302 and response.url != reverse("accounts:login_code")


def test_an_obligee_user_signs_in_with_a_code(client, shibukawa):
    user = UserFactory(email="clerk@example.jp", contractor=None, obligee=shibukawa, role="clerk")
    device = authenticator_for(user)
    sign_in(client, "clerk@example.jp")
    response = enter_code(client, code_of(device))
    assert response.status_code == 302
    assert client.get(reverse("obligee_portal:home")).status_code == 200


# --- Backup codes and turning it off -----------------------------------------------------------


def test_new_backup_codes_replace_the_old_ones(client, alice):
    client.force_login(alice)
    _device, old_codes = enrol(client, alice)
    wrong = client.post(reverse("account:backup_codes"), {"renew-password": "wrong"})
    assert wrong.status_code == 200 and wrong.context["renew_form"].errors
    response = client.post(reverse("account:backup_codes"), {"renew-password": PASSWORD})
    new_codes = response.context["codes"]
    assert "no-store" in response["Cache-Control"]
    assert not set(new_codes) & set(old_codes)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored == set(new_codes)
    assert "account.backup_codes_renewed" in actions(alice.contractor)


def test_turning_off_asks_for_the_password_and_a_code(client, alice):
    client.force_login(alice)
    _device, codes = enrol(client, alice)
    url = reverse("account:second_factor_off")
    response = client.post(url, {"off-password": "wrong", "off-code": codes[0]})
    assert response.status_code == 200 and "password" in response.context["off_form"].errors
    response = client.post(url, {"off-password": PASSWORD, "off-code": "nonsense"})
    assert response.status_code == 200 and "code" in response.context["off_form"].errors
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=2)):
        response = client.post(url, {"off-password": PASSWORD, "off-code": codes[1]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert actions(alice.contractor)[-1] == "account.second_factor_off"
    # Signing in again takes the password only.
    assert sign_in(Client(), "alice@example.jp").url == reverse("applications:dashboard")


# --- The organisation's requirement -----------------------------------------------------------


def require(client) -> None:
    client.post(reverse("account:organisation_second_factor"), {"required": "1"})


def test_an_admin_must_have_a_second_factor_before_requiring_it(client, alice):
    client.force_login(alice)
    require(client)
    alice.contractor.refresh_from_db()
    assert not alice.contractor.second_factor_required


def test_only_the_admin_sets_the_requirement(client, alice):
    applicant = UserFactory(contractor=alice.contractor, role="applicant")
    authenticator_for(applicant)
    login_verified_staff(client, applicant)  # (any user: a session verified by the device)
    response = client.post(reverse("account:organisation_second_factor"), {"required": "1"})
    assert response.status_code == 403
    alice.contractor.refresh_from_db()
    assert not alice.contractor.second_factor_required


def test_the_requirement_leads_everyone_without_a_second_factor_to_enrol(client, alice, bob):
    login_verified_staff(client, alice)  # alice has her app and signed in with it
    require(client)
    alice.contractor.refresh_from_db()
    assert alice.contractor.second_factor_required
    entry = audit_entries_for(alice.contractor).get(action="account.second_factor_required")
    assert entry.data["required"] is True and entry.user == alice
    assert client.get(reverse("applications:dashboard")).status_code == 200

    colleague = Client()
    colleague.force_login(bob)
    for url in [reverse("applications:dashboard"), reverse("account:home"), "/members/"]:
        response = colleague.get(url)
        assert response.status_code == 302
        assert response.url == reverse("account:second_factor_enrol")
    page = colleague.get(reverse("account:second_factor_enrol"))
    assert (
        page.status_code == 200 and 'data-testid="second-factor-required"' in page.content.decode()
    )
    # Signing out stays possible.
    assert colleague.post(reverse("accounts:logout")).status_code == 302

    colleague.force_login(bob)
    device, _codes = enrol(colleague, bob)
    assert colleague.get(reverse("applications:dashboard")).status_code == 200
    # Turning it off is refused while it is required.
    response = colleague.post(
        reverse("account:second_factor_off"),
        {"off-password": PASSWORD, "off-code": code_of(device, steps_ahead=1)},
    )
    assert response.status_code == 409
    assert TOTPDevice.objects.filter(user=bob, confirmed=True).exists()


def test_other_organisations_are_not_affected(client, alice, charlie):
    login_verified_staff(client, alice)
    require(client)
    other = Client()
    other.force_login(charlie)
    assert other.get(reverse("applications:dashboard")).status_code == 200


def test_an_obligee_admin_requires_it_for_the_obligee(client, shibukawa):
    admin = UserFactory(contractor=None, obligee=shibukawa, role="admin")
    clerk = UserFactory(contractor=None, obligee=shibukawa, role="clerk")
    login_verified_staff(client, admin)
    require(client)
    shibukawa.refresh_from_db()
    assert shibukawa.second_factor_required
    other = Client()
    other.force_login(clerk)
    response = other.get(reverse("obligee_portal:home"))
    assert response.url == reverse("account:second_factor_enrol")


def test_lifting_the_requirement(client, alice):
    login_verified_staff(client, alice)
    require(client)
    client.post(reverse("account:organisation_second_factor"), {"required": "0"})
    alice.contractor.refresh_from_db()
    assert not alice.contractor.second_factor_required
    assert [entry.data["required"] for entry in audit_entries_for(alice.contractor)] == [
        True,
        False,
    ]
    html = client.get(reverse("members:timeline")).content.decode()
    assert re.search("組織の二段階認証の必須を変更", html)
