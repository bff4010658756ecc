"""guarantees.locking: a guarantee and its application, locked through the guarantee's relation,
for the staff member who may process the application (accounts.staff) or for the worker; and
what the guarantees' services then write on the application. The lock order itself is
test_lock_order's (PostgreSQL)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from core.models import AuditEntry
from guarantees import issuance
from guarantees.locking import locked_for_worker, locked_guarantee
from guarantees.models import Guarantee
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSED = "Not an application this staff member may process."


def another_branch(tochigi):
    user = UserFactory(contractor=None, is_staff=True, branch=tochigi)
    user.user_permissions.add(*Permission.objects.filter(codename="change_application"))
    return user


def viewer(gunma):
    user = UserFactory(contractor=None, is_staff=True, branch=gunma)
    user.user_permissions.add(*Permission.objects.filter(codename="view_application"))
    return user


def inactive(gunma):
    user = UserFactory(contractor=None, is_staff=True, branch=gunma, is_active=False)
    user.user_permissions.add(*Permission.objects.filter(codename="change_application"))
    return user


@pytest.mark.parametrize("who", [another_branch, viewer, inactive])
def test_staff_who_may_not_process_the_application_are_refused(approved, gunma, tochigi, who):
    user = who(tochigi if who is another_branch else gunma)
    with pytest.raises(PermissionDenied) as refused:
        locked_guarantee(approved.pk, user)
    assert str(refused.value) == REFUSED
    with pytest.raises(PermissionDenied):
        issuance.issue_request(guarantee_id=approved.pk, user=user)
    assert Guarantee.objects.get(pk=approved.pk).issue_requested_at is None
    assert not AuditEntry.objects.filter(action="guarantee.issue_requested").exists()


def test_no_staff_action_reaches_the_guarantees_of_a_draft(approved, staff):
    Application.objects.filter(pk=approved.application_id).update(status="draft")
    with pytest.raises(PermissionDenied) as refused:
        locked_guarantee(approved.pk, staff)
    assert str(refused.value) == REFUSED


def test_an_unknown_guarantee_is_refused_as_another_branchs(db, staff):
    with pytest.raises(PermissionDenied) as refused:
        locked_guarantee(999_999, staff)
    assert str(refused.value) == REFUSED


@pytest.mark.parametrize("who", ["staff", "head_office"])
def test_the_branch_and_head_office_get_the_guarantee_with_its_application(
    approved, who, request, django_assert_num_queries
):
    user = request.getfixturevalue(who)
    user = type(user).objects.get(pk=user.pk)  # permissions not cached yet: as on a request
    user.get_all_permissions()
    with django_assert_num_queries(2):  # the application (joined), then the guarantee
        guarantee = locked_guarantee(approved.pk, user)
        application = guarantee.application
        names = [application.obligee.name, application.contractor.name, application.branch.code]
    assert all(names)
    assert guarantee.pk == approved.pk and application.pk == approved.application_id


def test_the_worker_gets_the_guarantee_with_what_a_certificate_names(
    approved, django_assert_num_queries
):
    with django_assert_num_queries(2):
        guarantee = locked_for_worker(approved.pk)
        application = guarantee.application
        names = [application.obligee.name, application.contractor.name, application.branch.code]
    assert all(names)
    with pytest.raises(Guarantee.DoesNotExist):
        locked_for_worker(999_999)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.parametrize("lock", ["staff", "worker"])
def test_the_application_row_is_locked_before_the_guarantee_row(approved, staff, lock):
    with CaptureQueriesContext(connection) as queries:
        if lock == "staff":
            locked_guarantee(approved.pk, staff)
        else:
            locked_for_worker(approved.pk)
    locks = [q["sql"].split("FOR UPDATE")[1] for q in queries if "FOR UPDATE" in q["sql"]]
    assert locks == [' OF "applications_application"', ' OF "guarantees_guarantee"']


def test_approving_and_issuing_show_on_the_application_when_they_happened(
    approved, staff, django_capture_on_commit_callbacks
):
    application = Application.objects.get(pk=approved.application_id)
    assert application.updated_at == approved.approved_at
    with django_capture_on_commit_callbacks(execute=True):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    application.refresh_from_db()
    certificate = approved.certificates.get()
    assert application.updated_at == certificate.issued_at
    # The contract guarantee is still in review.
    assert application.status == Application.Status.REVIEWING
