"""An obligee registered for no e-guarantee (高崎市): its pages say so first, and offer no form
it cannot use."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from guarantees.models import Receipt
from obligee_portal.rules import receives_electronic
from tests.factories import CertificateFactory, ElectronicObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME, RECEIVE = reverse("obligee_portal:home"), reverse("obligee_portal:receive")
FORMS = ['name="number"', 'name="key"', 'name="notices"', "data-nd-drop", ">受領する</button>"]


@pytest.fixture
def takasaki_client(client, takasaki):
    client.force_login(UserFactory(contractor=None, obligee=takasaki, full_name="高崎 一郎"))
    return client


@pytest.mark.parametrize("url", [HOME, RECEIVE])
def test_the_banner_comes_first_and_no_receiving_form_is_offered(takasaki_client, url):
    response = takasaki_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    banner = html.index('data-testid="not-receiving"')
    assert banner < html.index("</h1>") + 200  # right under the heading, not at the bottom
    assert "高崎市は電子保証を受領できません" in html
    assert "当社の営業部・支店へお申し出ください" in html  # whom to ask
    assert f'href="{reverse("obligees:list")}"' in html[banner:]
    for form in FORMS:
        assert form not in html, form
    assert "js/obligee_receive.js" not in html


def test_with_nothing_received_there_is_no_search_either(takasaki_client):
    html = takasaki_client.get(HOME).content.decode()
    assert 'data-testid="received-search"' not in html and "CSVで出力" not in html
    assert "受領した保証証書はまだありません。" in html


def test_an_obligee_no_longer_registered_still_finds_what_it_received(client, takasaki):
    """Receipts are never deleted: its records stay searchable, only the receiving goes."""
    user = UserFactory(contractor=None, obligee=takasaki)
    certificate = CertificateFactory(guarantee__application__obligee=takasaki)
    Receipt.objects.create(
        certificate=certificate, obligee=takasaki, received_by=user, received_at=timezone.now()
    )
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert 'data-testid="not-receiving"' in html
    assert 'data-testid="received-search"' in html and certificate.guarantee.number in html
    for form in FORMS:
        assert form not in html, form


def test_an_obligee_that_receives_gets_the_forms_and_no_banner(client, shibukawa):
    client.force_login(UserFactory(contractor=None, obligee=shibukawa))
    for url in (HOME, RECEIVE):
        html = client.get(url).content.decode()
        assert 'data-testid="not-receiving"' not in html
        for form in FORMS:
            assert form in html, (url, form)


def test_registered_from_a_later_date_receives_from_that_date():
    today = datetime.date(2026, 12, 7)
    later = ElectronicObligeeFactory.build(
        e_advance_since=today + datetime.timedelta(days=1), e_contract_since=None
    )
    assert not receives_electronic(later, today)
    assert receives_electronic(later, today + datetime.timedelta(days=1))
    one_kind = ElectronicObligeeFactory.build(e_advance_since=None, e_contract_since=today)
    assert receives_electronic(one_kind, today)
