"""The addresses the documents print (the certificate's verification QR code, the notice's receive
address) follow the port `make run` serves on, unless SITE_URL says otherwise."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from guarantees import rendering
from guarantees.keys import display_key, new_key
from guarantees.versions import verify_url

pytestmark = pytest.mark.django_db

TOKEN = "Q2hhbmdlTWVQbGVhc2UxMjM0"


def site_url_under(**env: str) -> str:
    """SITE_URL as the settings module reads it in a fresh process with `env` (as `make run`
    starts its commands: DEBUG on, nothing of this test run's own SITE_URL or PORT)."""
    base = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "SITE_URL_FILE", "PORT")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SITE_URL)",
        ],
        env={**base, "DJANGO_SETTINGS_MODULE": "netdesk.settings", "DEBUG": "1", **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_site_address_follows_the_port():
    assert site_url_under(PORT="8102") == "http://127.0.0.1:8102"
    assert site_url_under() == "http://127.0.0.1:8000"


def test_an_explicit_site_address_wins_over_the_port():
    assert site_url_under(PORT="8102", SITE_URL="https://netdesk.example.jp") == (
        "https://netdesk.example.jp"
    )


def test_a_trailing_slash_makes_no_double_slash():
    # docker-compose and operators write the address either way.
    assert site_url_under(SITE_URL="https://netdesk.example.jp/") == "https://netdesk.example.jp"


def test_make_run_gives_every_step_the_port_it_serves_on():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8102"],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    steps = [line for line in result.stdout.splitlines() if "manage.py" in line]
    # make_dev_ca, migrate, demo (which issues certificates) and runserver.
    assert len(steps) == 4, result.stdout
    assert all("PORT=8102" in step for step in steps), steps
    assert steps[-1].endswith("runserver 127.0.0.1:8102")


def test_documents_print_the_address_of_the_port_served(
    settings, make_approved, snapshot_of, qr_codes, pdf_text
):
    settings.SITE_URL = site_url_under(PORT="8102")
    guarantee = make_approved(amount=20_000_000, certificate_format="electronic")
    snapshot = snapshot_of(guarantee)

    certificate = rendering.render_certificate(snapshot, verify_url=verify_url(TOKEN))
    assert qr_codes(certificate) == [f"http://127.0.0.1:8102/verify/{TOKEN}/"]

    key = display_key(new_key())
    notice = rendering.render_key_notice(snapshot, key=key, verify_url=verify_url(TOKEN))
    [receive] = qr_codes(notice)
    assert receive.startswith("http://127.0.0.1:8102/obligee/receive/#")
    assert "http://127.0.0.1:8102/obligee/receive/" in pdf_text(notice)
