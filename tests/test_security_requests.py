"""A control character in a query string is refused with the Japanese 400 page, never a 500 (a NUL
byte reached PostgreSQL from every free-text search)."""

import pytest
from django.urls import reverse

from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BAD_REQUEST = "リクエストを処理できません"


@pytest.fixture
def staff_client(client, db):
    login_verified_staff(
        client,
        UserFactory(email="su@example.jp", contractor=None, is_staff=True, is_superuser=True),
    )
    return client


def assert_refused(response):
    html = response.content.decode()
    assert response.status_code == 400
    assert BAD_REQUEST in html and '<html lang="ja">' in html


def test_the_dashboard_search_refuses_a_nul_byte(client, alice):
    client.force_login(alice)
    assert client.get("/", {"q": "市道"}).status_code == 200

    assert_refused(client.get("/?q=%00"))
    assert_refused(client.get("/?q=%E5%B8%82%00%E9%81%93"))  # hidden inside a word


def test_the_public_obligee_list_refuses_a_nul_byte(client, db):
    assert client.get(reverse("obligees:list"), {"q": "渋川"}).status_code == 200

    assert_refused(client.get(reverse("obligees:list") + "?q=%00"))


@pytest.mark.parametrize("parameter", ["q", "obligee"])
def test_the_admin_application_list_refuses_a_nul_byte(staff_client, parameter):
    changelist = reverse("admin:applications_application_changelist")
    assert staff_client.get(changelist, {parameter: "渋川"}).status_code == 200

    assert_refused(staff_client.get(f"{changelist}?{parameter}=%00"))


def test_the_admin_autocomplete_refuses_a_nul_byte(staff_client):
    autocomplete = reverse("admin:autocomplete")
    params = "app_label=accounts&model_name=user&field_name=contractor"
    assert staff_client.get(f"{autocomplete}?{params}&term=abc").json() == {
        "results": [],
        "pagination": {"more": False},
    }

    assert_refused(staff_client.get(f"{autocomplete}?{params}&term=%00"))


@pytest.mark.parametrize("query", ["q=%01", "q=%1B%5B31m", "q%00=1"])
def test_other_control_characters_are_refused(client, db, query):
    assert_refused(client.get(f"{reverse('obligees:list')}?{query}"))


def test_pasted_whitespace_and_delete_are_ordinary_text(client, db):
    response = client.get(f"{reverse('obligees:list')}?q=%E6%B8%8B%09%E5%B7%9D%7F")
    assert response.status_code == 200 and "電子保証対応の発注者" in response.content.decode()
