"""Decisions and confirmations under concurrency, on PostgreSQL's row locks: parallel clicks of
one decision, or of the confirmation link, take effect exactly once."""

import pytest
from django.db import connection

from accounts.models import Contractor
from members.models import Invitation
from registrations import services
from registrations.models import Registration
from tests.processing.test_concurrency import run_together
from tests.registrations.test_admin import make_registration

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are exercised on PostgreSQL"
    ),
]


def test_parallel_approvals_make_one_company_and_one_invitation(gunma, gunma_staff):
    registration = make_registration(gunma)
    results = run_together(
        [
            lambda: services.registration_approve(registration_id=registration.pk, user=gunma_staff)
            for _ in range(4)
        ]
    )
    assert sum(isinstance(result, Registration) for result in results) == 1
    assert all(isinstance(result, Registration | services.StateError) for result in results), (
        results
    )
    assert Contractor.objects.count() == 1 and Invitation.objects.count() == 1


def test_approve_and_refuse_at_once_take_one_decision(gunma, gunma_staff, head_office_staff):
    registration = make_registration(gunma)
    results = run_together(
        [
            lambda: services.registration_approve(
                registration_id=registration.pk, user=gunma_staff
            ),
            lambda: services.registration_refuse(
                registration_id=registration.pk, user=head_office_staff, reason="重複のため"
            ),
        ]
    )
    assert sum(isinstance(result, Registration) for result in results) == 1, results
    registration.refresh_from_db()
    assert (registration.status == Registration.Status.APPROVED) == Contractor.objects.exists()


def test_parallel_confirmations_confirm_once(gunma):
    registration = make_registration(gunma, confirmed=False)
    results = run_together(
        [lambda: services.registration_confirm(token=registration.token) for _ in range(4)]
    )
    assert sum(isinstance(result, Registration) for result in results) == 1, results
