"""/verify/<token>/: the address in a certificate's QR code. Public; what the certificate prints
and whether it is in force; one plain 404 for anything else."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.wareki import era_date
from guarantees.models import Guarantee
from tests.factories import CertificateFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = "ページが見つかりません"


def verify(client, certificate):
    return client.get(reverse("guarantees:certificate_verify", args=[certificate.verify_token]))


def state_of(response) -> str:
    return re.search(r'data-testid="certificate-state">([^<]*)<', response.content.decode())[1]


def japanese_date(iso: str) -> str:
    """As the certificate prints it (和暦), with the 西暦 beside it."""
    day = datetime.date.fromisoformat(iso)
    return f"{era_date(day)}({day:%Y/%m/%d})"


def test_it_shows_what_the_certificate_prints_without_sign_in(client, certificate):
    snapshot = certificate.snapshot
    response = verify(client, certificate)
    html = response.content.decode()

    assert response.status_code == 200 and '<html lang="ja">' in html
    assert state_of(response) == "有効"
    assert "前払金保証証書" in html and "第1版" in html
    assert snapshot["number"] in html
    assert f"{snapshot['obligee']['addressee']} 様" in html
    assert snapshot["contractor"]["name"] in html
    assert snapshot["works"]["name"] in html
    assert "金20,000,000円" in html
    period = snapshot["guarantee_period"]
    assert f"{japanese_date(period['start'])} – {japanese_date(period['end'])}" in html
    assert japanese_date(snapshot["issued_on"]) in html


def test_it_shows_nothing_the_certificate_does_not_print(client, certificate):
    guarantee = certificate.guarantee
    application = guarantee.application
    html = verify(client, certificate).content.decode()

    assert application.number not in html
    assert f"{guarantee.fee:,}" not in html
    assert application.contact_person not in html and application.contact_phone not in html
    assert "認証キー" not in html and guarantee.application.created_by.email not in html


def test_it_is_not_indexed_and_passes_no_referrer(client, certificate):
    response = verify(client, certificate)
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]  # the status is asked afresh


def test_a_superseded_version_says_so_without_telling_the_new_one(client, certificate):
    certificate.superseded_at = timezone.now()
    certificate.save()
    guarantee = certificate.guarantee
    guarantee.amount = 25_000_000
    guarantee.save()
    newer = CertificateFactory(guarantee=guarantee, version=2)

    response = verify(client, certificate)
    html = response.content.decode()
    assert state_of(response) == "変更済"
    assert "新しい版に差し替えられています" in html
    assert "金20,000,000円" in html and "25,000,000" not in html
    assert newer.verify_token not in html and "第2版" not in html

    assert state_of(verify(client, newer)) == "有効"
    assert "金25,000,000円" in verify(client, newer).content.decode()


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Guarantee.Status.CANCELLED, "解約"),
        (Guarantee.Status.EXPIRED, "期間満了"),
        (Guarantee.Status.AMENDED, "有効"),
        (Guarantee.Status.APPROVED, "交付前"),
    ],
)
def test_the_status_follows_the_guarantee(client, certificate, status, shown):
    Guarantee.objects.filter(pk=certificate.guarantee_id).update(status=status)
    assert state_of(verify(client, certificate)) == shown


def test_the_guarantee_period_ending_makes_it_expired(client, certificate):
    end = datetime.date.fromisoformat(certificate.snapshot["guarantee_period"]["end"])
    with time_machine.travel(datetime.datetime.combine(end, datetime.time(12)), tick=False):
        assert state_of(verify(client, certificate)) == "有効"  # its last day
    next_day = end + datetime.timedelta(days=1)
    with time_machine.travel(datetime.datetime.combine(next_day, datetime.time(9)), tick=False):
        assert state_of(verify(client, certificate)) == "期間満了"


def test_a_printed_paper_certificate_verifies_once_handed_over(client, alice, issue_for):
    paper = issue_for(
        alice, guarantee__certificate_format="paper", guarantee__status=Guarantee.Status.APPROVED
    )
    assert state_of(verify(client, paper)) == "交付前"
    Guarantee.objects.filter(pk=paper.guarantee_id).update(status=Guarantee.Status.ISSUED)
    assert state_of(verify(client, paper)) == "有効"


def test_the_page_reads_in_english_too(client, certificate, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = verify(client, certificate).content.decode()
    assert "Valid" in html and "Guarantee number" in html and "有効" not in html


UNKNOWN_TOKENS = [
    "A" * 22,  # well-formed, not issued
    "f" * 32,
    "abc",
    "x" * 300,
    "%00" + "A" * 21,  # a NUL byte
    "A" * 10 + "%00",
    "証書" * 11,
    "%E2%80%AE" + "A" * 21,  # a right-to-left override
    "..%2F..%2Fetc",
    "A" * 21 + "%20",
    "' OR 1=1 --",
]


def _without_per_request_parts(html: str) -> str:
    # The page repeats its own address (the language switch returns to it) and a fresh CSRF
    # token: everything else must be the same whatever the token was.
    return re.sub(
        r'<input type="hidden" name="(csrfmiddlewaretoken|next)" value="[^"]*">', "", html
    )


@pytest.mark.parametrize("token", UNKNOWN_TOKENS)
def test_any_other_token_is_the_one_plain_404(client, certificate, token):
    reference = client.get("/verify/" + "B" * 22 + "/")
    response = client.get(f"/verify/{token}/")
    assert response.status_code == 404 == reference.status_code
    html = response.content.decode()
    assert NOT_FOUND in html
    assert _without_per_request_parts(html) == _without_per_request_parts(
        reference.content.decode()
    )


def test_a_real_token_altered_by_one_symbol_is_not_found(client, certificate):
    token = certificate.verify_token
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/verify/{altered}/").status_code == 404
    assert (
        client.get(
            f"/verify/{token.lower() if token != token.lower() else token.upper()}/"
        ).status_code
        == 404
    )


def test_a_control_character_elsewhere_is_still_refused(client, certificate):
    # The verification page answers its own path; its query string and other paths stay guarded.
    url = reverse("guarantees:certificate_verify", args=[certificate.verify_token])
    assert client.get(url + "?q=%00").status_code == 400
    assert client.get("/applications/%00/").status_code == 400
