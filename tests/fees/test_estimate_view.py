import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fees.demo import load_demo_fee_tables
from tests.factories import ObligeeFactory, UserFactory

URL = reverse("fees:estimate")


@pytest.fixture
def demo_tables(db):
    return load_demo_fee_tables()


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def _query(today, **overrides) -> dict:
    """20,000,000円 for 120 days from a contract date ten days ahead."""
    contract_date = today + datetime.timedelta(days=10)
    query = {
        "kind": "advance",
        "amount": "20,000,000",
        "contract_date": contract_date.isoformat(),
        "period_end": (contract_date + datetime.timedelta(days=119)).isoformat(),
    }
    return {**query, **overrides}


def test_a_contractor_gets_the_fee_and_its_steps(client, alice, demo_tables, today):
    client.force_login(alice)

    response = client.get(URL, _query(today))

    assert response.status_code == 200
    data = response.json()
    # (10,000,000 × 0.45% + 10,000,000 × 0.35%) × 0.6 (≤ 184 days)
    assert data["fee"] == 48_000
    assert data["fee_display"] == "48,000円"
    assert data["estimate"] is True
    assert data["lines"][0] == "10,000,000円までの部分: 10,000,000円 × 年0.45% = 45,000円"
    assert (
        "10,000,000円を超え50,000,000円までの部分: 10,000,000円 × 年0.35% = 35,000円"
        in (data["lines"])
    )
    assert "基本保証料(年額): 80,000円" in data["lines"]
    assert any(line.startswith("保証期間: ") and line.endswith("(120日)") for line in data["lines"])
    assert "期間係数: 0.6(184日以下の期間)" in data["lines"]
    assert data["lines"][-1] == "保証料: 48,000円(非課税)"
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_contract_guarantee_uses_its_own_table(client, alice, demo_tables, today):
    client.force_login(alice)
    data = client.get(URL, _query(today, kind="contract")).json()
    # (10,000,000 × 0.55% + 10,000,000 × 0.45%) × 0.6
    assert data["fee"] == 60_000


def test_full_width_digits_and_slashes_are_accepted(client, alice, demo_tables, today):
    client.force_login(alice)
    query = _query(today)
    to_full = str.maketrans("0123456789,-", "０１２３４５６７８９，／")
    query = {key: value.translate(to_full) for key, value in query.items()}

    response = client.get(URL, {**query, "amount": "２０，０００，０００円"})

    assert response.status_code == 200
    assert response.json()["fee"] == 48_000


def test_the_period_starts_today_when_the_contract_date_has_passed(
    client, alice, demo_tables, today
):
    client.force_login(alice)
    query = _query(
        today,
        contract_date=(today - datetime.timedelta(days=30)).isoformat(),
        period_end=(today + datetime.timedelta(days=89)).isoformat(),
    )
    data = client.get(URL, query).json()
    assert any(line.endswith("(90日)") for line in data["lines"])
    assert data["fee"] == 28_000  # 80,000 × 0.35


def test_a_small_amount_gets_the_minimum_fee(client, alice, demo_tables, today):
    client.force_login(alice)
    data = client.get(URL, _query(today, amount="100000")).json()
    assert data["fee"] == 3_000
    assert "最低保証料: 3,000円(最低保証料を適用)" in data["lines"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "abc"}, "金額は数字で入力してください(例: 20,000,000)。"),
        ({"amount": ""}, "保証金額を入力してください。"),
        ({"amount": "0"}, "1円以上の金額を入力してください。"),
        ({"kind": "bond"}, "保証の種類が正しくありません。"),
        ({"contract_date": "2026-13-01"}, "契約日の日付が正しくありません。"),
        ({"period_end": ""}, "工期(至)を入力してください。"),
        ({"period_end": "2000-01-01", "contract_date": "2000-01-02"}, "工期(至)が契約日より前"),
        ({"period_end": "2000-01-31", "contract_date": "2000-01-02"}, "工期(至)が過ぎている"),
    ],
)
def test_bad_input_gets_400_with_a_japanese_message(
    client, alice, demo_tables, today, overrides, message
):
    client.force_login(alice)

    response = client.get(URL, _query(today, **overrides))

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert "fee" not in response.json()


def test_a_period_beyond_the_table_gets_400(client, alice, demo_tables, today):
    client.force_login(alice)
    query = _query(today, period_end=(today + datetime.timedelta(days=3700)).isoformat())
    response = client.get(URL, query)
    assert response.status_code == 400
    assert "期間係数の範囲を超えています" in response.json()["error"]


def test_without_a_table_the_estimate_says_so(client, alice, today):
    client.force_login(alice)
    response = client.get(URL, _query(today))
    assert response.status_code == 400
    assert "保証料率表がありません" in response.json()["error"]


def test_anonymous_users_are_sent_to_sign_in(client, demo_tables, today):
    response = client.get(URL, _query(today))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: UserFactory(contractor=None, obligee=ObligeeFactory()),
        lambda: UserFactory(contractor=None, is_staff=True),
    ],
    ids=["obligee", "staff"],
)
def test_other_personas_get_403(client, demo_tables, today, make_user):
    client.force_login(make_user())

    response = client.get(URL, _query(today))

    assert response.status_code == 403
    assert response.json() == {"error": "この機能は請負者の方専用です。"}


def test_only_get_is_allowed(client, alice, demo_tables, today):
    client.force_login(alice)
    assert client.post(URL, _query(today)).status_code == 405
