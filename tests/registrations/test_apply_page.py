"""利用申込: the public form, every refusal in words, and the same answer for any address."""

import pytest
from django.urls import reverse

from accounts.models import User
from notifications.models import OutboxMessage
from registrations.models import Registration
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db

APPLY = "/registrations/"


def errors_of(response):
    return response.context["form"].errors


def test_the_login_page_links_to_the_form(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("registrations:apply") in page
    assert "利用申込" in page


def test_the_form_speaks_the_portal_words(client, gunma):
    page = client.get(APPLY).content.decode()
    for words in ["商号", "法人番号", "建設業許可番号", "担当営業部・支店", "担当部署", "担当者名",
                  "連絡先電話番号", "メールアドレス", "群馬支店", "24時間"]:  # fmt: skip
        assert words in page


def test_a_valid_form_records_an_unconfirmed_registration_and_mails_the_link(
    client, registration_data
):
    response = client.post(APPLY, registration_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("registrations:sent")
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.UNCONFIRMED
    assert registration.permit_display == "群馬県知事 許可(般)第012345号"
    message = OutboxMessage.objects.get()
    assert message.recipient == "jiro@hishi-doboku.example.jp"
    assert "/registrations/confirm/" in message.body_text
    # Only the digest of the token is stored.
    assert registration.token_digest not in message.body_text
    page = client.get(response["Location"]).content.decode()
    assert "jiro@hishi-doboku.example.jp" in page and "24時間" in page


def test_full_width_and_half_width_input_is_normalised(client, registration_data):
    client.post(
        APPLY,
        registration_data(
            company_name="ﾋｼﾋｼ土木 株式会社",
            company_kana="ひしひしどぼく",
            corporate_number="７０００－０１２０－５０００２",
            permit_number="第０１２３４５号",
            applicant_phone="０２７９ー２２ー２１１１",
            applicant_email="Jiro@Hishi-Doboku.EXAMPLE.jp",
            applicant_name="\u3000菱田 次郎 ",
        ),
    )
    registration = Registration.objects.get()
    assert registration.company_name == "ヒシヒシ土木 株式会社"
    assert registration.company_kana == "ヒシヒシドボク"
    assert registration.corporate_number == "7000012050002"
    assert registration.permit_number == 12345
    assert registration.applicant_phone == "0279-22-2111"
    assert registration.applicant_email == "jiro@hishi-doboku.example.jp"
    assert registration.applicant_name == "菱田 次郎"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("corporate_number", "6000012050002", "検査用数字"),
        ("corporate_number", "700001205000", "13桁の数字"),
        ("corporate_number", "７０００一二０５０００２", "13桁の数字"),
        ("company_kana", "菱菱土木", "カタカナ"),
        ("permit_number", "1234567", "6桁以内"),
        ("permit_number", "0", "6桁以内"),
        ("permit_number", "abc", "6桁以内"),
        ("applicant_phone", "12345", "市外局番"),
        ("applicant_email", "not-an-address", "メールアドレスの形式"),
        ("company_name", "", "必須"),
        ("branch", "999999", "選択"),
        ("permit_authority", "emperor", "選択"),
        ("company_name", "◇◇土木\u202e株式会社", "制御文字"),
    ],
)
def test_every_refusal_has_its_words(client, registration_data, field, value, words):
    response = client.post(APPLY, registration_data(**{field: value}))
    assert response.status_code == 200
    assert words in " ".join(errors_of(response)[field])
    assert not Registration.objects.exists() and not OutboxMessage.objects.exists()


def test_a_wrong_check_digit_has_a_message_of_its_own(client, registration_data):
    wrong = errors_of(client.post(APPLY, registration_data(corporate_number="1000012050002")))
    short = errors_of(client.post(APPLY, registration_data(corporate_number="1")))
    assert list(wrong["corporate_number"]) != list(short["corporate_number"])
    assert "法人番号公表サイト" in wrong["corporate_number"][0]


def test_a_governor_permit_names_its_prefecture(client, registration_data):
    response = client.post(APPLY, registration_data(permit_prefecture=""))
    assert "都道府県を選んで" in errors_of(response)["permit_prefecture"][0]


def test_the_minister_permit_keeps_no_prefecture(client, registration_data):
    client.post(APPLY, registration_data(permit_authority="minister", permit_kind="special"))
    registration = Registration.objects.get()
    assert registration.permit_prefecture == ""
    assert registration.permit_display == "国土交通大臣 許可(特)第012345号"


def test_an_inactive_branch_is_not_offered(client, registration_data):
    closed = BranchFactory(code="XX", name="閉鎖支店", is_active=False)
    assert "閉鎖支店" not in client.get(APPLY).content.decode()
    response = client.post(APPLY, registration_data(branch=str(closed.pk)))
    assert "branch" in errors_of(response)


@pytest.mark.parametrize(
    "value",
    ["菱田\x00次郎", "あ" * 100_000],
)
def test_nul_and_huge_strings_are_refused_in_words(client, registration_data, value):
    data = registration_data(
        company_name=value, applicant_name=value, address=value, corporate_number=value
    )
    response = client.post(APPLY, data)
    assert response.status_code == 200
    errors = errors_of(response)
    assert {"company_name", "applicant_name", "address", "corporate_number"} <= set(errors)
    assert not Registration.objects.exists()


def test_a_known_address_gets_the_same_answer_and_a_mail_saying_so(client, registration_data):
    UserFactory(email="jiro@hishi-doboku.example.jp")
    known = client.post(APPLY, registration_data())
    unknown = client.post(APPLY, registration_data(applicant_email="new@hishi.example.jp"))
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # Nothing recorded for the known address; a mail tells its owner to sign in instead.
    assert list(Registration.objects.values_list("applicant_email", flat=True)) == [
        "new@hishi.example.jp"
    ]
    mail = OutboxMessage.objects.get(recipient="jiro@hishi-doboku.example.jp")
    assert "すでにネットデスクに登録されている" in mail.body_text
    assert "/registrations/confirm/" not in mail.body_text
    assert User.objects.count() == 1


def test_a_known_company_gets_the_same_answer(client, registration_data):
    from tests.factories import ContractorFactory

    ContractorFactory(corporate_number="7000012050002")
    response = client.post(APPLY, registration_data())
    assert response.status_code == 302 and response["Location"] == reverse("registrations:sent")
    assert Registration.objects.get().status == Registration.Status.UNCONFIRMED


def test_applications_are_limited_per_address(client, registration_data, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration-address": (2, 3600)}
    for _ in range(2):
        assert client.post(APPLY, registration_data()).status_code == 302
    response = client.post(APPLY, registration_data())
    assert response.status_code == 429
    assert "しばらく受け付けを停止" in response.content.decode()
    assert Registration.objects.count() == 2
    # Another address from the same place is still taken.
    assert (
        client.post(APPLY, registration_data(applicant_email="b@x.example.jp")).status_code == 302
    )


def test_applications_are_limited_per_ip_address(client, registration_data, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration-ip": (2, 3600)}
    for n in range(2):
        data = registration_data(applicant_email=f"a{n}@x.example.jp")
        assert client.post(APPLY, data).status_code == 302
    response = client.post(APPLY, registration_data(applicant_email="a9@x.example.jp"))
    assert response.status_code == 429
    assert Registration.objects.count() == 2


def test_the_limit_answers_alike_for_a_known_address(client, registration_data, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration-address": (1, 3600)}
    UserFactory(email="jiro@hishi-doboku.example.jp")
    assert client.post(APPLY, registration_data()).status_code == 302
    assert client.post(APPLY, registration_data()).status_code == 429
