"""承諾 when the fee cannot be computed: a message for the branch, never a server error, and
nothing assigned (no guarantee number used up, no e-mail)."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.groups import BRANCH_STAFF, ensure_staff_groups
from applications import services
from core.errors import ServiceError
from core.models import Sequence
from fees.models import FeeTable
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from notifications.models import OutboxMessage
from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewing(staff, sent_application, fee_tables):
    services.application_accept(application_id=sent_application.pk, user=staff)
    return sent_application


def _nothing_assigned(application):
    advance = application.guarantees.get(kind="advance")
    assert advance.status == Guarantee.Status.REVIEWING
    assert advance.number is None and advance.fee is None
    assert not Sequence.objects.filter(name__startswith="guarantee:").exclude(last_value=0).exists()
    assert not OutboxMessage.objects.filter(template="guarantee_approved").exists()


def test_a_period_that_ended_while_in_review_is_refused_with_a_message(staff, reviewing):
    advance = reviewing.guarantees.get(kind="advance")
    after_the_works = reviewing.period_end + datetime.timedelta(days=3)
    with time_machine.travel(after_the_works), pytest.raises(ServiceError) as refused:
        guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    assert refused.value.code == "fee"
    assert "保証料を計算できないため承諾できません" in refused.value.messages[0]
    _nothing_assigned(reviewing)


def test_no_rate_table_in_force_is_refused_with_a_message(staff, reviewing):
    FeeTable.objects.filter(kind="advance").update(
        effective_from=timezone.localdate() + datetime.timedelta(days=30)
    )
    advance = reviewing.guarantees.get(kind="advance")
    with pytest.raises(ValidationError) as refused:
        guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    assert "保証料率表がありません" in refused.value.messages[0]
    _nothing_assigned(reviewing)


def test_the_admin_shows_the_reason_instead_of_a_server_error(client, gunma, reviewing):
    ensure_staff_groups()
    clerk = UserFactory(email="gm2@example.jp", contractor=None, is_staff=True, branch=gunma)
    clerk.groups.add(Group.objects.get(name=BRANCH_STAFF))
    login_verified_staff(client, clerk)
    type(reviewing).objects.filter(pk=reviewing.pk).update(
        period_end=timezone.localdate() + datetime.timedelta(days=5000)
    )
    advance = reviewing.guarantees.get(kind="advance")
    url = reverse("admin:applications_application_approve", args=[reviewing.pk, advance.pk])

    response = client.post(url, follow=True)

    assert response.status_code == 200
    assert "保証料を計算できないため承諾できません" in response.content.decode()
    assert "期間係数の範囲を超えています" in response.content.decode()
    _nothing_assigned(reviewing)
