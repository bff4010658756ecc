"""Production settings pass Django's deployment checks and build their static files."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def production_env(**extra) -> dict:
    # Not the test run's own environment: no DEBUG, no test-only async override.
    dropped = ("DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="netdesk.example.jp",
        AUTH_KEY_HMAC_SECRET=secrets.token_urlsafe(32),
        AUTH_KEY_FERNET_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        TSA_URL="https://tsa.example.jp/tsp",
    )
    env.update(extra)
    return env


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_asks_for_the_key_secrets():
    env = production_env(AUTH_KEY_FERNET_KEYS="not-a-key")
    del env["AUTH_KEY_HMAC_SECRET"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "guarantees.W001" in result.stderr + result.stdout
    assert "guarantees.E001" in result.stderr + result.stdout


def test_check_deploy_asks_for_a_time_stamping_authority():
    result = check_deploy(production_env(TSA_URL=""))
    assert result.returncode != 0
    assert "guarantees.W003" in result.stderr + result.stdout


def test_collectstatic_builds_the_manifest(tmp_path):
    result = subprocess.run(
        [sys.executable, str(MANAGE), "collectstatic", "--no-input", "-v0"],
        env=production_env(STATIC_ROOT=str(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/bootstrap/bootstrap.min.*.css"))
