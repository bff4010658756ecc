"""Sending and approval with the clock set: the day before and the day the fiscal year (年度)
changes, and two years from now. Numbers follow the fiscal year; the demo-like data stays valid."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application
from core.sequences import fiscal_year
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _moments() -> list[tuple[str, datetime.datetime]]:
    # The coming 31 March and 1 April (the fiscal year's last and first day), late and early in
    # the day in Tokyo, where the date differs from UTC's.
    year = fiscal_year(datetime.datetime.now(TOKYO).date()) + 1
    return [
        ("31 March", datetime.datetime(year, 3, 31, 23, 30, tzinfo=TOKYO)),
        ("1 April", datetime.datetime(year, 4, 1, 0, 30, tzinfo=TOKYO)),
        ("in two years", datetime.datetime.now(TOKYO) + datetime.timedelta(days=730)),
    ]


@pytest.fixture
def staff(db):
    from django.contrib.auth.models import Permission

    user = UserFactory(
        email="staff@example.jp", contractor=None, is_staff=True, branch=BranchFactory(code="GM")
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_application", "change_application"])
    )
    return user


@pytest.mark.parametrize("moment", [m for _name, m in _moments()], ids=[n for n, _m in _moments()])
def test_send_and_approve_on_the_day(client, alice, form_data, staff, moment):
    from fees.demo import load_demo_fee_tables

    with time_machine.travel(moment, tick=False):
        today = timezone.localdate()
        assert today == moment.date()
        load_demo_fee_tables()
        client.force_login(alice)
        # form_data's dates are computed inside the travel: relative to the day being tested.
        data = form_data(branch=staff.branch.pk)
        response = client.post(reverse("applications:new"), data)
        application = Application.objects.get()
        assert response["Location"] == reverse("applications:confirm", args=[application.pk])
        client.post(reverse("applications:submit", args=[application.pk]))
        application.refresh_from_db()
        year = fiscal_year(today)
        assert application.status == Application.Status.SENT
        assert application.number == f"A{year}-000001"

        services.application_accept(application_id=application.pk, user=staff)
        guarantee = application.guarantees.get()
        guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)
        guarantee.refresh_from_db()
        assert guarantee.status == Guarantee.Status.APPROVED
        assert guarantee.number == f"GM-{year}-000001"
        assert guarantee.fee > 0
        assert guarantee.fee_breakdown["computed_on"] == today.isoformat()
        assert guarantee.fee_breakdown["period_start"] == today.isoformat()
