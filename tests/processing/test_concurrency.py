"""Guarantee numbers and approvals under concurrency, on PostgreSQL's row locks."""

import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applications.models import Application
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from tests.factories import ApplicationFactory, GuaranteeFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are exercised on PostgreSQL"
    ),
]


def run_together(calls):
    """Start all calls at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def reviewing_guarantees(alice, branch, count):
    guarantees = []
    for _ in range(count):
        application = ApplicationFactory(
            contractor=alice.contractor,
            created_by=alice,
            branch=branch,
            status=Application.Status.REVIEWING,
        )
        guarantees.append(GuaranteeFactory(application=application, status="reviewing"))
    return guarantees


def test_parallel_approvals_get_distinct_gap_free_numbers(alice, staff, gunma, fee_tables):
    guarantees = reviewing_guarantees(alice, gunma, 12)
    results = run_together(
        [
            lambda g=g: guarantee_services.guarantee_approve(guarantee_id=g.pk, user=staff)
            for g in guarantees
        ]
    )
    assert all(isinstance(r, Guarantee) for r in results), results
    numbers = sorted(Guarantee.objects.values_list("number", flat=True))
    assert all(re.fullmatch(r"GM-\d{4}-\d{6}", n) for n in numbers)
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == list(range(1, 13))


def test_two_staff_approving_the_same_guarantee_cannot_both_succeed(
    alice, staff, gunma, fee_tables
):
    (guarantee,) = reviewing_guarantees(alice, gunma, 1)
    approve = lambda: guarantee_services.guarantee_approve(  # noqa: E731
        guarantee_id=guarantee.pk, user=staff
    )
    results = run_together([approve, approve, approve])
    assert sum(isinstance(r, Guarantee) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 2
    guarantee.refresh_from_db()
    assert guarantee.number.endswith("-000001")


def test_accept_and_withdraw_at_once_leave_one_outcome(alice, staff, gunma):
    from applications import services

    application = ApplicationFactory(
        contractor=alice.contractor, created_by=alice, branch=gunma, status="sent"
    )
    GuaranteeFactory(application=application)
    results = run_together(
        [
            lambda: services.application_accept(application_id=application.pk, user=staff),
            lambda: services.application_withdraw(application_id=application.pk, user=alice),
        ]
    )
    assert sum(isinstance(r, Application) for r in results) == 1
    application.refresh_from_db()
    assert application.status in ("reviewing", "withdrawn")


def test_approve_and_return_at_once_leave_one_outcome(alice, staff, gunma, fee_tables):
    """Both lock the application before its guarantees: no deadlock, and never a returned
    application with an approved guarantee."""
    from applications import services

    results = []
    for _ in range(5):
        (guarantee,) = reviewing_guarantees(alice, gunma, 1)
        application_id = guarantee.application_id
        results += run_together(
            [
                lambda g=guarantee: guarantee_services.guarantee_approve(
                    guarantee_id=g.pk, user=staff
                ),
                lambda a=application_id: services.application_return(
                    application_id=a, user=staff, message="ご確認ください。"
                ),
            ]
        )
        application = Application.objects.get(pk=application_id)
        guarantee.refresh_from_db()
        assert (application.status, guarantee.status) in [
            ("reviewing", "approved"),
            ("returned", "requested"),
        ]
    assert all(isinstance(r, Guarantee | Application | ValidationError) for r in results), results
