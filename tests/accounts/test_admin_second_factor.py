"""/admin/: e-mail, password and a code from the authenticator app or a backup code; staff only."""

import gettext
from pathlib import Path

import django_otp
import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.urls import resolve, reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import ensure_demo_second_factors
from netdesk.admin import NetDeskAdminSite
from tests.accounts.conftest import BACKUP_CODES
from tests.accounts.otp import authenticator_for, current_code, login_verified_staff
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
TOKEN_LABEL = "確認コード(認証アプリの6桁またはバックアップコード)"
WRONG_CODE = "確認コードが正しくありません。入力内容をご確認ください。"
STAFF_ONLY = "メールアドレスまたはパスワードが正しくありません。"


def sign_in(client, email: str, code: str, password: str = PASSWORD):
    return client.post(
        LOGIN, {"username": email, "password": password, "otp_token": code, "next": INDEX}
    )


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


# The site --------------------------------------------------------------------------------


def test_the_default_admin_site_is_ours_and_keeps_the_admin_namespace():
    assert isinstance(admin.site, NetDeskAdminSite)
    assert admin.site.name == "admin"
    assert INDEX == "/admin/"
    assert resolve("/admin/").namespace == "admin"
    assert resolve(reverse("admin:axes_accessattempt_changelist")).namespace == "admin"


def test_the_sign_in_page_asks_for_the_code_in_japanese(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "ネットデスク 業務管理" in html
    assert "メールアドレス" in html and "パスワード" in html
    assert TOKEN_LABEL in html
    assert 'autocomplete="one-time-code"' in html
    assert "OTP" not in html and "otp_device" not in html


# Staff with an authenticator app ---------------------------------------------------------


def test_staff_enter_with_password_and_the_app_code(client, staff, authenticator):
    response = sign_in(client, "staff-gunma@example.jp", current_code(authenticator))

    assert response.status_code == 302 and response["Location"] == INDEX
    assert signed_in_user_id(client) == str(staff.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == authenticator.persistent_id
    page = client.get(INDEX)
    assert page.status_code == 200 and "業務メニュー" in page.content.decode()
    authenticator.refresh_from_db()
    assert authenticator.last_used_at is not None and authenticator.throttling_failure_count == 0
    assert AccessLog.objects.filter(username="staff-gunma@example.jp").count() == 1


def test_the_address_may_be_typed_in_any_case_and_the_code_in_full_width(
    client, staff, authenticator
):
    code = current_code(authenticator)
    full_width = code[:3].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = sign_in(client, " Staff-Gunma@Example.JP ", f"{full_width} {code[3:]}")

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(staff.pk)


def test_a_wrong_code_is_refused_and_throttled_by_django_otp(client, staff, authenticator):
    wrong = current_code(authenticator, steps_ahead=5)
    response = sign_in(client, "staff-gunma@example.jp", wrong)

    html = response.content.decode()
    assert response.status_code == 200
    assert WRONG_CODE in html
    assert PASSWORD not in html  # the password is typed again, never written into the page
    assert signed_in_user_id(client) is None
    authenticator.refresh_from_db()
    assert authenticator.throttling_failure_count == 1
    # The password was right: the code is django-otp's to throttle, not a lockout failure.
    assert not AccessAttempt.objects.exists()

    # Straight after a failure even the right code waits (1 s, doubling with each failure).
    retry = sign_in(client, "staff-gunma@example.jp", current_code(authenticator)).content
    assert "確認コードの誤りが1回続いたため、確認を一時的に停止しています。" in retry.decode()
    assert signed_in_user_id(client) is None


def test_the_code_is_required(client, staff):
    response = sign_in(client, "staff-gunma@example.jp", "")

    assert "確認コードを入力してください。" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_a_code_signs_in_once_only(client, staff, authenticator):
    code = current_code(authenticator)
    assert sign_in(client, "staff-gunma@example.jp", code).status_code == 302
    client.logout()

    replay = sign_in(client, "staff-gunma@example.jp", code)
    assert WRONG_CODE in replay.content.decode()
    assert signed_in_user_id(client) is None


# Backup codes ----------------------------------------------------------------------------


def test_a_backup_code_works_once_only(client, staff, authenticator):
    code = BACKUP_CODES[0]
    response = sign_in(client, "staff-gunma@example.jp", code.upper())

    assert response.status_code == 302 and signed_in_user_id(client) == str(staff.pk)
    backup = StaticDevice.objects.get(user=staff)
    assert client.session[DEVICE_ID_SESSION_KEY] == backup.persistent_id
    assert list(backup.token_set.values_list("token", flat=True)) == [BACKUP_CODES[1]]
    # The authenticator app was not tried, so its failure count is untouched.
    authenticator.refresh_from_db()
    assert authenticator.throttling_failure_count == 0

    client.logout()
    again = sign_in(client, "staff-gunma@example.jp", code)
    assert WRONG_CODE in again.content.decode()
    assert signed_in_user_id(client) is None


# Who may not enter -----------------------------------------------------------------------


def test_staff_without_a_device_cannot_enter(client, staff_without_device):
    response = sign_in(client, "new-staff@example.jp", "123456")

    html = response.content.decode()
    assert response.status_code == 200
    assert "二段階認証の端末が登録されていないため、業務管理画面にはログインできません。" in html
    assert signed_in_user_id(client) is None
    assert client.get(INDEX)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("persona", ["contractor", "obligee"])
def test_contractor_and_obligee_users_are_refused_even_with_a_device(
    client, alice, obligee_user, persona
):
    user = alice if persona == "contractor" else obligee_user
    device = authenticator_for(user)
    response = sign_in(client, user.email, current_code(device))

    assert response.status_code == 200
    assert STAFF_ONLY in response.content.decode()
    assert signed_in_user_id(client) is None
    device.refresh_from_db()
    assert device.last_used_at is None  # refused before the code was even looked at


def test_a_password_only_session_does_not_open_the_admin(client, staff):
    client.force_login(staff)  # e.g. signed in at /accounts/login/ with the password alone

    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    page = client.get(response["Location"])
    assert "業務管理画面は、職員のアカウントで確認コードを入力してログインした場合だけ" in (
        page.content.decode()
    )


def test_the_verified_staff_helper_opens_the_admin(client, staff):
    login_verified_staff(client, staff)

    assert client.get(INDEX).status_code == 200


def test_a_contractor_session_marked_verified_still_cannot_enter(client, alice):
    login_verified_staff(client, alice)

    assert client.get(INDEX).status_code == 302


# Demo accounts ---------------------------------------------------------------------------


@pytest.fixture
def demo_staff(db):
    for email in ("staff-gunma@example.jp", "headoffice@example.jp"):
        UserFactory(email=email, contractor=None, is_staff=True)


def test_the_demo_second_factors_are_idempotent_and_their_codes_verify(
    client, settings, demo_staff
):
    settings.DEBUG = True
    first = ensure_demo_second_factors()
    StaticDevice.objects.get(user__email="staff-gunma@example.jp").token_set.all().delete()
    again = ensure_demo_second_factors()

    assert first == again
    assert [email for email, _secret, _codes in again] == [
        "staff-gunma@example.jp",
        "headoffice@example.jp",
    ]
    assert len({secret for _email, secret, _codes in again}) == 2
    assert TOTPDevice.objects.count() == 2 and StaticDevice.objects.count() == 2
    for email, secret, codes in again:
        device = TOTPDevice.objects.get(user__email=email)
        assert device.confirmed and len(secret) == 32
        backup = StaticDevice.objects.get(user__email=email)
        assert sorted(backup.token_set.values_list("token", flat=True)) == sorted(codes)

    (gunma_email, _secret, _codes), (head_office_email, _secret, head_office_codes) = again
    gunma_app = TOTPDevice.objects.get(user__email=gunma_email)
    assert sign_in(client, gunma_email, current_code(gunma_app)).status_code == 302
    client.logout()
    assert sign_in(client, head_office_email, head_office_codes[0]).status_code == 302


def test_the_demo_secret_is_what_an_authenticator_app_would_be_given(settings, demo_staff):
    settings.DEBUG = True
    email, secret, _codes = ensure_demo_second_factors()[0]
    device = TOTPDevice.objects.get(user__email=email)

    assert f"secret={secret}" in device.config_url


def test_the_demo_second_factors_are_refused_without_debug(settings, demo_staff):
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        ensure_demo_second_factors()
    assert not TOTPDevice.objects.exists()


def test_the_totp_command_prints_the_current_code(settings, staff, authenticator, capsys):
    settings.DEBUG = True
    call_command("totp", "Staff-Gunma@example.jp")

    out, err = capsys.readouterr()
    assert out.strip() == current_code(authenticator)
    assert "valid for" in err


def test_the_totp_command_is_for_development_only(settings, staff):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("totp", "staff-gunma@example.jp")


# The Japanese catalogue for django-otp ---------------------------------------------------


def catalogue_msgids(package, language: str = "de") -> set[str]:
    """The singular msgids of a package's compiled catalogue (its list of messages)."""
    path = Path(package.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as fh:
        return {key for key in gettext.GNUTranslations(fh)._catalog if isinstance(key, str) and key}


OTP_FORM_MESSAGES = {
    code: message
    for code, message in OTPAuthenticationFormMixin.otp_error_messages.items()
    if code != "n_failed_attempts"  # a plural message, checked on its own
}


def test_every_django_otp_message_a_staff_user_can_see_is_japanese():
    msgids = catalogue_msgids(django_otp) - {"sent by email"}  # otp_email is not installed
    throttled = OTPAuthenticationFormMixin.otp_error_messages["n_failed_attempts"]
    with translation.override("en"):
        english = {code: str(message) for code, message in OTP_FORM_MESSAGES.items()}
    with translation.override("ja"):
        untranslated = sorted(msgid for msgid in msgids if translation.gettext(msgid) == msgid)
        same = [
            code for code, message in OTP_FORM_MESSAGES.items() if str(message) == english[code]
        ]
        throttled_ja = throttled % {"failure_count": 3}

    assert untranslated == []
    assert same == []
    assert throttled_ja.startswith("確認コードの誤りが3回続いたため")
