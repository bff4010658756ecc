import datetime

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from fees.demo import load_demo_fee_tables
from fees.models import FeeTable
from tests.factories import UserFactory

CHANGELIST = reverse("admin:fees_feetable_changelist")
ADD = reverse("admin:fees_feetable_add")


@pytest.fixture
def staff_client(client, db):
    """A superuser signed in to the admin with a second factor (the admin site requires it)."""
    user = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    device = StaticDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _post_data(*, tiers, factors) -> dict:
    data = {
        "kind": "contract",
        "effective_from": "2999-04-01",
        "minimum_fee": "5000",
        "note": "改定",
    }
    for prefix, rows, names in [
        ("tiers", tiers, ("upper_bound", "rate")),
        ("period_factors", factors, ("up_to_days", "factor")),
    ]:
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "1",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for i, row in enumerate(rows):
            data |= {f"{prefix}-{i}-{name}": value for name, value in zip(names, row, strict=True)}
    return data


TIERS = [("10000000", "0.0055"), ("", "0.0045")]
FACTORS = [("366", "1.0"), ("3653", "7.4")]


def test_the_changelist_shows_each_kind_and_the_table_in_force(staff_client):
    load_demo_fee_tables()
    FeeTable.objects.create(kind="advance", effective_from=datetime.date(2999, 4, 1), minimum_fee=1)

    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "保証料率表" in html and "現在適用中" in html
    assert "前払金保証" in html and "契約保証" in html
    in_force = {
        table.effective_from.year: table.in_force
        for table in response.context["cl"].result_list
        if table.kind == "advance"
    }
    assert in_force == {2022: True, 2999: False}


def test_the_add_and_change_pages_open(staff_client):
    table = load_demo_fee_tables()[0]

    add = staff_client.get(ADD)
    change = staff_client.get(reverse("admin:fees_feetable_change", args=[table.pk]))

    assert add.status_code == 200 and change.status_code == 200
    for text in ["適用開始日", "最低保証料(円)", "料率区分", "年料率", "期間係数"]:
        assert text in add.content.decode()
    assert "0.004500" in change.content.decode()


def test_a_new_table_is_saved_with_its_tiers_and_factors(staff_client):
    response = staff_client.post(ADD, _post_data(tiers=TIERS, factors=FACTORS))

    assert response.status_code == 302
    table = FeeTable.objects.get(kind="contract", effective_from=datetime.date(2999, 4, 1))
    assert [(t.upper_bound, str(t.rate)) for t in table.tiers.all()] == [
        (10_000_000, "0.005500"),
        (None, "0.004500"),
    ]
    assert table.period_factors.count() == 2


@pytest.mark.parametrize(
    ("tiers", "factors", "message"),
    [
        ([("10000000", "0.0055")], FACTORS, "上限なし"),
        (TIERS, [("366", "1.0"), ("3652", "7.4")], "3,653日(10年)"),
        (TIERS, [("366", "1.0"), ("3653", "0.9")], "小さくならない"),
        (TIERS, [("366", "1.0"), ("3653", "0")], "期間係数は0より大きい値にしてください。"),
        ([("10000000", "-0.001"), ("", "0.0045")], FACTORS, "年料率は0以上にしてください。"),
    ],
)
def test_an_incomplete_table_is_refused(staff_client, tiers, factors, message):
    response = staff_client.post(ADD, _post_data(tiers=tiers, factors=factors))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FeeTable.objects.filter(effective_from=datetime.date(2999, 4, 1)).exists()
