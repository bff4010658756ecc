"""Staff permissions: a user's own and those of the user's groups, read once per request."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_has_their_own_and_their_groups_permissions_read_once(
    django_assert_num_queries,
):
    reviewers = Group.objects.create(name="reviewers")
    reviewers.permissions.add(Permission.objects.get(codename="view_application"))
    staff = UserFactory(contractor=None, is_staff=True)
    staff.groups.add(reviewers)
    staff.user_permissions.add(Permission.objects.get(codename="change_application"))
    UserFactory(contractor=None, is_staff=True).user_permissions.add(
        Permission.objects.get(codename="delete_application")
    )
    staff = get_user_model().objects.get(pk=staff.pk)  # as each request loads the user
    assert staff.has_perm("applications.view_application")
    with django_assert_num_queries(0):  # kept on the user for the rest of the request
        assert staff.has_perm("applications.change_application")
        assert not staff.has_perm("applications.delete_application")  # someone else's
        assert staff.get_all_permissions() == {
            "applications.view_application",
            "applications.change_application",
        }


def test_inactive_users_have_no_permissions_and_superusers_all():
    inactive = UserFactory(contractor=None, is_staff=True, is_active=False)
    inactive.user_permissions.add(Permission.objects.get(codename="view_application"))
    assert (
        not get_user_model().objects.get(pk=inactive.pk).has_perm("applications.view_application")
    )
    superuser = get_user_model().objects.get(pk=UserFactory(is_superuser=True).pk)
    assert len(superuser.get_all_permissions()) == Permission.objects.count()
