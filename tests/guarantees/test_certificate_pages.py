"""The certificate as the contractor sees it: who may open its pages, the PDF download, and the
発行済 status on the application detail and the dashboard."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_entries_for
from guarantees.models import Certificate, Guarantee
from tests.factories import (
    PASSWORD,
    CertificateFactory,
    ObligeeFactory,
    UserFactory,
    make_sent_application,
    sample_pdf,
)

pytestmark = pytest.mark.django_db

# Every contractor URL of a certificate, with the method it is used with.
CERTIFICATE_URLS = [
    ("get", "guarantees:certificate_pdf"),
    ("get", "guarantees:certificate_key"),
    ("post", "guarantees:certificate_key"),
]


def request(client, method, name, certificate):
    response = getattr(client, method)(
        reverse(name, args=[certificate.pk]), {"password": PASSWORD} if method == "post" else {}
    )
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end: the file is closed
    return response


# --- Permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "name"), CERTIFICATE_URLS)
def test_the_owner_and_a_colleague_get_through(client, alice, bob, certificate, method, name):
    for user in (alice, bob):
        client.force_login(user)
        assert request(client, method, name, certificate).status_code == 200


@pytest.mark.parametrize(("method", "name"), CERTIFICATE_URLS)
def test_another_company_gets_404_and_learns_nothing(client, charlie, certificate, method, name):
    client.force_login(charlie)
    response = request(client, method, name, certificate)
    assert response.status_code == 404
    assert certificate.guarantee.number not in response.content.decode()
    assert not audit_entries_for(certificate).exists()  # nothing revealed, nothing attempted


@pytest.mark.parametrize(("method", "name"), CERTIFICATE_URLS)
def test_obligee_users_are_refused(client, certificate, method, name):
    client.force_login(UserFactory(contractor=None, obligee=ObligeeFactory(name="渋川市")))
    response = request(client, method, name, certificate)
    assert response.status_code == 403
    assert "この画面は請負者の方専用です" in response.content.decode()


@pytest.mark.parametrize(("method", "name"), CERTIFICATE_URLS)
def test_staff_are_sent_to_the_admin(client, certificate, method, name):
    client.force_login(UserFactory(contractor=None, is_staff=True))
    response = request(client, method, name, certificate)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


@pytest.mark.parametrize(("method", "name"), CERTIFICATE_URLS)
def test_anonymous_users_are_sent_to_sign_in(client, certificate, method, name):
    response = request(client, method, name, certificate)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unknown_certificate_is_404(client, alice, certificate):
    client.force_login(alice)
    missing = Certificate(pk=certificate.pk + 1000)
    for method, name in CERTIFICATE_URLS:
        assert request(client, method, name, missing).status_code == 404


def test_the_verification_page_is_public_for_every_persona(client, alice, charlie, certificate):
    url = reverse("guarantees:certificate_verify", args=[certificate.verify_token])
    assert client.get(url).status_code == 200
    for user in (
        alice,
        charlie,
        UserFactory(contractor=None, obligee=ObligeeFactory()),
        UserFactory(contractor=None, is_staff=True),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert certificate.guarantee.number in response.content.decode()


# --- Download -----------------------------------------------------------------------------------


def test_the_pdf_is_downloaded_as_issued(client, alice, certificate):
    client.force_login(alice)
    response = client.get(reverse("guarantees:certificate_pdf", args=[certificate.pk]))
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert body == sample_pdf() and hashlib.sha256(body).hexdigest() == certificate.sha256
    assert response["Content-Type"] == "application/pdf"
    number = certificate.guarantee.number
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{number}-v1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


def test_an_earlier_version_is_downloaded_under_its_own_version(client, alice, certificate):
    certificate.superseded_at = timezone.now()
    certificate.save()
    second = CertificateFactory(guarantee=certificate.guarantee, version=2)
    client.force_login(alice)
    for version in (certificate, second):
        response = client.get(reverse("guarantees:certificate_pdf", args=[version.pk]))
        b"".join(response.streaming_content)
        assert response["Content-Disposition"].endswith(f'-v{version.version}.pdf"')


def test_the_file_name_stays_ascii_whatever_the_number_holds(client, alice, certificate):
    Guarantee.objects.filter(pk=certificate.guarantee_id).update(number="群馬-2026/0001")
    client.force_login(alice)
    response = client.get(reverse("guarantees:certificate_pdf", args=[certificate.pk]))
    b"".join(response.streaming_content)
    disposition = response["Content-Disposition"]
    assert disposition.isascii() and "/" not in disposition.split("filename=")[1]
    assert disposition.endswith('-2026_0001-v1.pdf"')


def test_a_paper_certificate_is_not_downloadable(client, alice, issue_for):
    paper = issue_for(alice, guarantee__certificate_format="paper")
    client.force_login(alice)
    assert client.get(reverse("guarantees:certificate_pdf", args=[paper.pk])).status_code == 404
    assert client.get(reverse("guarantees:certificate_key", args=[paper.pk])).status_code == 404


# --- Status on the application detail -----------------------------------------------------------


def detail_html(client, user, certificate) -> str:
    client.force_login(user)
    url = reverse("applications:detail", args=[certificate.guarantee.application_id])
    return client.get(url).content.decode()


def test_the_detail_shows_the_issued_certificate_with_download_and_key(client, alice, certificate):
    html = detail_html(client, alice, certificate)
    section = html[html.index('id="certificates-h"') : html.index("請負工事の情報")]

    assert "発行済" in section and certificate.guarantee.number in section
    assert "第1版" in section
    issued = timezone.localdate(certificate.issued_at)
    assert f"{issued.year}年{issued.month}月{issued.day}日" in section
    assert reverse("guarantees:certificate_pdf", args=[certificate.pk]) in section
    assert reverse("guarantees:certificate_key", args=[certificate.pk]) in section
    assert "認証キーを表示" in section


def test_the_detail_shows_the_current_version_and_links_the_earlier_ones(
    client, alice, certificate
):
    certificate.superseded_at = timezone.now()
    certificate.save()
    second = CertificateFactory(guarantee=certificate.guarantee, version=2)
    html = detail_html(client, alice, certificate)

    assert "第2版" in html and "版の履歴" in html
    assert reverse("guarantees:certificate_key", args=[second.pk]) in html
    # The earlier version is there to download, not to hand over.
    assert reverse("guarantees:certificate_pdf", args=[certificate.pk]) in html
    assert reverse("guarantees:certificate_key", args=[certificate.pk]) not in html


def test_a_cancelled_guarantee_has_no_key_to_hand_over(client, alice, certificate):
    Guarantee.objects.filter(pk=certificate.guarantee_id).update(status="cancelled")
    html = detail_html(client, alice, certificate)
    assert "解約" in html
    assert reverse("guarantees:certificate_pdf", args=[certificate.pk]) in html
    assert reverse("guarantees:certificate_key", args=[certificate.pk]) not in html


def test_a_printed_paper_certificate_is_being_prepared_until_handed_over(client, alice, issue_for):
    paper = issue_for(
        alice, guarantee__certificate_format="paper", guarantee__status=Guarantee.Status.APPROVED
    )
    html = detail_html(client, alice, paper)
    assert "保証証書(紙)を準備中です" in html
    assert "承諾" in html and paper.guarantee.number in html
    assert reverse("guarantees:certificate_pdf", args=[paper.pk]) not in html
    assert "認証キーを表示" not in html

    paper.handed_over_at = timezone.now()
    paper.save()
    Guarantee.objects.filter(pk=paper.guarantee_id).update(status="issued")
    html = detail_html(client, alice, paper)
    assert "保証証書(紙)を準備中です" not in html
    assert "保証証書(紙)は" in html and "お渡ししました" in html


def test_an_application_without_certificates_shows_no_certificate_section(client, alice, bob):
    application = make_sent_application(alice)
    client.force_login(bob)
    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert 'id="certificates-h"' not in html


# --- Status on the dashboard --------------------------------------------------------------------


def dashboard_row(html: str, number: str) -> str:
    start = html.rindex("<tr>", 0, html.index(number))
    return html[start : html.index("</tr>", start)]


def test_the_dashboard_shows_version_date_and_links_of_an_issued_guarantee(
    client, alice, certificate, issue_for
):
    paper = issue_for(
        alice, guarantee__certificate_format="paper", guarantee__status=Guarantee.Status.APPROVED
    )
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()

    row = dashboard_row(html, certificate.guarantee.number)
    assert "発行済" in row and "第1版" in row
    assert f"{timezone.localdate(certificate.issued_at):%Y/%m/%d}発行" in row
    assert reverse("guarantees:certificate_pdf", args=[certificate.pk]) in row
    assert reverse("guarantees:certificate_key", args=[certificate.pk]) in row

    row = dashboard_row(html, paper.guarantee.number)
    assert "証書(紙)を準備中" in row and "承諾" in row
    assert reverse("guarantees:certificate_pdf", args=[paper.pk]) not in row


def test_the_dashboard_runs_as_many_queries_with_30_issued_guarantees_as_with_none(
    client, alice, bob, issue_for
):
    def count_queries() -> int:
        client.force_login(alice)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("applications:dashboard"))
        assert response.status_code == 200
        return len(queries)

    make_sent_application(alice)
    without_certificates = count_queries()
    for _ in range(30):
        issue_for(bob)
    with_certificates = count_queries()
    html = client.get(reverse("applications:dashboard")).content.decode()

    assert with_certificates == without_certificates == 4
    assert html.count("第1版") == 20  # a page of 20 rows, each with its certificate
