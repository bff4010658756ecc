"""Login lockout (django-axes): five wrong passwords lock an e-mail address from that IP address on
every sign-in form; one IP address failing on many addresses is stopped too."""

import datetime
import gettext
from pathlib import Path

import axes
import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone, translation

from tests.accounts.otp import authenticator_for, current_code, login_verified_staff
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("accounts:login")
ADMIN_SIGN_IN = reverse("admin:login")
LOCKED = "ログインに続けて失敗したため、このアカウントは一時的にロックされています。"
WRONG_PASSWORD = "メールアドレスまたはパスワードが正しくありません。"


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post(SIGN_IN, {"username": email, "password": password}, **extra)


def admin_sign_in(client, email: str, password: str = PASSWORD, code: str = "000000"):
    return client.post(ADMIN_SIGN_IN, {"username": email, "password": password, "otp_token": code})


def fail(client, email: str, times: int, url: str = SIGN_IN):
    """`times` wrong passwords; returns the last response."""
    for _ in range(times):
        response = client.post(url, {"username": email, "password": "wrong", "otp_token": "1"})
    return response


def failures(email: str) -> int:
    return sum(
        AccessAttempt.objects.filter(username=email).values_list("failures_since_start", flat=True)
    )


@pytest.fixture(params=["contractor", "obligee"])
def outside_user(request, alice, obligee_user):
    return alice if request.param == "contractor" else obligee_user


def test_the_fifth_wrong_password_locks_the_address_and_then_even_the_right_one_is_refused(
    client, outside_user
):
    email = outside_user.email
    fourth = fail(client, email, 4)
    assert fourth.status_code == 200 and WRONG_PASSWORD in fourth.content.decode()

    fifth = fail(client, email, 1)
    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()

    right = sign_in(client, email)
    html = right.content.decode()
    assert right.status_code == 429
    assert LOCKED in html and "営業部・支店までご連絡ください。" in html
    assert "最後の失敗から60分後に自動的に解除されます。" in html
    assert '<html lang="ja">' in html and "ネットデスク" in html  # our page, not axes' text
    assert "_auth_user_id" not in client.session
    assert failures(email) == 6


def test_addresses_count_together_whatever_their_case_or_spacing(client, alice):
    for typed in ["Alice@Example.JP", " ALICE@example.jp ", "alice@EXAMPLE.jp", "alice@example.jp"]:
        assert sign_in(client, typed, "wrong").status_code == 200

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["alice@example.jp"]
    assert sign_in(client, "aLiCe@example.JP", "wrong").status_code == 429
    assert sign_in(client, "alice@example.jp").status_code == 429


def test_failures_from_different_browsers_on_one_ip_address_add_up(client, alice):
    for number in range(4):
        sign_in(client, "alice@example.jp", "wrong", HTTP_USER_AGENT=f"browser {number}")

    assert AccessAttempt.objects.count() == 4
    assert (
        sign_in(client, "alice@example.jp", "wrong", HTTP_USER_AGENT="another").status_code == 429
    )


ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def test_a_stranger_locks_only_their_own_connection_and_the_owner_still_signs_in(client, alice):
    for _ in range(5):
        last = sign_in(client, "alice@example.jp", "wrong", **ATTACKER)
    assert last.status_code == 429 and LOCKED in last.content.decode()
    assert sign_in(client, "alice@example.jp", **ATTACKER).status_code == 429
    # One try an hour from the attacker's address keeps no one else out.
    assert sign_in(client, "alice@example.jp", "wrong", **ATTACKER).status_code == 429

    response = sign_in(client, "alice@example.jp", **OWNER)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


def test_staff_are_not_locked_out_of_the_admin_by_a_stranger(client, staff, authenticator):
    fail(client, "staff-gunma@example.jp", 5, url=ADMIN_SIGN_IN)
    assert admin_sign_in(client, "staff-gunma@example.jp").status_code == 429

    response = client.post(
        ADMIN_SIGN_IN,
        {
            "username": "staff-gunma@example.jp",
            "password": PASSWORD,
            "otp_token": current_code(authenticator),
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def test_one_ip_address_failing_on_many_addresses_is_stopped(client, settings, alice):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 8
    for number in range(8):  # one password tried on eight addresses: no address reaches five
        response = sign_in(client, f"user{number}@example.jp", "Passw0rd!", **ATTACKER)
        assert response.status_code == 200 and WRONG_PASSWORD in response.content.decode()

    # Now even a right password is refused from there, before it is checked.
    refused = sign_in(client, "alice@example.jp", **ATTACKER)
    html = refused.content.decode()
    assert refused.status_code == 429
    assert "この接続元からのログインの失敗が多いため、ログインを一時的に制限しています。" in html
    assert LOCKED not in html
    assert "_auth_user_id" not in client.session

    # Everyone else signs in as usual.
    response = sign_in(client, "alice@example.jp", **OWNER)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


def test_the_default_ceiling_per_ip_address_is_well_above_one_address_limit(settings):
    assert settings.LOGIN_FAILURE_LIMIT_PER_IP >= 5 * settings.AXES_FAILURE_LIMIT


def test_the_client_address_behind_a_trusted_proxy_is_the_one_it_forwards(client, settings, alice):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):  # a forged left-most entry changes nothing: the proxy appends the real one
        sign_in(
            client,
            "alice@example.jp",
            "wrong",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
            **proxy,
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}

    owner = sign_in(client, "alice@example.jp", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert owner.status_code == 302


def test_without_a_trusted_proxy_a_forwarded_for_header_is_ignored(client, alice):
    for number in range(5):
        last = sign_in(
            client, "alice@example.jp", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}"
        )

    assert last.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_a_lockout_concerns_only_that_address(client, alice, bob):
    fail(client, "alice@example.jp", 5)

    response = sign_in(client, "bob@example.jp")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(bob.pk)


def test_a_successful_sign_in_clears_earlier_failures(client, alice):
    fail(client, "alice@example.jp", 4)
    assert sign_in(client, "alice@example.jp").status_code == 302
    assert not AccessAttempt.objects.exists()

    client.logout()
    assert fail(client, "alice@example.jp", 4).status_code == 200


def test_the_lock_opens_by_itself_after_the_cool_off(client, alice):
    fail(client, "alice@example.jp", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=61))

    assert sign_in(client, "alice@example.jp").status_code == 302


# The admin sign-in -----------------------------------------------------------------------


def test_the_admin_sign_in_locks_out_too(client, staff, authenticator):
    fourth = fail(client, "staff-gunma@example.jp", 4, url=ADMIN_SIGN_IN)
    assert fourth.status_code == 200

    assert fail(client, "staff-gunma@example.jp", 1, url=ADMIN_SIGN_IN).status_code == 429
    right = admin_sign_in(client, "Staff-Gunma@example.jp", code=current_code(authenticator))
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert "_auth_user_id" not in client.session
    authenticator.refresh_from_db()
    assert authenticator.last_used_at is None  # refused before the code was looked at


def test_failures_on_both_sign_in_forms_count_together(client, staff):
    fail(client, "staff-gunma@example.jp", 3)
    fail(client, "staff-gunma@example.jp", 1, url=ADMIN_SIGN_IN)

    assert fail(client, "staff-gunma@example.jp", 1).status_code == 429
    assert failures("staff-gunma@example.jp") == 5


# Unlocking in the admin ------------------------------------------------------------------


def test_head_office_unlocks_an_address_by_deleting_its_attempts_in_the_admin(
    client, alice, head_office
):
    fail(client, "alice@example.jp", 5)
    attempt = AccessAttempt.objects.get()
    client.logout()

    login_verified_staff(client, head_office)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist, {"locked_out": "yes"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "ログイン失敗記録" in html and "失敗回数" in html and "ロック中" in html
    assert "alice@example.jp" in html
    index = client.get(reverse("admin:index")).content.decode()
    assert "ログイン制限" in index

    confirm = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk]}
    )
    assert confirm.status_code == 200 and "ログイン失敗記録" in confirm.content.decode()
    done = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert done.status_code == 302
    assert not AccessAttempt.objects.exists()

    client.logout()
    response = sign_in(client, "alice@example.jp")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


def test_staff_without_a_verified_session_cannot_reach_the_attempts(client, head_office):
    client.force_login(head_office)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 302 and response["Location"].startswith(ADMIN_SIGN_IN)


def test_a_wrong_code_with_the_right_password_is_not_a_lockout_failure(client, staff):
    device = authenticator_for(staff)
    for steps in range(5, 11):
        admin_sign_in(
            client, "staff-gunma@example.jp", code=current_code(device, steps_ahead=steps)
        )

    assert not AccessAttempt.objects.exists()
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1  # django-otp's own throttle counts these


# The Japanese catalogue for django-axes --------------------------------------------------


AXES_SOURCE_MSGIDS = {  # in axes/admin.py but not (yet) in its catalogues
    "Locked Out",
    "Yes",
    "No",
    "Clean up expired attempts",
    "Not set",
    "Attempt Remaining",
    "Access Attempt",
    "Expires At",
    "The time when access attempt expires and is no longer valid.",
    "access attempt expiration",
    "access attempt expirations",
    "Session key hash (sha256)",
    "Account locked: too many login attempts. Contact an admin to unlock your account.",
}


def test_every_django_axes_message_is_japanese():
    german = Path(axes.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.mo"
    with german.open("rb") as fh:  # axes' own list of its messages
        catalogue = gettext.GNUTranslations(fh)._catalog
    msgids = {key for key in catalogue if isinstance(key, str) and key} | AXES_SOURCE_MSGIDS
    with translation.override("ja"):
        untranslated = sorted(m for m in msgids if translation.gettext(m) == m)
        django_yes = translation.gettext("Yes")
    assert untranslated == []
    assert django_yes == "はい"  # the same word as Django's own catalogue
