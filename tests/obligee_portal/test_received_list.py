"""受領した保証証書: the obligee's received list searched by issue date, amount and contractor
(電子帳簿保存法), its CSV and its printable form."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from guarantees.models import Receipt
from obligee_portal.forms import ReceivedSearchForm
from tests.factories import ObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = "/obligee/"


@pytest.fixture
def three(receive):
    """Three certificates of different dates, amounts and contractors."""
    return {
        "april": receive(
            issued_on=datetime.date(2026, 4, 1), amount=10_000_000, contractor="〇〇建設 株式会社"
        ),
        "june": receive(
            issued_on=datetime.date(2026, 6, 15),
            amount=20_000_000,
            contractor="フジタ工業 株式会社",
        ),
        "august": receive(
            issued_on=datetime.date(2026, 8, 31),
            amount=35_000_000,
            contractor="ＡＢＣ舗装 株式会社",
        ),
    }


def numbers_listed(response) -> list[str]:
    """The guarantee numbers of the list's rows, in order."""
    return re.findall(
        r'<a href="/obligee/certificates/\d+/">([A-Z0-9-]+) ', response.content.decode()
    )


def number(receipt) -> str:
    return receipt.certificate.snapshot["number"]


def field_error(response, name: str) -> str:
    match = re.search(rf'id="id_{name}_error">([^<]*)<', response.content.decode())
    return match[1] if match else ""


def test_the_list_shows_every_received_certificate_newest_receipt_first(shibukawa_client, three):
    response = shibukawa_client.get(HOME)
    assert numbers_listed(response) == [number(three[k]) for k in ("august", "june", "april")]
    html = response.content.decode()
    assert "3件" in html and "令和8年6月15日" in html and "20,000,000円" in html
    assert "有効" in html and "フジタ工業 株式会社" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"issued_from": "2026-06-01"}, ["august", "june"]),
        ({"issued_to": "2026-06-15"}, ["june", "april"]),  # the end day is included
        ({"issued_from": "2026-04-02", "issued_to": "2026-08-30"}, ["june"]),
        ({"issued_from": "2026/06/15", "issued_to": "２０２６－０６－１５"}, ["june"]),
        ({"issued_from": "令和8年6月15日", "issued_to": "R8.6.15"}, ["june"]),
        ({"issued_from": "８/６/１"}, ["august", "june"]),  # a year without an era: 令和
        ({"amount_min": "20,000,000"}, ["august", "june"]),
        ({"amount_max": "２０，０００，０００円"}, ["june", "april"]),
        ({"amount_min": "15000000", "amount_max": "30000000"}, ["june"]),
        ({"contractor": "フジタ"}, ["june"]),
        ({"contractor": "ふじた"}, ["june"]),  # hiragana finds the katakana name
        ({"contractor": "ﾌｼﾞﾀ"}, ["june"]),  # half-width katakana
        ({"contractor": "abc"}, ["august"]),  # ASCII finds the full-width ＡＢＣ
        ({"contractor": "建設株式会社"}, ["april"]),  # spaces do not matter
        ({"contractor": "株式会社", "amount_min": "20000000", "issued_to": "2026-07-01"}, ["june"]),
        ({"contractor": "建設", "amount_min": "20000000"}, []),
    ],
)
def test_conditions_narrow_the_list_and_combine(shibukawa_client, three, query, expected):
    response = shibukawa_client.get(HOME, query)
    assert response.status_code == 200
    assert numbers_listed(response) == [number(three[k]) for k in expected]
    if not expected:
        assert "条件に合う受領した保証証書はありません。" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"issued_from": "2026-08-01", "issued_to": "2026-04-01"},
            "issued_to",
            "発行日の範囲は、「から」に「まで」より前の日付を入力してください。",
        ),
        (
            {"amount_min": "30,000,000", "amount_max": "1,000"},
            "amount_max",
            "保証金額の範囲は、「以上」に「以下」より小さい金額を入力してください。",
        ),
        ({"issued_from": "2026-13-45"}, "issued_from", "2026年13月45日という日付はありません。"),
        (
            {"issued_from": "99999-01-01"},
            "issued_from",
            "日付として読み取れません。2026-12-01 または 令和8年12月1日 の形で入力してください。",
        ),
        (
            {"issued_to": "平成32年1月1日"},
            "issued_to",
            "平成32年1月1日は存在しません(平成は平成元年1月8日から平成31年4月30日まで)。",
        ),
        (
            {"amount_min": "二千万"},
            "amount_min",
            "金額は円単位の数字で入力してください(例: 20,000,000)。",
        ),
        (
            {"amount_min": "-5"},
            "amount_min",
            "金額は円単位の数字で入力してください(例: 20,000,000)。",
        ),
        ({"amount_max": "9" * 25}, "amount_max", "金額は1兆円未満で入力してください。"),
        (
            {"contractor": "株式会社\x7f"},
            "contractor",
            "請負者名に使用できない文字が含まれています。",
        ),
        ({"contractor": "建" * 101}, "contractor", "100"),
    ],
)
def test_bad_conditions_get_a_japanese_message_and_keep_what_was_typed(
    shibukawa_client, three, query, field, message
):
    response = shibukawa_client.get(HOME, query)
    assert response.status_code == 200
    assert message in field_error(response, field)
    html = response.content.decode()
    assert "検索条件を確認してください。" in html
    for value in query.values():  # every value typed is back in its box
        assert f'value="{value}"' in html
    # Nothing is listed rather than rows the conditions typed do not describe, and the page
    # says the search was not run, not that nothing matched.
    assert numbers_listed(response) == []
    assert "検索条件に誤りがあるため、検索していません。" in html
    assert "0件" not in html and "条件に合う受領した保証証書はありません。" not in html


def test_the_issue_date_search_reads_wareki_and_says_how_to_type_it(shibukawa_client):
    form = ReceivedSearchForm({"issued_from": "令和元年5月1日", "issued_to": "Ｈ３１．４．３０"})
    assert not form.is_valid()  # read, then found to be the wrong way round
    assert form.cleaned_data["issued_from"] == datetime.date(2019, 5, 1)
    # The wrong way round: the list is not searched, the dates are still read and shown.
    query = {"issued_from": "R1.5.1", "issued_to": "H31.4.30"}
    html = shibukawa_client.get(HOME, query).content.decode()
    assert "西暦(2026-04-01)または和暦(令和8年4月1日、R8.4.1)" in html
    assert 'placeholder="2026-04-01 / R8.4.1"' in html
    assert 'value="R1.5.1"' in html and "令和元年5月1日(2019年5月1日)" in html
    assert "平成31年4月30日(2019年4月30日)" in html


def test_a_nul_byte_in_the_search_is_refused_plainly(shibukawa_client, three):
    # The site refuses control characters in any query string (core.middleware) with its
    # Japanese 400 page; the CSV address answers the same.
    for address in (HOME, reverse("obligee_portal:received_csv")):
        response = shibukawa_client.get(address + "?contractor=%00%E5%BB%BA%E8%A8%AD")
        assert response.status_code == 400
        assert "受け付けられない文字" in response.content.decode()


def test_the_search_is_in_the_address_and_pages_keep_it(shibukawa_client, receive):
    for day in range(1, 23):
        receive(issued_on=datetime.date(2026, 5, day), contractor="フジタ工業 株式会社")
    receive(issued_on=datetime.date(2026, 5, 1), contractor="〇〇建設 株式会社")
    first = shibukawa_client.get(HOME, {"contractor": "フジタ"})
    assert "22件" in first.content.decode() and len(numbers_listed(first)) == 20
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)"', first.content.decode())[1]
    second = shibukawa_client.get(HOME + next_link.replace("&amp;", "&"))
    assert len(numbers_listed(second)) == 2
    assert 'value="フジタ"' in second.content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_the_list_runs_the_same_queries_whatever_the_rows(
    shibukawa_client, receive, django_assert_num_queries, rows
):
    for _ in range(rows):
        receive()
    shibukawa_client.get(HOME)  # the session is read and stamped once
    # The signed-in user, the count and one page of rows with everything they show.
    with django_assert_num_queries(3) as queries:
        response = shibukawa_client.get(HOME, {"amount_min": "1", "contractor": "建設"})
    assert len(numbers_listed(response)) == min(rows, 20)
    assert "guarantees_receipt" in queries.captured_queries[-1]["sql"]


def test_another_obligee_sees_none_of_it(client, three):
    other = UserFactory(contractor=None, obligee=ObligeeFactory(name="高崎市"))
    client.force_login(other)
    response = client.get(HOME)
    assert numbers_listed(response) == []
    assert "受領した保証証書はまだありません。" in response.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("obligee_portal:received_csv")).getvalue().decode())
        )
    )
    assert len(rows) == 1  # the header only


def read_csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def test_the_csv_holds_every_row_of_the_search(shibukawa_client, three, shibukawa_user):
    response = shibukawa_client.get(
        reverse("obligee_portal:received_csv"), {"amount_min": "15000000"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == [
        "保証契約番号", "版", "保証の種類", "請負者", "工事名", "保証金額",
        "発行日(和暦)", "発行日(西暦)", "状態", "受領日", "受領者",
    ]  # fmt: skip
    june = three["june"].certificate.snapshot
    assert rows[1] == [
        june["number"], "1", "前払金保証", "フジタ工業 株式会社", june["works"]["name"],
        "20000000", "令和8年6月15日", "2026-06-15", "有効", "2026-06-16", "渋川 花子",
    ]  # fmt: skip
    assert [row[0] for row in rows] == [number(three["august"]), june["number"]]


def test_the_csv_has_all_rows_not_one_page(shibukawa_client, receive):
    for _ in range(25):
        receive()
    _header, *rows = read_csv(shibukawa_client.get(reverse("obligee_portal:received_csv")))
    assert len(rows) == 25


def test_the_csv_runs_no_formula_a_contractor_typed(shibukawa_client, receive):
    receive(contractor='=HYPERLINK("http://evil")', works="+cmd|' /C calc'!A0")
    _header, row = read_csv(shibukawa_client.get(reverse("obligee_portal:received_csv")))
    assert row[3] == '\'=HYPERLINK("http://evil")' and row[4] == "'+cmd|' /C calc'!A0"


def test_a_csv_of_a_bad_search_goes_back_to_the_list_with_what_was_typed(shibukawa_client, three):
    query = {"issued_from": "2026-08-01", "issued_to": "2026-04-01"}
    response = shibukawa_client.get(reverse("obligee_portal:received_csv"), query, follow=True)
    assert response.redirect_chain[-1][0].startswith(HOME + "?")
    assert "発行日の範囲は" in field_error(response, "issued_to")
    assert 'value="2026-08-01"' in response.content.decode()


def test_the_page_prints_its_conditions_and_date_with_the_print_stylesheet(shibukawa_client, three):
    html = shibukawa_client.get(
        HOME, {"contractor": "フジタ", "amount_min": "1,000"}
    ).content.decode()
    conditions = re.search(r'data-testid="print-conditions">(.*?)</div>', html, re.S)[1]
    assert "請負者名 フジタ" in conditions and "保証金額(以上) 1,000" in conditions
    assert "印刷日: 令和" in conditions
    assert 'href="/static/css/print.css" media="print"' in html
    assert "data-nd-print" in html and "/static/js/print_button.js" in html


def test_contractors_and_anonymous_users_get_no_list_or_csv(client, alice, three):
    response = client.get(reverse("obligee_portal:received_csv"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(alice)
    assert client.get(reverse("obligee_portal:received_csv")).status_code == 404
    assert client.get(HOME).status_code == 403


def test_nothing_received_can_be_deleted(shibukawa_client, three, admin_client):
    # No page deletes a receipt, and the admin offers no receipts or certificates to delete.
    from django.contrib import admin

    from guarantees.models import Certificate

    assert Receipt not in admin.site._registry and Certificate not in admin.site._registry
    assert shibukawa_client.post(HOME, {"delete": "1"}).status_code == 200
    assert Receipt.objects.count() == 3


def test_an_obligee_with_thousands_received_is_counted_up_to_the_limit(
    shibukawa_client, receive, monkeypatch
):
    from core import paginator

    monkeypatch.setattr(paginator, "COUNT_LIMIT", 3)
    for _ in range(3):
        receive()
    assert "2,000件以上" in shibukawa_client.get(HOME).content.decode()
    monkeypatch.setattr(paginator, "COUNT_LIMIT", 4)
    searched = shibukawa_client.get(HOME, {"contractor": "建設"})
    assert "3件" in searched.content.decode()


def test_each_value_of_a_row_says_what_it_is_on_a_phone(shibukawa_client, three):
    """On a narrow screen the rows are cards without the table's heading: every cell carries
    its column's name (data-label, shown by the style sheet), the amount and dates included."""
    page = shibukawa_client.get(HOME).content.decode()
    html = page[page.index('<table class="table table-sm align-middle nd-list nd-received">') :]
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html[: html.index("</thead>")])
    assert headings == [
        "保証契約番号",
        "保証の種類",
        "請負者",
        "工事名",
        "保証金額",
        "発行日",
        "状態",
        "受領日",
    ]
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(rows) == 3
    for row in rows:
        assert re.findall(r'<td[^>]*data-label="([^"]+)"', row) == headings
        assert re.search(r'data-label="保証金額">[\d,]+円<', row)
