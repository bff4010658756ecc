"""Input that used to give a server error: each answer is now a Japanese message on the field,
with everything typed kept."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from fees.demo import load_demo_fee_tables
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW = reverse("applications:new")


@pytest.fixture
def fee_tables(db):
    load_demo_fee_tables()


def _errors(response) -> dict:
    return response.context["form"].errors


def day(offset: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


# Amounts -------------------------------------------------------------------------------------


def _not_saved(field: str, action: str) -> None:
    """確認へ進む saves nothing; 下書き保存 saves the draft without the field that did not read."""
    if action == "confirm":
        assert not Application.objects.exists()
        return
    application = Application.objects.get()
    if field.startswith(("ag_", "cg_")):
        kind = "advance" if field.startswith("ag_") else "contract"
        value = getattr(application.guarantees.get(kind=kind), field[3:])
    else:
        value = getattr(application, field)
    assert value in (None, "")


@pytest.mark.parametrize("action", ["confirm", "draft"])
@pytest.mark.parametrize(
    "field, value",
    [
        ("contract_amount", "100000000000000000000"),
        ("contract_amount", "9223372036854775808"),
        ("contract_amount", "1" * 5000),  # longer than Python converts to int by default
        ("ag_amount", "1e20"),
        ("ag_amount", "1000000000000"),  # 1兆円
        ("cg_amount", "１，０００，０００，０００，０００"),
    ],
)
def test_an_absurd_amount_is_a_field_error_and_is_not_saved(
    signed_in, form_data, field, value, action
):
    data = form_data(action=action, cg_requested="on", **{field: value})
    response = signed_in.post(NEW, data)

    assert response.status_code == 200
    message = _errors(response)[field][0]
    assert message in (
        "金額は1兆円未満で入力してください。",
        "金額は数字で入力してください(例: 20,000,000)。",
    )
    _not_saved(field, action)
    html = response.content.decode()
    assert "市道1号線道路改良工事" in html  # what was typed is still there


def test_just_under_one_trillion_yen_is_accepted_as_a_number(signed_in, form_data):
    response = signed_in.post(NEW, form_data(action="draft", contract_amount="999,999,999,999"))
    assert response.status_code == 302
    assert Application.objects.get().contract_amount == 999_999_999_999


def test_the_fee_estimate_refuses_the_same_amounts(signed_in, fee_tables):
    query = {
        "kind": "advance",
        "amount": "100000000000000000000",
        "contract_date": day(0),
        "period_end": day(100),
    }
    response = signed_in.get(reverse("fees:estimate"), query)
    assert response.status_code == 400
    assert response.json() == {"error": "金額は1兆円未満で入力してください。"}


# Fees that cannot be computed are refused when sending -----------------------------------------


def test_a_works_period_already_over_cannot_be_sent(signed_in, form_data, fee_tables):
    data = form_data(contract_date=day(-240), period_start=day(-240), period_end=day(-2))
    response = signed_in.post(NEW, data)

    assert response.status_code == 200
    assert _errors(response)["period_end"] == [
        "工期(至)が過ぎているため、保証を申し込めません。工期をご確認ください。"
    ]
    assert not Application.objects.exists()


def test_a_period_longer_than_any_rate_table_covers_cannot_be_sent(
    signed_in, form_data, fee_tables
):
    # 3,654 days from today, both ends counted; still within the ten years a date may be ahead.
    response = signed_in.post(NEW, form_data(period_end=day(3653)))

    assert response.status_code == 200
    (message,) = _errors(response)["period_end"]
    assert "保証期間" in message and "3,653日までです" in message
    assert not Application.objects.exists()


def test_the_longest_period_a_table_covers_can_be_sent(signed_in, form_data, fee_tables):
    response = signed_in.post(NEW, form_data(period_end=day(3652)))
    assert response.status_code == 302
    assert Application.objects.get().period_end.isoformat() == day(3652)


def test_a_draft_with_an_ended_period_can_still_be_saved(signed_in, form_data, fee_tables):
    """A draft is unfinished work: the rule applies when it is sent."""
    data = form_data(
        action="draft", contract_date=day(-90), period_start=day(-90), period_end=day(-1)
    )
    assert signed_in.post(NEW, data).status_code == 302
    application = Application.objects.get()
    confirm = signed_in.get(reverse("applications:confirm", args=[application.pk]))
    assert "工期(至)が過ぎているため" in confirm.content.decode()
    signed_in.post(reverse("applications:submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


# Tokens of another company ---------------------------------------------------------------------


def test_another_companys_form_token_is_just_an_unknown_token(client, alice, charlie, form_data):
    client.force_login(alice)
    data = form_data(action="draft")
    client.post(NEW, data)
    alices = Application.objects.get()

    client.force_login(charlie)
    response = client.post(NEW, {**data, "works_name": "△△の工事"})

    assert response.status_code == 302
    charlies = Application.objects.exclude(pk=alices.pk).get()
    assert charlies.contractor == charlie.contractor and charlies.works_name == "△△の工事"
    alices.refresh_from_db()
    assert alices.works_name == "市道1号線道路改良工事"  # untouched
    assert response["Location"] == reverse("applications:edit", args=[charlies.pk])


def test_a_colleague_posting_the_same_form_updates_the_same_draft(client, alice, form_data):
    bob = UserFactory(contractor=alice.contractor)
    data = form_data(action="draft")
    client.force_login(alice)
    client.post(NEW, data)
    client.force_login(bob)
    client.post(NEW, {**data, "works_name": "修正後の工事名"})
    assert Application.objects.get().works_name == "修正後の工事名"


# Text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["works_name", "works_place", "contact_person", "ag_deposit_bank", "message_to_company"],
)
@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_text_direction_controls_are_refused(signed_in, form_data, field, control):
    response = signed_in.post(NEW, form_data(action="draft", **{field: f"工事{control}gpj.exe"}))
    assert response.status_code == 200
    assert "表示の向きを変える制御文字" in _errors(response)[field][0]
    _not_saved(field, "draft")


def test_the_message_to_the_company_has_a_length_limit(signed_in, form_data):
    response = signed_in.post(NEW, form_data(action="draft", message_to_company="あ" * 300_000))
    assert response.status_code == 200
    assert "2000" in _errors(response)["message_to_company"][0]
    _not_saved("message_to_company", "draft")
    ok = signed_in.post(NEW, form_data(action="draft", message_to_company="あ" * 2000))
    assert ok.status_code == 302
    assert Application.objects.filter(message_to_company="あ" * 2000).count() == 1
