"""Every URL that takes an id, for every persona: only the owner's company gets through."""

import uuid

import pytest
from django.urls import reverse

from applications.models import Application
from tests.factories import ApplicationFactory, GuaranteeFactory, ObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db

ID_URLS = [
    ("get", "applications:detail"),
    ("get", "applications:edit"),
    ("post", "applications:edit"),
    ("get", "applications:confirm"),
    ("post", "applications:submit"),
    ("get", "applications:sent"),
    ("post", "applications:copy"),
    ("post", "applications:withdraw"),
    ("post", "applications:delete"),
]


@pytest.fixture(params=["draft", "sent"])
def alices_application(request, alice):
    application = ApplicationFactory(
        contractor=alice.contractor, created_by=alice, status=request.param
    )
    GuaranteeFactory(application=application)
    return application


@pytest.mark.parametrize(("method", "name"), ID_URLS)
def test_another_company_gets_404_and_changes_nothing(
    client, charlie, alices_application, method, name
):
    client.force_login(charlie)
    url = reverse(name, args=[alices_application.pk])
    response = getattr(client, method)(url, {"form_token": str(uuid.uuid4())})
    assert response.status_code == 404
    after = Application.objects.get(pk=alices_application.pk)
    assert (after.status, after.works_name) == (
        alices_application.status,
        alices_application.works_name,
    )
    assert Application.objects.count() == 1


@pytest.mark.parametrize("name", [name for method, name in ID_URLS if method == "get"])
def test_a_colleague_of_the_same_company_gets_through(client, bob, alices_application, name):
    client.force_login(bob)
    response = client.get(reverse(name, args=[alices_application.pk]))
    # A page, or a redirect to the page that fits the application's status.
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert f"/applications/{alices_application.pk}/" in response["Location"]


@pytest.mark.parametrize(("method", "name"), ID_URLS)
def test_anonymous_users_are_sent_to_sign_in(client, alices_application, method, name):
    response = getattr(client, method)(reverse(name, args=[alices_application.pk]))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))


def test_obligee_users_cannot_use_contractor_pages(client, alices_application):
    obligee_user = UserFactory(contractor=None, obligee=ObligeeFactory(name="渋川市"))
    client.force_login(obligee_user)
    home = client.get(reverse("applications:dashboard"), follow=True)
    assert home.status_code == 200 and "受領した保証証書" in home.content.decode()
    assert client.get(reverse("applications:new")).status_code == 403
    response = client.get(reverse("applications:detail", args=[alices_application.pk]))
    assert response.status_code == 403
    assert "この画面は請負者の方専用です" in response.content.decode()


def test_staff_are_sent_to_the_admin(client, alices_application):
    staff = UserFactory(contractor=None, is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("applications:detail", args=[alices_application.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_public_pages_need_no_sign_in(client):
    assert client.get(reverse("obligees:list")).status_code == 200
    assert client.get(reverse("accounts:login")).status_code == 200
    assert client.get(reverse("accounts:password_reset")).status_code == 200
