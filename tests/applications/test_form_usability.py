"""申込作成 as a user reads it: what is marked 必須, amounts in 円, the limits the script warns
about, a refused draft, a returned application, the language switch, the pages never stored."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import rules
from applications.models import Application
from core.models import AuditEntry
from tests.factories import ApplicationFactory, GuaranteeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_form_html(client, alice, branch) -> str:
    """The new-application form as alice (signed in) sees it."""
    client.force_login(alice)
    return client.get(reverse("applications:new")).content.decode()


def badges(html: str) -> dict[str, bool]:
    """The 必須 badges of a page: field name → shown (True) or hidden until its condition holds."""
    return {
        name: not re.search(r"\shidden(\s|$)", attrs)
        for attrs, name in re.findall(
            r'<span class="badge nd-required"([^>]*data-required-for="(\w+)"[^>]*)>必須</span>',
            html,
        )
    }


def test_exactly_the_fields_sending_needs_are_marked(client, new_form_html):
    html = new_form_html
    # Ask the rules: an empty form (its radio groups as they start) with both kinds requested
    # and the notice wanted.
    empty = {
        "form_token": "00000000-0000-0000-0000-000000000001",
        "contract_type": "works",
        "ag_requested": "on",
        "ag_certificate_format": "paper",
        "ag_redeposit": "not_used",
        "cg_requested": "on",
        "cg_certificate_format": "paper",
        "notify_issuance": "1",
        "action": "confirm",
    }
    response = client.post(reverse("applications:new"), empty)
    refused = set(response.context["form"].errors) - {"__all__"}

    assert set(badges(html)) == refused
    # Those of an unrequested kind and the e-mail address (希望しない) wait for their condition.
    assert {name for name, shown in badges(html).items() if not shown} == {
        "cg_amount",
        "notify_email",
    }
    for name in refused:
        # 発注者 is typed into the combobox's text box; its hidden input only carries the id.
        typed = "obligee_text" if name == "obligee" else name
        control = re.search(rf'<[^>]+name="{typed}"[^>]*>', html).group()
        assert ('aria-required="true"' in control) == badges(html)[name], name
    assert not Application.objects.exists()


def test_the_badge_is_beside_the_label_not_in_it(new_form_html):
    html = new_form_html
    assert re.search(
        r'<label\s+for="id_works_name"[^>]*>\s*工事名\s*</label><span class="badge nd-required" '
        r'aria-hidden="true"',
        html,
    )


def test_radio_groups_carry_no_asterisk(new_form_html):
    html = new_form_html
    assert "asteriskField" not in html
    assert re.search(r"<legend[^>]*>\s*工事・業務委託\s*</legend>", html)


def test_a_form_without_the_radio_values_still_saves_their_defaults(client, alice, form_data):
    client.force_login(alice)
    data = form_data(contract_type=None, notify_issuance=None, ag_fee_statement_paper=None)
    data["notify_email"] = ""
    assert client.post(reverse("applications:new"), data).status_code == 302
    application = Application.objects.get()
    assert (application.contract_type, application.notify_issuance) == ("works", False)
    assert application.guarantees.get().fee_statement_paper is False


def test_each_amount_is_shown_in_yen_and_its_error_stays_inside_the_group(
    client, new_form_html, form_data
):
    html = new_form_html
    for name in ["contract_amount", "this_year_amount", "ag_amount", "cg_amount"]:
        assert re.search(
            rf'<div class="input-group">\s*<input[^>]+name="{name}"[^>]*>\s*'
            r'<span class="input-group-text">円</span>',
            html,
        ), name
    html = client.post(reverse("applications:new"), form_data(ag_amount="abc")).content.decode()
    assert re.search(
        r'name="ag_amount"[^>]*>\s*<span class="input-group-text">円</span>\s*'
        r'<div id="id_ag_amount_error" class="invalid-feedback">',
        html,
    )


def test_the_page_carries_the_limits_of_the_rules(new_form_html):
    html = new_form_html
    data = re.search(r'<script id="nd-limits" type="application/json">(.*?)</script>', html)
    limits = json.loads(data.group(1))
    for contract_type, cap in rules.ADVANCE_CAP.items():
        assert limits["advance_max"][contract_type] == [cap.numerator, cap.denominator]
    minimum = rules.CONTRACT_GUARANTEE_MIN
    assert limits["contract_min"] == [minimum.numerator, minimum.denominator]
    assert 'data-over="請負金額の{cap}割({limit}円)以下にしてください。"' in html
    assert 'data-refused="この金額では申込を受け付けられません。"' in html


def test_a_draft_with_a_malformed_field_is_saved_without_it_and_says_so(client, alice, form_data):
    client.force_login(alice)
    data = form_data(action="draft", contract_amount="五千万", works_name="途中の工事")
    response = client.post(reverse("applications:new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "下書きを保存しました。ただし、次の項目は保存されていません。" in html
    assert "保存されていない項目: 請負金額(税込)" in html
    assert "金額は数字で入力してください(例: 20,000,000)。" in html
    assert 'value="途中の工事"' in html and 'value="五千万"' in html
    draft = Application.objects.get()
    assert draft.works_name == "途中の工事" and draft.contract_amount is None
    # 確認へ進む refused keeps the usual heading: nothing was meant to be saved as a draft.
    html = client.post(reverse("applications:new"), {**data, "action": "confirm"}).content.decode()
    assert "下書きを保存しました" not in html
    assert "入力内容に誤りがあります。" in html


def test_a_draft_without_its_forms_token_is_not_saved_and_says_so(client, alice, form_data):
    client.force_login(alice)
    data = form_data(action="draft", form_token="not-a-token", works_name="途中の工事")
    html = client.post(reverse("applications:new"), data).content.decode()
    assert "下書きは保存されていません。" in html
    assert "下書きを保存できませんでした" in html
    assert 'value="途中の工事"' in html
    assert not Application.objects.exists()


@pytest.fixture
def returned(alice, branch):
    application = ApplicationFactory(
        contractor=alice.contractor, created_by=alice, branch=branch, status="returned"
    )
    GuaranteeFactory(application=application)
    application.company_messages.create(body="最初のお知らせです。")
    application.company_messages.create(body="工期(至)を契約書のとおりに直してください。")
    return application


@pytest.mark.parametrize("page", ["applications:edit", "applications:detail"])
def test_a_returned_application_quotes_the_branchs_latest_message_at_the_top(
    client, alice, returned, page
):
    client.force_login(alice)
    html = client.get(reverse(page, args=[returned.pk])).content.decode()
    notice = re.search(r'data-testid="return-notice">(.*?)</div>', html, re.S).group(1)
    assert "差し戻されました" in notice
    assert "<blockquote" in notice and "工期(至)を契約書のとおりに直してください。" in notice
    assert "最初のお知らせです。" not in notice
    assert "群馬支店からのお知らせ" in notice
    assert html.index("return-notice") < html.index("請負工事の情報")


def test_the_language_switch_keeps_what_was_typed_and_saves_nothing(client, alice, form_data):
    client.force_login(alice)
    data = form_data(works_name="市道の工事", ag_amount="２０，０００，０００", cg_requested=None)
    data.update(action="language", language="en")
    response = client.post(reverse("applications:new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in html
    assert "Advance-payment guarantee amount" in html
    assert 'value="市道の工事"' in html
    assert 'value="２０，０００，０００"' in html
    assert re.search(r'name="ag_requested"[^>]*checked', html)
    assert not re.search(r'name="cg_requested"[^>]*checked', html)
    assert f'value="{data["form_token"]}"' in html
    assert "invalid-feedback" not in html  # nothing was checked yet
    assert not Application.objects.exists() and not AuditEntry.objects.exists()
    # The next page stays in English.
    assert '<html lang="en">' in client.get(reverse("applications:new")).content.decode()


def test_an_unknown_language_changes_nothing(client, alice, form_data):
    client.force_login(alice)
    response = client.post(reverse("applications:new"), form_data(action="language", language="xx"))
    assert response.status_code == 200
    assert '<html lang="ja">' in response.content.decode()
    assert "django_language" not in response.cookies
    assert not Application.objects.exists()


def test_the_form_and_confirm_pages_are_never_stored(client, alice, returned):
    client.force_login(alice)
    draft = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    for url in [
        reverse("applications:new"),
        reverse("applications:edit", args=[returned.pk]),
        reverse("applications:copy", args=[returned.pk]),
        reverse("applications:confirm", args=[draft.pk]),
    ]:
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_the_confirm_page_of_a_sent_application_says_it_was_sent(client, alice):
    sent = ApplicationFactory(contractor=alice.contractor, created_by=alice, status="sent")
    client.force_login(alice)
    response = client.get(reverse("applications:confirm", args=[sent.pk]), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("applications:sent", args=[sent.pk])
    assert "この申込はすでに送信されています。" in html
    assert sent.number in html
    # So does sending it again from a stale page; it stays sent once.
    response = client.post(reverse("applications:submit", args=[sent.pk]), follow=True)
    assert "この申込はすでに送信されています。" in response.content.decode()
    assert not AuditEntry.objects.filter(action="application.sent").exists()


def test_drafts_in_the_list_show_when_they_were_made_and_their_works_name(client, alice):
    ApplicationFactory(contractor=alice.contractor, created_by=alice, works_name="")
    ApplicationFactory(contractor=alice.contractor, created_by=alice, works_name="市道の工事")
    client.force_login(alice)
    html = client.get(reverse("applications:dashboard")).content.decode()
    created = [
        f"(未送信) {timezone.localtime(a.created_at):%Y/%m/%d %H:%M}作成"
        for a in Application.objects.order_by("pk")
    ]
    assert all(f"{text}</a>" in html for text in created)
    assert "(工事名未入力)" in html and "市道の工事" in html


def test_the_help_page_explains_the_form_and_is_linked_from_the_header(client, alice, branch):
    alice.contractor.home_branch = branch
    alice.contractor.save()
    branch.phone = "027-252-1661"
    branch.save()
    client.force_login(alice)
    dashboard = client.get(reverse("applications:dashboard")).content.decode()
    assert re.search(
        r'<a [^>]*href="/help/"[^>]*><span aria-hidden="true">\?</span> 保証申込のヘルプ</a>',
        dashboard,
    )
    html = client.get(reverse("applications:help")).content.decode()
    for text in [
        "保証申込のヘルプ",
        "請負工事の情報",
        "前払金保証金額",
        "工事の前払金保証金額は、請負金額(今年度対象額を入力した場合は今年度対象額)の4割以下です。",
        "業務委託の前払金保証金額は、請負金額(今年度対象額を入力した場合は今年度対象額)の3割以下です。",
        "契約保証金額は、請負金額の1割以上、請負金額以下です。",
        "認証キーはメールでは送られません。",
        "御社の担当: 群馬支店",
        "027-252-1661",
    ]:
        assert text in html, text


def test_the_help_page_is_public_and_in_english_on_request(client):
    response = client.get(reverse("applications:help"))
    assert response.status_code == 200
    assert "電子保証と認証キー" in response.content.decode()
    client.cookies["django_language"] = "en"
    html = client.get(reverse("applications:help")).content.decode()
    assert "Help with applications" in html
    assert "Electronic guarantees and authentication keys" in html
    assert "電子保証と認証キー" not in html
