"""Head office sees who has which second factor, never its secret: an authenticator's key (and
the QR code carrying it) or the backup codes would let the reader pass as that user."""

import pytest
from django.urls import reverse

from accounts.groups import HEAD_OFFICE, ensure_staff_groups
from tests.accounts.conftest import BACKUP_CODES
from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(gunma):
    """Head-office staff with the head-office group's rights, not a superuser."""
    user = UserFactory(email="honsha@example.jp", contractor=None, is_staff=True, branch=gunma)
    user.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    return user


@pytest.fixture
def superuser(gunma):
    return UserFactory(
        email="root@example.jp", contractor=None, is_staff=True, is_superuser=True, branch=gunma
    )


def _pages(staff):
    totp = staff.totpdevice_set.get()
    static = staff.staticdevice_set.get()
    return {
        "change": reverse("admin:otp_totp_totpdevice_change", args=[totp.pk]),
        "list": reverse("admin:otp_totp_totpdevice_changelist"),
        "config": reverse("admin:otp_totp_totpdevice_config", args=[totp.pk]),
        "qrcode": reverse("admin:otp_totp_totpdevice_qrcode", args=[totp.pk]),
        "backup": reverse("admin:otp_static_staticdevice_change", args=[static.pk]),
    }, totp.key


def test_head_office_sees_the_devices_without_their_secrets(client, clerk, staff):
    login_verified_staff(client, clerk)
    pages, key = _pages(staff)

    device_page = client.get(pages["change"])
    assert device_page.status_code == 200
    assert "テスト用認証アプリ" in device_page.content.decode()
    assert key not in device_page.content.decode()
    assert pages["config"] not in client.get(pages["list"]).content.decode()
    assert client.get(pages["config"]).status_code == 403
    assert client.get(pages["qrcode"]).status_code == 403

    backup_page = client.get(pages["backup"])
    assert backup_page.status_code == 200
    assert not any(code in backup_page.content.decode() for code in BACKUP_CODES)


def test_superusers_still_see_them(client, superuser, staff):
    login_verified_staff(client, superuser)
    pages, key = _pages(staff)

    assert key in client.get(pages["change"]).content.decode()
    assert client.get(pages["config"]).status_code == 200
    qrcode = client.get(pages["qrcode"])
    assert qrcode.status_code == 200 and qrcode["Content-Type"] == "image/svg+xml"
    assert all(code in client.get(pages["backup"]).content.decode() for code in BACKUP_CODES)


def test_an_unknown_device_is_a_404_not_an_error(client, superuser):
    login_verified_staff(client, superuser)
    for name in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        assert client.get(reverse(name, args=[987654321])).status_code == 404
