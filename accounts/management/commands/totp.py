"""`manage.py totp EMAIL`: the current authenticator-app code of an account (DEBUG only).

For testers of the demo: it stands in for a phone with the demo staff's authenticator app.
"""

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import normalise_email


class Command(BaseCommand):
    help = "Print the current TOTP code of an account's authenticator app (DEBUG only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Codes are shown for development only (set DEBUG=1).")
        email = normalise_email(options["email"])
        device = TOTPDevice.objects.filter(user__email=email, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(f"{email} has no confirmed authenticator app (TOTP device).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        valid_for = device.step - int(now - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"valid for {valid_for} s; each code signs in once only.")
