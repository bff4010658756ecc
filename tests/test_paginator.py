import pytest

from applications.models import Application
from core import paginator
from core.paginator import CappedCountPaginator
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_counts_exactly_up_to_the_limit_and_stops_there(monkeypatch):
    monkeypatch.setattr(paginator, "COUNT_LIMIT", 5)
    ApplicationFactory.create_batch(4)
    under = CappedCountPaginator(Application.objects.all(), 2)
    assert under.count == 4 and not under.capped
    ApplicationFactory.create_batch(3)
    pages = CappedCountPaginator(Application.objects.order_by("-id"), 2)
    assert pages.count == 5 and pages.num_pages == 3 and pages.capped
    assert len(pages.page(3).object_list) == 1


def test_the_admin_list_says_when_it_stopped_counting(client, monkeypatch):
    from tests.accounts.otp import login_verified_staff
    from tests.factories import UserFactory

    monkeypatch.setattr(paginator, "COUNT_LIMIT", 3)
    staff = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    login_verified_staff(client, staff)
    ApplicationFactory.create_batch(2, status="sent")
    url = "/admin/applications/application/"
    assert "2件" in client.get(url).content.decode()
    ApplicationFactory.create_batch(2, status="sent")
    assert "3件以上" in client.get(url).content.decode()


def test_the_dashboard_says_when_it_stopped_counting(client, monkeypatch):
    from tests.factories import UserFactory

    monkeypatch.setattr(paginator, "COUNT_LIMIT", 3)
    user = UserFactory()
    client.force_login(user)
    ApplicationFactory.create_batch(2, contractor=user.contractor, created_by=user)
    assert 'aria-live="polite">2件</p>' in client.get("/").content.decode()
    ApplicationFactory.create_batch(2, contractor=user.contractor, created_by=user)
    assert 'aria-live="polite">3件以上</p>' in client.get("/").content.decode()


def test_an_admin_search_stops_counting_sooner(client, monkeypatch):
    from tests.accounts.otp import login_verified_staff
    from tests.factories import UserFactory

    monkeypatch.setattr(paginator, "COUNT_LIMIT", 5)
    monkeypatch.setattr("applications.admin.SEARCH_COUNT_LIMIT", 2)
    staff = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    login_verified_staff(client, staff)
    ApplicationFactory.create_batch(3, status="sent", works_name="護岸工事")
    url = "/admin/applications/application/"
    listed = client.get(url).content.decode()
    assert "3件" in listed and "件以上" not in listed
    assert "2件以上" in client.get(url, {"q": "護岸"}).content.decode()
