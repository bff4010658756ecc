"""What the contractor sees of a certificate after an amendment (変更) and after the obligee
received it: the values of the version in force, every version with its changes and PDF, and
whether the key still has to be handed over — on the application detail and on 申込一覧."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guarantees import lifecycle
from guarantees.models import Guarantee, Receipt
from tests.factories import CertificateFactory, UserFactory

pytestmark = pytest.mark.django_db


def amend(certificate, **changes):
    """The next version of `certificate`'s guarantee stating `changes`, as the worker leaves it:
    the version before superseded, the guarantee 変更 with the new amount."""
    now = timezone.now()
    certificate.superseded_at = now
    certificate.save(update_fields=["superseded_at"])
    guarantee = certificate.guarantee
    version = certificate.version + 1
    snapshot = lifecycle.amended_snapshot(
        certificate.snapshot, changes, version=version, issued_on=timezone.localdate(now)
    )
    Guarantee.objects.filter(pk=guarantee.pk).update(
        status=Guarantee.Status.AMENDED, amount=changes.get("amount", guarantee.amount)
    )
    guarantee.refresh_from_db()
    return CertificateFactory(
        guarantee=guarantee, version=version, snapshot=snapshot, issued_at=now
    )


def receive(certificate, *, at=None):
    obligee = certificate.guarantee.application.obligee
    return Receipt.objects.create(
        certificate=certificate,
        obligee=obligee,
        received_by=UserFactory(obligee=obligee, contractor=None),
        received_at=at or timezone.now(),
    )


def detail_html(client, user, certificate) -> str:
    client.force_login(user)
    url = reverse("applications:detail", args=[certificate.guarantee.application_id])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def later(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


# --- The application detail ---------------------------------------------------------------------


def test_after_an_amendment_the_detail_states_the_new_values_consistently(
    client, alice, certificate
):
    # Sent: 請負金額 50,000,000円 and a 20,000,000円 advance payment (40.0%).
    new_end = later(400)
    amend(certificate, contract_amount=35_000_000, amount=14_000_000, period_end=new_end)
    html = detail_html(client, alice, certificate)

    summary = html[html.index("請負工事の情報") :]
    assert "35,000,000円" in summary and "14,000,000円" in summary
    assert "40.0%" in summary  # 14,000,000 of 35,000,000, not 28.0% of the old amount
    assert "50,000,000円" not in summary and "20,000,000円" not in summary
    end = datetime.date.fromisoformat(new_end)
    assert f"{end.year}年{end.month}月{end.day}日" in summary  # the new 工期, not the old
    assert "第2版)の記載を表示しています" in html


def test_the_detail_lists_every_version_with_its_state_changes_and_pdf(client, alice, certificate):
    receive(certificate)
    second = amend(certificate, contract_amount=35_000_000, amount=14_000_000)
    html = detail_html(client, alice, certificate)
    history = html[html.index('data-testid="versions-advance"') :]
    history = history[: history.index("</table>")]

    first_row = history[history.index('data-testid="version-1"') :]
    first_row = first_row[: first_row.index("</tr>")]
    assert "第1版" in first_row and "変更済" in first_row and "受領済" in first_row
    assert reverse("guarantees:certificate_pdf", args=[certificate.pk]) in first_row

    second_row = history[history.index('data-testid="version-2"') :]
    second_row = second_row[: second_row.index("</tr>")]
    assert "第2版" in second_row and "有効" in second_row and "未受領" in second_row
    assert reverse("guarantees:certificate_pdf", args=[second.pk]) in second_row
    assert "<del>50,000,000円</del> → <ins>35,000,000円</ins>" in second_row
    assert "<del>20,000,000円</del> → <ins>14,000,000円</ins>" in second_row
    # What the version in force states, from its snapshot.
    stated = html[html.index('data-testid="stated-advance"') :]
    assert "証書記載事項(第2版)" in stated
    assert "35,000,000円" in stated[: stated.index("</details>")]


def test_an_application_never_amended_shows_what_was_sent_and_no_history(
    client, alice, certificate
):
    html = detail_html(client, alice, certificate)
    assert "50,000,000円" in html[html.index("請負工事の情報") :]
    assert 'data-testid="versions-advance"' not in html
    assert 'data-testid="stated-note"' not in html


def test_an_amended_version_asks_plainly_for_its_key_until_received(client, alice, certificate):
    receive(certificate)
    second = amend(certificate, amount=14_000_000)
    html = detail_html(client, alice, certificate)
    handover = html[html.index('data-testid="handover-advance"') :]
    assert "第2版の認証キーをお渡しください。" in handover[: handover.index("</p>")]
    assert reverse("guarantees:certificate_key", args=[second.pk]) in html

    receive(second)
    html = detail_html(client, alice, certificate)
    assert 'data-testid="handover-advance"' not in html
    assert "お渡しください" not in html
    assert 'data-testid="received-advance"' in html and "発注者受領済" in html


def test_once_received_the_contractor_is_no_longer_told_to_hand_the_key_over(
    client, alice, certificate
):
    html = detail_html(client, alice, certificate)
    assert "保証契約番号と認証キーを発注者へお渡しください" in html
    receive(certificate)
    html = detail_html(client, alice, certificate)
    assert "お渡しください" not in html
    assert "発注者受領済" in html


def test_the_detail_gives_the_branch_and_its_phone_to_ask(client, alice, certificate):
    branch = certificate.guarantee.application.branch
    branch.phone = "027-252-1661"
    branch.save()
    html = detail_html(client, alice, certificate)
    contact = html[html.index('data-testid="branch-contact"') :]
    assert branch.name in contact[: contact.index("</p>")]
    assert "027-252-1661" in contact[: contact.index("</p>")]


# --- 申込一覧 -------------------------------------------------------------------------------------


def dashboard_row(html: str, number: str) -> str:
    start = html.rindex("<tr>", 0, html.index(number))
    return html[start : html.index("</tr>", start)]


def test_the_dashboard_shows_the_obligees_receipt(client, alice, certificate, issue_for):
    other = issue_for(alice)
    receive(certificate)
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()

    row = dashboard_row(html, certificate.guarantee.number)
    assert "発注者受領済" in row
    assert f"{timezone.localdate():%Y/%m/%d}" in row
    assert "発注者受領済" not in dashboard_row(html, other.guarantee.number)


def test_the_dashboard_asks_for_an_amended_versions_key_until_it_is_received(
    client, alice, certificate
):
    receive(certificate)
    second = amend(certificate, amount=14_000_000)
    client.force_login(alice)
    row = dashboard_row(
        client.get(reverse("applications:dashboard")).content.decode(),
        certificate.guarantee.number,
    )
    # The first version's receipt is not the second's.
    assert "第2版の認証キーをお渡しください" in row and "発注者受領済" not in row

    receive(second)
    row = dashboard_row(
        client.get(reverse("applications:dashboard")).content.decode(),
        certificate.guarantee.number,
    )
    assert "お渡しください" not in row and "発注者受領済" in row


def test_receipts_cost_the_dashboard_no_query(client, alice, bob, issue_for):
    def count_queries() -> int:
        client.force_login(alice)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("applications:dashboard"))
        assert response.status_code == 200
        return len(queries)

    certificates = [issue_for(bob) for _ in range(5)]
    before = count_queries()
    for certificate in certificates:
        receive(certificate)
    amend(certificates[0], amount=14_000_000)
    after = count_queries()
    html = client.get(reverse("applications:dashboard")).content.decode()

    assert after == before == 4
    assert html.count('data-testid="received"') == 4
    assert html.count('data-testid="handover"') == 1


def test_a_version_received_twice_is_listed_once_with_its_first_receipt(
    client, alice, certificate, issue_for
):
    from tests.factories import ObligeeFactory

    other = issue_for(alice)
    receive(certificate, at=timezone.now() - datetime.timedelta(days=3))
    obligee = ObligeeFactory()
    Receipt.objects.create(
        certificate=certificate,
        obligee=obligee,
        received_by=UserFactory(obligee=obligee, contractor=None),
        received_at=timezone.now(),
    )
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()

    row = dashboard_row(html, certificate.guarantee.number)
    assert row.count(certificate.guarantee.number) == 1
    first = timezone.localdate() - datetime.timedelta(days=3)
    assert f"{first:%Y/%m/%d}" in row and html.count('data-testid="received"') == 1
    assert other.guarantee.number in html


def test_the_dashboard_states_the_amended_contract_amount(client, alice, certificate):
    amend(certificate, contract_amount=35_000_000, amount=14_000_000)
    client.force_login(alice)
    row = dashboard_row(
        client.get(reverse("applications:dashboard")).content.decode(),
        certificate.guarantee.number,
    )
    assert '<td data-label="請負金額" class="num">35,000,000円</td>' in row
    assert "50,000,000円" not in row and "14,000,000円" in row


def test_a_later_first_version_of_the_other_guarantee_does_not_undo_the_amendment(
    client, alice, certificate
):
    application = certificate.guarantee.application
    amend(certificate, contract_amount=35_000_000, amount=14_000_000)
    # The contract guarantee issued afterwards, on the values sent.
    CertificateFactory(
        guarantee__application=application,
        guarantee__kind="contract",
        guarantee__amount=5_000_000,
        issued_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    html = detail_html(client, alice, certificate)
    summary = html[html.index("請負工事の情報") :]
    assert "35,000,000円" in summary and "50,000,000円" not in summary
    assert "第2版)の記載を表示しています" in html


def test_the_key_page_of_an_amended_version_says_it_is_the_one_to_hand_over(
    client, alice, certificate
):
    client.force_login(alice)
    first_page = client.get(reverse("guarantees:certificate_key", args=[certificate.pk]))
    assert 'data-testid="amended-key"' not in first_page.content.decode()
    second = amend(certificate, amount=14_000_000)
    html = client.get(reverse("guarantees:certificate_key", args=[second.pk])).content.decode()
    note = html[html.index('data-testid="amended-key"') :]
    assert "第2版の認証キーが必要です(以前の版の認証キーは使えません)" in note[: note.index("</p>")]
