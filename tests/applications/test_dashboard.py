"""申込一覧: the company's applications, filtered, searched and paginated."""

import pytest
from django.urls import reverse

from applications.models import Application
from guarantees.models import Guarantee
from tests.factories import ApplicationFactory, GuaranteeFactory

pytestmark = pytest.mark.django_db


def test_lists_the_company_applications_only(client, alice, bob, charlie):
    mine = ApplicationFactory(
        contractor=alice.contractor, created_by=bob, works_name="渋川の工事", status="sent"
    )
    GuaranteeFactory(application=mine, status=Guarantee.Status.APPROVED, number="GM-2026-000007")
    ApplicationFactory(contractor=charlie.contractor, created_by=charlie, works_name="他社の工事")
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()
    assert "渋川の工事" in html and "他社の工事" not in html
    assert mine.number in html
    assert "50,000,000円" in html and "20,000,000円" in html
    assert "GM-2026-000007" in html and "承諾" in html and "送信済" in html


def test_filters_by_status_and_searches_text(client, alice):
    for name, status in [("国道橋梁補修", "draft"), ("市道舗装", "sent"), ("市道側溝", "sent")]:
        ApplicationFactory(
            contractor=alice.contractor, created_by=alice, works_name=name, status=status
        )
    client.force_login(alice)
    url = reverse("applications:dashboard")
    html = client.get(url, {"status": "sent"}).content.decode()
    assert "市道舗装" in html and "市道側溝" in html and "国道橋梁補修" not in html
    html = client.get(url, {"q": "側溝"}).content.decode()
    assert "市道側溝" in html and "市道舗装" not in html
    html = client.get(url, {"q": "存在しない"}).content.decode()
    assert "条件に合う申込はありません。" in html
    # An unknown status is ignored rather than an error.
    assert client.get(url, {"status": "bogus"}).status_code == 200


def test_search_finds_a_guarantee_number(client, alice):
    application = ApplicationFactory(contractor=alice.contractor, created_by=alice, status="sent")
    GuaranteeFactory(application=application, status="approved", number="GM-2026-000123")
    GuaranteeFactory(
        application=application,
        kind="contract",
        amount=5_000_000,
        status="approved",
        number="GM-2026-000124",
    )
    client.force_login(alice)
    response = client.get(reverse("applications:dashboard"), {"q": "GM-2026-0001"})
    html = response.content.decode()
    # Listed and counted once, though two of its guarantees match.
    detail = reverse("applications:detail", args=[application.pk])
    assert html.count(f'<a href="{detail}">') == 1
    assert 'aria-live="polite">1件</p>' in html


def test_paginates_and_keeps_the_filters(client, alice):
    ApplicationFactory.create_batch(
        25, contractor=alice.contractor, created_by=alice, status="sent"
    )
    client.force_login(alice)
    response = client.get(reverse("applications:dashboard"), {"status": "sent"})
    html = response.content.decode()
    assert len(response.context["page"]) == 20
    assert "1 / 2 ページ" in html
    assert "?status=sent&amp;page=2" in html
    second = client.get(reverse("applications:dashboard"), {"status": "sent", "page": 2})
    assert len(second.context["page"]) == 5


def _fill(contractor, user, count):
    applications = Application.objects.bulk_create(
        ApplicationFactory.build(
            contractor=contractor, created_by=user, status="sent", obligee=None, branch=None
        )
        for _ in range(count)
    )
    Guarantee.objects.bulk_create(
        GuaranteeFactory.build(application=application) for application in applications
    )


def test_the_same_number_of_queries_with_10_and_1000_rows(
    client, alice, charlie, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _fill(alice.contractor, alice, 10)
    _fill(charlie.contractor, charlie, 1000)
    counts = {}
    for user in (alice, charlie):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("applications:dashboard"))
        assert response.status_code == 200
        counts[user.email] = len(queries)
    assert counts["alice@example.jp"] == counts["charlie@example.jp"]
    # user, count, page of applications (+ obligee, return message), guarantees; the session
    # comes from the cache
    assert counts["alice@example.jp"] == 4


def test_each_row_links_to_its_application_and_lists_its_guarantees(client, alice):
    first = make_dashboard_application(alice, "一本目の工事", [("advance", 20_000_000)])
    second = make_dashboard_application(
        alice, "二本目の工事", [("advance", 8_000_000), ("contract", 5_000_000)]
    )
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()
    for application in (first, second):
        url = reverse("applications:detail", args=[application.pk])
        assert f'<a href="{url}">{application.number}</a>' in html
    # The guarantees of each row under that row, in kind order.
    row = html[html.index("二本目の工事") :]
    row = row[: row.index("</tr>")]
    assert row.index("8,000,000円") < row.index("5,000,000円")
    assert "20,000,000円" not in row


def make_dashboard_application(user, works_name, guarantees):
    application = ApplicationFactory(
        contractor=user.contractor, created_by=user, works_name=works_name, status="sent"
    )
    for kind, amount in guarantees:
        GuaranteeFactory(application=application, kind=kind, amount=amount)
    return application


def test_a_returned_application_shows_the_branchs_latest_message(client, alice):
    returned = make_dashboard_application(alice, "差戻しの工事", [("advance", 20_000_000)])
    Application.objects.filter(pk=returned.pk).update(status=Application.Status.RETURNED)
    returned.company_messages.create(body="最初のお知らせです。")
    latest = "工期(至)を契約書のとおりに直してください。" + "あ" * 60
    returned.company_messages.create(body=latest)
    sent = make_dashboard_application(alice, "送信済の工事", [("advance", 8_000_000)])
    sent.company_messages.create(body="送信済の申込へのお知らせです。")
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()
    row = html[html.index("差戻しの工事") - 600 : html.index("差戻しの工事")]
    # The latest message only, cut to 60 characters.
    assert f'nd-return-message">{latest[:59]}…</div>' in row
    assert "最初のお知らせです。" not in html
    # A message to an application that is not returned stays on its detail page.
    assert "送信済の申込へのお知らせです。" not in html


def test_the_list_is_counted_up_to_the_limit_filtered_or_not(client, alice, monkeypatch):
    from core import paginator

    monkeypatch.setattr(paginator, "COUNT_LIMIT", 3)
    ApplicationFactory.create_batch(4, contractor=alice.contractor, created_by=alice)
    client.force_login(alice)
    for query in [{}, {"status": "draft"}]:
        html = client.get(reverse("applications:dashboard"), query).content.decode()
        assert 'aria-live="polite">3件以上</p>' in html
    html = client.get(reverse("applications:dashboard"), {"q": "該当なし"}).content.decode()
    assert 'aria-live="polite">0件</p>' in html
