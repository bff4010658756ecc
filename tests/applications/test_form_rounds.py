"""申込作成: every error in one round, 下書き保存 of what reads, and dates typed in 和暦."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from guarantees.models import Guarantee
from tests.applications.test_hostile_input import NEW, _errors
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

# Every error at once ---------------------------------------------------------------------------


def test_the_first_confirm_lists_field_and_rule_errors_together(signed_in, form_data):
    data = form_data(
        contact_phone="027-252",  # malformed
        ag_amount="20,000,001",  # over the 40% cap
        cg_requested="on",
        cg_amount="1,000,000",  # under the 10% minimum
        notify_issuance="1",
        notify_email="",  # 希望する without an address
    )
    response = signed_in.post(NEW, data)

    assert response.status_code == 200
    errors = _errors(response)
    assert set(errors) == {"contact_phone", "ag_amount", "cg_amount", "notify_email"}
    assert "10桁または11桁" in errors["contact_phone"][0]
    assert errors["ag_amount"] == [
        "前払金保証金額は請負金額の4割(20,000,000円)以下にしてください。"
    ]
    assert errors["cg_amount"] == ["契約保証金額は請負金額の1割(5,000,000円)以上にしてください。"]
    assert errors["notify_email"] == ["「希望する」場合はメールアドレスを入力してください。"]
    summary = response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    for anchor in ("#id_contact_phone", "#id_ag_amount", "#id_cg_amount", "#id_notify_email"):
        assert anchor in summary
    assert not Application.objects.exists()


def test_a_rule_worked_out_from_a_malformed_field_waits_for_it(signed_in, form_data):
    """A malformed 今年度対象額 is its own error: the cap is not checked against the 請負金額
    instead, which the user did not mean."""
    data = form_data(this_year_amount="二千万", ag_amount="20,000,001")
    errors = _errors(signed_in.post(NEW, data))
    assert set(errors) == {"this_year_amount"}


# 下書き保存 mid-way ------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.UTC))
def test_a_draft_saves_what_reads_and_keeps_the_rest_as_typed(signed_in, form_data, alice):
    data = form_data(
        action="draft",
        contact_phone="027-252",
        contract_date="令和8年13月1日",
        ag_amount="二千万",
        works_name="市道2号線改良工事",
    )
    response = signed_in.post(NEW, data)

    assert response.status_code == 200
    application = Application.objects.get()
    assert application.status == Application.Status.DRAFT
    assert application.works_name == "市道2号線改良工事"
    assert application.contract_amount == 50_000_000
    assert application.contact_phone == "" and application.contract_date is None
    assert application.guarantees.get().amount is None
    html = response.content.decode()
    assert "下書きを保存しました。ただし、次の項目は保存されていません。" in html
    assert "保存されていない項目: 契約日、前払金保証金額、連絡先電話番号" in html
    # What did not read is still in the form, as typed, with its error.
    assert 'value="027-252"' in html and 'value="令和8年13月1日"' in html
    assert 'value="二千万"' in html
    assert "2026年13月1日という日付はありません。" in html

    # Saving again from the same page updates the same draft.
    fixed = {
        **data,
        "contact_phone": "027-252-1661",
        "contract_date": "R8.12.1",
        "ag_amount": "20,000,000",
    }
    again = signed_in.post(NEW, fixed)
    assert again.status_code == 302
    application = Application.objects.get()
    assert again["Location"] == reverse("applications:edit", args=[application.pk])
    assert application.contact_phone == "027-252-1661"
    assert application.contract_date == datetime.date(2026, 12, 1)
    assert application.guarantees.get().amount == 20_000_000


def test_a_draft_of_an_existing_application_keeps_what_it_had_for_a_malformed_field(
    signed_in, alice
):
    application = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    url = reverse("applications:edit", args=[application.pk])
    data = {
        "form_token": str(application.form_token),
        "action": "draft",
        "works_name": "変更後の工事名",
        "contract_amount": "五千万",
        "contact_phone": "027-252-1661",
    }
    response = signed_in.post(url, data)

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.works_name == "変更後の工事名"
    assert application.contract_amount == 50_000_000  # kept, not emptied
    assert "保存されていない項目: 請負金額(税込)" in response.content.decode()


# Dates in 和暦 and their range ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["令和8年12月1日", "R8.12.1", "８/１２/１", "２０２６年１２月１日", "2026/12/1"]
)
def test_a_date_may_be_typed_in_wareki_or_seireki(signed_in, form_data, typed):
    with time_machine.travel(datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.UTC)):
        response = signed_in.post(NEW, form_data(action="draft", contract_date=typed))
    assert response.status_code == 302
    assert Application.objects.get().contract_date == datetime.date(2026, 12, 1)


def test_a_year_typed_without_an_era_is_read_in_the_era_chosen(signed_in, form_data):
    data = form_data(action="draft", period_start="30/4/1", period_start_era="平成")
    assert signed_in.post(NEW, data).status_code == 302
    assert Application.objects.get().period_start == datetime.date(2018, 4, 1)


def test_the_form_shows_the_wareki_beside_each_date_and_an_era_chooser(signed_in, alice):
    application = ApplicationFactory(
        contractor=alice.contractor, created_by=alice, contract_date=datetime.date(2019, 5, 1)
    )
    html = signed_in.get(reverse("applications:edit", args=[application.pk])).content.decode()
    assert 'value="2019-05-01"' in html
    assert "令和元年5月1日(2019年5月1日)" in html
    assert 'name="contract_date_era"' in html and 'name="period_end_era"' in html
    assert 'data-min="1989-01-08"' in html


@pytest.mark.parametrize("action", ["confirm", "draft"])
@pytest.mark.parametrize("typed", ["0001-01-01", "1989-01-07", "+3654"])
def test_a_date_no_contract_could_state_is_refused_on_the_form(signed_in, form_data, action, typed):
    if typed.startswith("+"):
        typed = (timezone.localdate() + datetime.timedelta(days=int(typed))).isoformat()
    response = signed_in.post(NEW, form_data(action=action, period_start=typed))

    assert response.status_code == 200
    (message,) = _errors(response)["period_start"]
    assert message.startswith("平成元年1月8日(1989-01-08)から")
    assert Application.objects.filter(period_start__isnull=False).count() == 0
    assert f'value="{typed}"' in response.content.decode()


def test_hostile_dates_are_field_errors(signed_in, form_data):
    for typed in ["9" * 5000, "R99999.1.1", "2026-12-01\x00", "令和", "--"]:
        response = signed_in.post(NEW, form_data(action="draft", contract_date=typed))
        assert response.status_code in (200, 400)
    assert not Application.objects.filter(contract_date__isnull=False).exists()


def test_the_date_reading_answers_what_the_form_will_read(client):
    url = reverse("date_reading")
    assert client.get(url, {"text": "R8.12.1"}).json() == {
        "date": "2026-12-01",
        "text": "令和8年12月1日(2026年12月1日)",
        "error": "",
    }
    assert client.get(url, {"text": "30/4/1", "era": "平成"}).json()["date"] == "2018-04-01"
    refused = client.get(url, {"text": "平成32年1月1日"}).json()
    assert refused["date"] == "" and "平成32年1月1日は存在しません" in refused["error"]
    assert client.get(url, {"text": "x" * 100_000}).json()["error"] == "日付として読み取れません。"
    assert client.get(url).json() == {"date": "", "text": "", "error": ""}


def test_guarantee_kinds_are_unchanged_by_a_partial_draft(signed_in, form_data):
    """A kind requested with a malformed amount is still requested: the draft keeps the kind."""
    data = form_data(action="draft", cg_requested="on", cg_amount="abc")
    signed_in.post(NEW, data)
    kinds = set(Guarantee.objects.values_list("kind", flat=True))
    assert kinds == {"advance", "contract"}
