"""Second factors for the demo staff accounts (DEBUG only; called by `manage.py demo`).

The secrets and backup codes are fixed and published in the README so testers can sign in to
/admin/: they must never reach a real database, hence the DEBUG check.
"""

import base64

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

TOTP_DEVICE_NAME = "デモ用認証アプリ"
BACKUP_DEVICE_NAME = "デモ用バックアップコード"

# (e-mail, base32 secret for the authenticator app, backup codes)
DEMO_SECOND_FACTORS = [
    (
        "staff-gunma@example.jp",
        "NETDESKGUNMASTAFFDEMOSECRETKEY23",
        ["gunma01", "gunma02", "gunma03", "gunma04", "gunma05"],
    ),
    (
        "headoffice@example.jp",
        "NETDESKHEADOFFICEDEMOSECRETKEY45",
        ["honsha01", "honsha02", "honsha03", "honsha04", "honsha05"],
    ),
]


def hex_key(secret: str) -> str:
    """TOTPDevice.key (hex) for a base32 secret as authenticator apps take it."""
    return base64.b32decode(secret).hex()


@transaction.atomic
def ensure_demo_second_factors() -> list[tuple[str, str, list[str]]]:
    """Give each demo staff account a confirmed authenticator app and backup codes. Idempotent.

    Running it again restores the fixed secret, clears any throttling and puts back used backup
    codes. Returns (e-mail, base32 secret, backup codes) for each account, for printing.
    """
    if not settings.DEBUG:
        raise ImproperlyConfigured("Demo second factors are for development only (set DEBUG=1).")
    users = get_user_model().objects
    for email, secret, codes in DEMO_SECOND_FACTORS:
        user = users.get(email=email, is_staff=True)
        TOTPDevice.objects.update_or_create(
            user=user,
            name=TOTP_DEVICE_NAME,
            defaults={
                "key": hex_key(secret),
                "confirmed": True,
                "throttling_failure_count": 0,
                "throttling_failure_timestamp": None,
            },
        )
        backup, _ = StaticDevice.objects.update_or_create(
            user=user,
            name=BACKUP_DEVICE_NAME,
            defaults={
                "confirmed": True,
                "throttling_failure_count": 0,
                "throttling_failure_timestamp": None,
            },
        )
        backup.token_set.exclude(token__in=codes).delete()
        present = set(backup.token_set.values_list("token", flat=True))
        StaticToken.objects.bulk_create(
            StaticToken(device=backup, token=code) for code in codes if code not in present
        )
    return [(email, secret, list(codes)) for email, secret, codes in DEMO_SECOND_FACTORS]
