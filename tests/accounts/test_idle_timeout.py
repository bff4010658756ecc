"""A session left idle ends: staff after 30 minutes, portal users after 4 hours; the stamp of the
last request is written at most once a minute."""

import datetime
import time

import pytest
from django.urls import reverse

from tests.accounts.otp import login_verified_staff
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNED_OUT = (
    "一定時間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。"
)


@pytest.fixture
def clock(monkeypatch):
    """Seconds since the epoch as the middleware sees them; move it with clock.now += n."""

    class Clock:
        now = time.time()

    monkeypatch.setattr("core.middleware.time.time", lambda: Clock.now)
    return Clock


def test_a_contractor_idle_for_four_hours_is_signed_out_with_a_japanese_message(
    client, alice, clock
):
    client.force_login(alice)
    assert client.get("/").status_code == 200

    clock.now += 4 * 3600 - 10
    assert client.get("/").status_code == 200  # still within the timeout

    clock.now += 4 * 3600 + 1
    response = client.get("/?q=市道")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=/")
    assert "_auth_user_id" not in client.session

    page = client.get(response["Location"])
    assert SIGNED_OUT in page.content.decode()
    assert page.context["user"].is_anonymous


def test_staff_are_signed_out_of_the_admin_after_thirty_idle_minutes(client, staff, clock):
    login_verified_staff(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200

    clock.now += 29 * 60
    assert client.get(reverse("admin:index")).status_code == 200

    clock.now += 31 * 60
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    page = client.get(response["Location"])
    assert SIGNED_OUT in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_idle_limits_come_from_settings(client, alice, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=5)
    client.force_login(alice)
    client.get("/")

    clock.now += 6 * 60
    assert client.get("/").status_code == 302


def test_the_session_is_written_at_most_once_a_minute(client, alice, clock):
    client.force_login(alice)  # signing in starts the clock
    assert "sessionid" not in client.get("/").cookies  # nothing saved

    clock.now += 50
    assert "sessionid" not in client.get("/").cookies

    clock.now += 20
    assert "sessionid" in client.get("/").cookies  # the stamp moves on

    clock.now += 30
    assert "sessionid" not in client.get("/").cookies


def test_the_clock_starts_at_a_real_sign_in(client, alice, clock):
    response = client.post(
        reverse("accounts:login"), {"username": "alice@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302

    clock.now += 4 * 3600 + 1
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))
