"""認証キーを表示: the password again, then the key — refused, rate-limited and audited, and the
key written nowhere but on the one response that shows it."""

import datetime
import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from core.models import AuditEntry
from guarantees import keys
from guarantees.models import Guarantee, Receipt
from tests.factories import PASSWORD, CertificateFactory, UserFactory

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "パスワードが正しくありません"
THROTTLED = "パスワードの誤りが続いたため"


@pytest.fixture
def key() -> str:
    return keys.new_key()


@pytest.fixture
def certificate(alice, issue_for, key):
    return issue_for(alice, key=key)


@pytest.fixture
def url(certificate) -> str:
    return reverse("guarantees:certificate_key", args=[certificate.pk])


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


def test_the_page_asks_for_the_password_and_shows_no_key(signed_in, url, certificate, key):
    response = signed_in.get(url)
    html = response.content.decode()

    assert response.status_code == 200
    assert certificate.guarantee.number in html
    assert 'type="password"' in html and 'autocomplete="current-password"' in html
    assert "csrfmiddlewaretoken" in html and 'method="post"' in html
    assert key not in html and keys.display_key(key) not in html
    assert "no-store" in response["Cache-Control"]


def test_the_right_password_shows_the_key_with_the_number(signed_in, url, alice, key):
    with CaptureQueriesContext(connection) as queries:
        response = signed_in.post(url, {"password": PASSWORD})
    html = response.content.decode()
    shown = keys.display_key(key)

    assert response.status_code == 200
    assert f'data-testid="auth-key">{shown}</code>' in html
    assert re.search(r'data-testid="guarantee-number">GM-\d{4}-\d{6}</code>', html)
    assert "発注者" in html and "お渡しください" in html
    assert "js/copy_button.js" in html
    assert "no-store" in response["Cache-Control"]
    # Shown on this response only: in no address, header or query.
    assert not any(key in u or shown in u for u in urls_in(html))
    assert all(key not in value and shown not in value for value in response.headers.values())
    assert not any(key in q["sql"] or shown in q["sql"] for q in queries.captured_queries)


def test_a_reveal_is_audited_without_the_key(signed_in, url, certificate, alice, key):
    signed_in.post(url, {"password": PASSWORD})

    [entry] = audit("certificate.key_revealed")
    assert entry.object_id == certificate.pk and entry.user == alice
    assert entry.data == {"version": 1}
    assert audit("certificate.key_reveal_failed") == []


def test_a_wrong_password_is_refused_in_japanese_and_audited(signed_in, url, alice, key):
    response = signed_in.post(url, {"password": "not-my-password"})
    html = response.content.decode()

    assert response.status_code == 200
    assert WRONG_PASSWORD in html and 'aria-invalid="true"' in html
    assert key not in html and keys.display_key(key) not in html
    assert "not-my-password" not in html  # the typed password is not sent back either
    [entry] = audit("certificate.key_reveal_failed")
    assert entry.user == alice
    assert entry.data == {"version": 1, "reason": "wrong_password"}
    assert audit("certificate.key_revealed") == []


def test_an_empty_password_asks_for_one_and_counts_nothing(signed_in, url):
    response = signed_in.post(url, {"password": ""})
    assert "パスワードを入力してください。" in response.content.decode()
    assert AuditEntry.objects.filter(action__startswith="certificate.").count() == 0


def test_wrong_passwords_in_a_row_stop_the_reveal_even_with_the_right_one(
    signed_in, url, settings, key
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "key-reveal-user": (3, 900)}
    for _ in range(3):
        assert WRONG_PASSWORD in signed_in.post(url, {"password": "guess"}).content.decode()

    response = signed_in.post(url, {"password": PASSWORD})
    html = response.content.decode()

    assert response.status_code == 429
    assert THROTTLED in html and "15分" in html
    assert keys.display_key(key) not in html
    reasons = [entry.data["reason"] for entry in audit("certificate.key_reveal_failed")]
    assert reasons == ["wrong_password"] * 3 + ["rate_limited"]
    assert audit("certificate.key_revealed") == []


def test_the_limit_is_per_user(signed_in, client, url, settings, bob, key):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "key-reveal-user": (2, 900)}
    for _ in range(3):
        signed_in.post(url, {"password": "guess"})
    client.force_login(bob)  # a colleague, on the same certificate
    response = client.post(url, {"password": PASSWORD})
    assert keys.display_key(key) in response.content.decode()


def test_a_success_starts_the_count_again(signed_in, url, settings, key):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "key-reveal-user": (3, 900)}
    for _round in range(3):
        signed_in.post(url, {"password": "guess"})
        signed_in.post(url, {"password": "guess"})
        response = signed_in.post(url, {"password": PASSWORD})
        assert keys.display_key(key) in response.content.decode()
    assert len(audit("certificate.key_revealed")) == 3


@pytest.fixture
def every_log_and_query(caplog):
    """Everything logged at DEBUG, the SQL of every query with its parameters included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def test_the_key_is_in_no_log_no_audit_entry_and_no_other_page(
    signed_in, url, certificate, every_log_and_query, key
):
    shown = keys.display_key(key)
    signed_in.post(url, {"password": "guess"})
    signed_in.post(url, {"password": PASSWORD})
    application_url = reverse("applications:detail", args=[certificate.guarantee.application_id])
    verify_url = reverse("guarantees:certificate_verify", args=[certificate.verify_token])
    pages = [signed_in.get(page_url) for page_url in (url, application_url, "/", verify_url)]

    assert "key_encrypted" in every_log_and_query.text  # the queries were logged
    assert key not in every_log_and_query.text and shown not in every_log_and_query.text
    for entry in AuditEntry.objects.all():
        assert key not in str(entry.data) and shown not in str(entry.data)
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert key not in html and shown not in html


@pytest.mark.parametrize(
    "change",
    [
        {"superseded_at": "now"},
        {"guarantee_status": Guarantee.Status.CANCELLED},
        {"guarantee_status": Guarantee.Status.EXPIRED},
    ],
)
def test_a_certificate_not_in_force_shows_no_key(signed_in, url, certificate, key, change):
    if "superseded_at" in change:
        certificate.superseded_at = timezone.now()
        certificate.save()
        CertificateFactory(guarantee=certificate.guarantee, version=2)
    else:
        Guarantee.objects.filter(pk=certificate.guarantee_id).update(
            status=change["guarantee_status"]
        )
    page = signed_in.get(url).content.decode()
    assert (
        "現在有効ではないため、認証キーは表示できません" in page and 'type="password"' not in page
    )

    response = signed_in.post(url, {"password": PASSWORD})
    assert keys.display_key(key) not in response.content.decode()
    assert audit("certificate.key_revealed") == []


def test_a_key_that_cannot_be_decrypted_is_explained_not_a_500(
    signed_in, url, certificate, caplog, key
):
    type(certificate).objects.filter(pk=certificate.pk).update(key_encrypted="not-a-fernet-token")
    response = signed_in.post(url, {"password": PASSWORD})
    assert response.status_code == 200
    assert "営業部・支店にお問い合わせください" in response.content.decode()
    assert "cannot be decrypted" in caplog.text
    assert audit("certificate.key_revealed") == []


def test_the_password_is_hidden_from_error_reports(signed_in, url):
    response = signed_in.post(url, {"password": PASSWORD})
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert reported["password"] != PASSWORD and set(reported["password"]) == {"*"}


def test_once_the_obligee_has_received_it_the_key_is_no_longer_to_be_handed_over(
    signed_in, url, certificate
):
    obligee = certificate.guarantee.application.obligee
    clerk = UserFactory(obligee=obligee, contractor=None)
    received_at = timezone.now() - datetime.timedelta(days=2)
    Receipt.objects.create(
        certificate=certificate, obligee=obligee, received_by=clerk, received_at=received_at
    )

    html = signed_in.post(url, {"password": PASSWORD}).content.decode()

    assert 'data-testid="already-received"' in html
    assert timezone.localtime(received_at).strftime("%Y/%m/%d") in html
    assert "お渡しください" not in html
