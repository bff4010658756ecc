"""The helps: the contractor's (保証申込のヘルプ) and the obligee's (発注者向けのヘルプ), both public,
with the guarantee period as the certificates state it and every branch's phone number."""

import re

import pytest
from django.urls import reverse

from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches(branch):
    branch.phone = "027-252-1661"
    branch.address = "群馬県前橋市大手町1-1-1"
    branch.save()
    tochigi = BranchFactory(code="TG", name="栃木支店", phone="028-622-3411")
    closed = BranchFactory(code="ZZ", name="閉鎖した支店", phone="099-999-9999", is_active=False)
    return branch, tochigi, closed


def page(client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_the_help_states_that_the_period_starts_at_the_issue_date_when_later(client):
    html = page(client, "applications:help")
    period = html[html.index('data-testid="guarantee-period"') :]
    period = period[: period.index("</dd>")]
    # SPEC §4: from the contract date, or the issue date if later, to the end of the works.
    assert "保証期間は契約日から工期の末日までです。" in period
    assert "発行日が契約日より後のときは、発行日から工期の末日までです。" in period


@pytest.mark.parametrize("name", ["applications:help", "applications:help_obligee"])
def test_both_helps_list_each_branch_receiving_applications_with_its_phone(client, branches, name):
    html = page(client, name)
    table = html[html.index('data-testid="branch-phones"') :]
    table = table[: table.index("</table>")]
    assert "群馬支店" in table and '<a href="tel:027-252-1661">027-252-1661</a>' in table
    assert "群馬県前橋市大手町1-1-1" in table
    assert "栃木支店" in table and "028-622-3411" in table
    assert "閉鎖した支店" not in table and "099-999-9999" not in table


def test_the_contractor_help_marks_the_companys_own_branch(client, alice, branches):
    _gunma, tochigi, _closed = branches
    alice.contractor.home_branch = tochigi
    alice.contractor.save()
    client.force_login(alice)
    html = page(client, "applications:help")
    table = html[html.index('data-testid="branch-phones"') :]
    row = table[table.index("栃木支店") - 200 : table.index("028-622-3411")]
    assert 'class="table-active"' in row and "御社の担当" in row
    assert "御社の担当" not in table[table.index("群馬支店") : table.index("027-252-1661")]


def test_the_obligee_help_explains_receiving_the_key_and_checking_a_pdf(client):
    html = page(client, "applications:help_obligee")
    for text in [
        "発注者向けのヘルプ",
        # The three ways of receiving.
        "保証契約番号と認証キーを入力して「登録する」",
        "<strong>お知らせのPDFを使う</strong>",
        "<strong>QRコードを読み取る</strong>",
        # How a key is written and read.
        "数字の0〜9と、英字のA〜Zのうち I・L・O・U を除いたもの",
        "大文字・小文字、全角・半角、スペースやハイフンの有無は問いません",
        # An amendment needs the new version's key.
        "前の版の認証キーでは新しい版を受け取れません",
        "保証証書に記載の営業部・支店へお問い合わせください",
    ]:
        assert text in html, text
    assert f'<a href="{reverse("guarantees:verify_upload")}">保証証書の確認</a>' in html
    assert f'<a href="{reverse("obligee_portal:receive")}">保証証書の受領</a>' in html
    assert f'<a href="{reverse("obligee_portal:home")}">受領した保証証書</a>' in html


def test_the_contractor_help_leads_obligees_to_theirs(client):
    html = page(client, "applications:help")
    note = html[html.index('data-testid="to-obligee-help"') :]
    assert f'<a href="{reverse("applications:help_obligee")}">発注者向けのヘルプ</a>' in note


def test_an_obligee_user_finds_the_obligee_help_in_the_header(client, shibukawa):
    clerk = UserFactory(contractor=None, obligee=shibukawa, full_name="渋川市 契約検査課 担当")
    client.force_login(clerk)
    html = page(client, "obligee_portal:home")
    url = reverse("applications:help_obligee")
    assert re.search(
        rf'<a [^>]*href="{url}"[^>]*><span aria-hidden="true">\?</span> 発注者向けのヘルプ</a>',
        html,
    )
    # The footer's "ask the branch" leads to the phone numbers.
    assert (
        f'href="{url}#help-contact" data-testid="branch-phones-link">営業部・支店の電話番号</a>'
        in html
    )


def test_a_contractors_footer_leads_to_the_branches_phone_numbers(client, alice):
    client.force_login(alice)
    html = page(client, "applications:dashboard")
    url = reverse("applications:help")
    assert (
        f'href="{url}#help-contact" data-testid="branch-phones-link">営業部・支店の電話番号</a>'
        in html
    )


def test_the_obligee_help_is_in_english_on_request(client):
    client.cookies["django_language"] = "en"
    html = page(client, "applications:help_obligee")
    assert "Help for obligees" in html
    assert "How an authentication key is written" in html
    assert "認証キーの書き方" not in html
