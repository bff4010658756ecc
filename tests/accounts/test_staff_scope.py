"""Which branch's work a staff member processes (accounts.staff): one rule, applied by the
applications app to its applications and by the guarantees app through a guarantee's relation."""

import pytest
from django.contrib.auth.models import Permission

from accounts.staff import in_staff_branch, may_process
from applications.models import Application
from guarantees.models import Guarantee
from tests.factories import ApplicationFactory, BranchFactory, GuaranteeFactory, UserFactory


@pytest.fixture
def work(db):
    """A sent application with one guarantee for each of 群馬支店 and 栃木支店."""
    gunma, tochigi = BranchFactory(code="GM"), BranchFactory(code="TG")
    made = {}
    for branch in (gunma, tochigi):
        application = ApplicationFactory(branch=branch, status=Application.Status.SENT)
        made[branch.code] = GuaranteeFactory(application=application)
    return gunma, made


def staff_of(branch, *codenames, **fields):
    user = UserFactory(**{"contractor": None, "is_staff": True, "branch": branch, **fields})
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def scoped(user):
    """What `user` is shown, by branch code, through both relations: they must agree."""
    applications = in_staff_branch(Application.objects.all(), user, branch="branch")
    guarantees = in_staff_branch(Guarantee.objects.all(), user, branch="application__branch")
    by_application = sorted(applications.values_list("branch__code", flat=True))
    by_guarantee = sorted(guarantees.values_list("application__branch__code", flat=True))
    assert by_application == by_guarantee
    return by_application


def test_branch_staff_serve_their_own_branch(work):
    gunma, _made = work
    assert scoped(staff_of(gunma, "change_application")) == ["GM"]


def test_head_office_serves_every_branch(work):
    gunma, _made = work
    assert scoped(staff_of(gunma, "view_all_branches")) == ["GM", "TG"]


@pytest.mark.parametrize(
    "fields",
    [
        {"branch": None},  # staff of no branch
        {"is_active": False},
        {"is_staff": False},
    ],
    ids=["no-branch", "inactive", "not-staff"],
)
def test_anyone_else_serves_no_branch(work, fields):
    gunma, _made = work
    user = staff_of(fields.pop("branch", gunma), "change_application", **fields)
    assert scoped(user) == []


def test_processing_needs_the_change_permission(work):
    gunma, _made = work
    assert may_process(staff_of(gunma, "change_application"))
    assert not may_process(staff_of(gunma, "view_application"))
