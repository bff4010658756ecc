"""Two-factor helpers for tests that use the admin (django-otp).

The admin lets in only staff verified by an OTP device, so `client.force_login(staff)` alone is
redirected to the admin sign-in. Use `login_verified_staff(client, staff)` instead:

    from tests.accounts.otp import login_verified_staff

    def test_it(client, db):
        login_verified_staff(client, UserFactory(contractor=None, is_staff=True))
        assert client.get(reverse("admin:index")).status_code == 200
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# A 20-byte key (hex, as TOTPDevice stores it) for the test authenticator apps.
TEST_KEY = "3132333435363738393031323334353637383930"


def authenticator_for(user, *, key: str = TEST_KEY) -> TOTPDevice:
    """The user's confirmed authenticator app (TOTP device), created if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(
        user=user, name="テスト用認証アプリ", key=key, confirmed=True
    )


def backup_codes_for(user, codes: list[str]) -> StaticDevice:
    """A confirmed backup-code device (StaticDevice) holding `codes`."""
    device = StaticDevice.objects.create(user=user, name="テスト用バックアップコード")
    for code in codes:
        device.token_set.create(token=code)
    return device


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or `steps_ahead` time steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{totp.token():0{device.digits}d}"


def login_verified_staff(client, user, device=None):
    """Sign `user` in on the test client as if with password and code: force_login, then mark
    the session as verified by `device` (the user's authenticator app when not given), which is
    what django_otp.login(request, device) does after a real sign-in. Returns the device."""
    device = device or authenticator_for(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
