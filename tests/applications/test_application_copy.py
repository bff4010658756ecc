"""申込控え: a printable copy of the application, from the confirmation and detail pages."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from applications import services
from tests.factories import ApplicationFactory, GuaranteeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(alice):
    application = ApplicationFactory(
        contractor=alice.contractor,
        created_by=alice,
        works_name="市道9号線改良工事",
        # Fixed dates, sent on a fixed day below: the copy does not depend on today.
        contract_date=datetime.date(2026, 12, 1),
        period_start=datetime.date(2026, 12, 2),
        period_end=datetime.date(2027, 3, 31),
        contact_department="工事部",
        message_to_company="よろしくお願いします。",
    )
    GuaranteeFactory(application=application, kind="advance", amount=20_000_000)
    GuaranteeFactory(application=application, kind="contract", amount=5_000_000)
    return application


def test_the_copy_states_every_field_the_number_the_send_time_and_the_kinds(client, alice, draft):
    sent_at = datetime.datetime(2026, 11, 24, 1, 30, tzinfo=datetime.UTC)  # 10:30 in Japan
    with time_machine.travel(sent_at, tick=False):
        services.application_submit(application_id=draft.pk, user=alice)
    draft.refresh_from_db()
    client.force_login(alice)

    response = client.get(reverse("applications:print", args=[draft.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "申込控え" in html and draft.number in html
    assert "2026年11月24日 10:30" in html  # the send time, in Japan
    assert "前払金保証、契約保証" in html
    for value in [
        "市道9号線改良工事", "渋川市石原地内", "2026年12月1日", "50,000,000円", "20,000,000円",
        "5,000,000円", "工事部", "山田 太郎", "027-252-1661", "よろしくお願いします。",
        str(draft.obligee), str(draft.branch),
    ]:  # fmt: skip
        assert value in html, value
    assert "css/print.css" in html and "data-nd-print" in html


def test_the_confirmation_and_detail_pages_link_the_copy(client, alice, draft):
    client.force_login(alice)
    url = reverse("applications:print", args=[draft.pk])
    for page in ("applications:confirm", "applications:detail"):
        html = client.get(reverse(page, args=[draft.pk])).content.decode()
        assert html.count(f'href="{url}"') == 1, page
    copy = client.get(url).content.decode()
    assert "(未送信)" in copy  # a draft has no number nor send time yet


def test_another_companys_copy_is_a_404(client, charlie, draft):
    client.force_login(charlie)
    assert client.get(reverse("applications:print", args=[draft.pk])).status_code == 404
    assert client.get(reverse("applications:print", args=[10**12])).status_code == 404
