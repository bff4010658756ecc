import pytest
from django.urls import reverse

from tests.accounts.otp import login_verified_staff
from tests.factories import ElectronicObligeeFactory, ObligeeFactory, UserFactory

URL = reverse("admin:obligees_obligee_changelist")


@pytest.fixture
def staff_client(client, db):
    login_verified_staff(client, UserFactory(contractor=None, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def registry(db):
    return (
        ElectronicObligeeFactory(code="102083", name="渋川市", kana="シブカワシ"),
        ObligeeFactory(code="102016", name="前橋市", kana="マエバシシ"),
    )


def _names(response) -> list[str]:
    return [obligee.name for obligee in response.context["cl"].result_list]


def test_it_lists_and_filters_by_electronic_acceptance(staff_client, registry):
    assert sorted(_names(staff_client.get(URL))) == ["前橋市", "渋川市"]
    assert _names(staff_client.get(URL, {"electronic": "yes"})) == ["渋川市"]
    assert _names(staff_client.get(URL, {"electronic": "no"})) == ["前橋市"]
    html = staff_client.get(URL).content.decode()
    assert "電子保証対応" in html


@pytest.mark.parametrize("term", ["102083", "渋川", "シブカワ", "しぶかわ"])
def test_it_searches_code_name_and_kana_also_in_hiragana(staff_client, registry, term):
    assert _names(staff_client.get(URL, {"q": term})) == ["渋川市"]


def test_the_change_form_opens(staff_client, registry):
    response = staff_client.get(reverse("admin:obligees_obligee_change", args=[registry[0].pk]))

    assert response.status_code == 200
    assert "団体コード" in response.content.decode()
