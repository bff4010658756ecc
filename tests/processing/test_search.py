"""The admin list's search by number: the whole number, its start, or the serial alone."""

import pytest
from django.urls import reverse

from applications.models import Application
from tests.accounts.otp import login_verified_staff
from tests.factories import GuaranteeFactory, make_sent_application

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:applications_application_changelist")


@pytest.fixture
def numbered(alice, gunma):
    """Two applications, each with a numbered guarantee: serial 000004 and 000040."""
    found = make_sent_application(alice, branch=gunma, works_name="四番の工事")
    other = make_sent_application(alice, branch=gunma, works_name="四十番の工事")
    Application.objects.filter(pk=found.pk).update(number="A2026-000123")
    Application.objects.filter(pk=other.pk).update(number="A2026-000124")
    GuaranteeFactory(application=found, kind="contract", status="approved", number="03-2026-000004")
    GuaranteeFactory(application=other, kind="contract", status="approved", number="03-2026-000040")
    return found, other


def _listed(client, query) -> tuple[bool, bool]:
    html = client.get(CHANGELIST, {"q": query}).content.decode()
    return "四番の工事" in html, "四十番の工事" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("000004", (True, False)),  # the guarantee's serial as printed
        ("０００００４", (True, False)),  # typed full width
        (" 000004 ", (True, False)),
        ("000123", (True, False)),  # the application's serial
        ("03-2026-000004", (True, False)),  # the whole number, a branch code of digits
        ("03-2026-00004", (False, True)),  # a start: 000040 begins so, 000004 does not
        ("03-2026-0000", (True, True)),
        ("000400", (False, False)),
        ("00004", (False, False)),  # five digits are no serial
    ],
)
def test_a_guarantee_is_found_by_its_serial_or_number(
    client, gunma_staff, numbered, query, expected
):
    login_verified_staff(client, gunma_staff)
    assert _listed(client, query) == expected


def test_the_serial_finds_no_other_branchs_application(client, gunma_staff, charlie, tochigi):
    login_verified_staff(client, gunma_staff)
    foreign = make_sent_application(charlie, branch=tochigi, works_name="栃木の工事")
    GuaranteeFactory(
        application=foreign, kind="contract", status="approved", number="TG-2026-000004"
    )
    assert "栃木の工事" not in client.get(CHANGELIST, {"q": "000004"}).content.decode()
