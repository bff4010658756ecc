"""static/js/fee_estimate.js in Chromium: the estimate boxes of the application form fill in.

The form template includes the boxes (another module's test drives the whole form); this test
serves a bare form with the two boxes so the script is checked on its own.
"""

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from fees.demo import load_demo_fee_tables
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


FORM = """<!doctype html><html lang="ja"><head>
<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.min.css">
<link rel="stylesheet" href="/static/css/netdesk.css"></head><body><form id="application-form">
<input type="date" name="contract_date"><input type="date" name="period_end">
<input type="checkbox" name="ag_requested" checked><input name="ag_amount">{advance}
<input type="checkbox" name="cg_requested"><input name="cg_amount">{contract}
</form><script src="/static/js/fee_estimate.js"></script></body></html>"""


@pytest.fixture
def form_page(page: Page, live_server, transactional_db) -> Page:
    load_demo_fee_tables()
    client = Client()
    client.force_login(UserFactory())
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    html = FORM.format(
        advance=render_to_string("fees/_estimate.html", {"kind": "advance"}),
        contract=render_to_string("fees/_estimate.html", {"kind": "contract"}),
    )
    url = f"{live_server.url}/fee-estimate-test/"
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
    page.goto(url)
    return page


def test_the_boxes_follow_the_form(form_page: Page):
    page = form_page
    requests = []
    page.on("request", lambda r: "/fees/estimate/" in r.url and requests.append(r.url))
    advance = page.locator('[data-fee-estimate="advance"]')
    contract = page.locator('[data-fee-estimate="contract"]')
    expect(advance).to_contain_text("金額・契約日・工期(至)を入力すると表示されます。")
    expect(contract).to_be_hidden()  # not requested

    start = timezone.localdate() + datetime.timedelta(days=10)
    page.fill('[name="contract_date"]', start.isoformat())
    page.fill('[name="period_end"]', (start + datetime.timedelta(days=119)).isoformat())
    page.locator('[name="ag_amount"]').press_sequentially("２０，０００，０００", delay=20)

    expect(advance.locator("[data-fee-total]")).to_have_text("48,000円")
    assert len(requests) == 1  # typing is debounced into one request
    advance.locator("summary").click()
    expect(advance.locator("[data-fee-lines] li").first).to_have_text(
        "10,000,000円までの部分: 10,000,000円 × 年0.45% = 45,000円"
    )
    expect(advance.locator("[data-fee-lines] li").last).to_have_text("保証料: 48,000円(非課税)")

    page.check('[name="cg_requested"]')
    page.fill('[name="cg_amount"]', "abc")
    expect(contract.locator("[data-fee-message]")).to_have_text(
        "金額は数字で入力してください(例: 20,000,000)。"
    )
    page.fill('[name="cg_amount"]', "20000000")
    expect(contract.locator("[data-fee-total]")).to_have_text("60,000円")
    expect(contract.locator("[data-fee-message]")).to_have_text("")


def test_an_amount_marked_outside_its_limit_is_refused_without_asking(form_page: Page):
    """application_form.js marks an amount the rules' limits refuse; the box says so instead of
    pricing it, and prices it again once the mark is gone."""
    page = form_page
    requests = []
    page.on("request", lambda r: "/fees/estimate/" in r.url and requests.append(r.url))
    advance = page.locator('[data-fee-estimate="advance"]')
    start = timezone.localdate() + datetime.timedelta(days=10)
    page.fill('[name="contract_date"]', start.isoformat())
    page.fill('[name="period_end"]', (start + datetime.timedelta(days=119)).isoformat())
    page.locator('[name="ag_amount"]').evaluate(
        "e => { e.dataset.limitError = '請負金額の4割(20,000,000円)以下にしてください。'; }"
    )
    page.fill('[name="ag_amount"]', "25,000,000")
    expect(advance.locator("[data-fee-message]")).to_have_text(
        "この金額では申込を受け付けられません。 請負金額の4割(20,000,000円)以下にしてください。"
    )
    expect(advance.locator("[data-fee-message]")).to_have_css("color", "rgb(176, 42, 55)")
    expect(advance.locator("[data-fee-total]")).to_have_text("")
    assert requests == []

    page.locator('[name="ag_amount"]').evaluate("e => { delete e.dataset.limitError; }")
    page.fill('[name="ag_amount"]', "20,000,000")
    expect(advance.locator("[data-fee-total]")).to_have_text("48,000円")
    expect(advance.locator("[data-fee-message]")).not_to_have_css("color", "rgb(176, 42, 55)")
