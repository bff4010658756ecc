"""Head office looks after contractor and obligee accounts; only superusers manage staff accounts,
their passwords, groups and permissions."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.groups import HEAD_OFFICE, ensure_staff_groups
from accounts.models import User
from tests.accounts.otp import login_verified_staff
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(gunma):
    """Head-office staff with the head-office group's rights (accounts.groups), not a superuser."""
    user = UserFactory(email="honsha@example.jp", contractor=None, is_staff=True, branch=gunma)
    user.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    return user


def head_office_group() -> Group:
    return Group.objects.get(name=HEAD_OFFICE)


@pytest.fixture
def clerk_client(client, clerk):
    login_verified_staff(client, clerk)
    return client


def change_form(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "contractor": user.contractor_id or "",
        "obligee": user.obligee_id or "",
        "branch": user.branch_id or "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    data.update(overrides)
    return data


def user_change(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_head_office_cannot_make_itself_superuser(clerk_client, clerk):
    response = clerk_client.post(
        user_change(clerk),
        change_form(
            clerk,
            is_superuser="on",
            is_staff="on",
            groups=list(Group.objects.values_list("pk", flat=True)),
        ),
    )

    assert response.status_code == 403
    assert "このページを表示する権限がありません" in response.content.decode()
    clerk.refresh_from_db()
    assert not clerk.is_superuser
    assert list(clerk.groups.values_list("name", flat=True)) == [HEAD_OFFICE]


def test_head_office_edits_a_contractor_account_but_not_its_privileges(clerk_client, alice):
    permission = Permission.objects.get(codename="view_all_branches")
    response = clerk_client.post(
        user_change(alice),
        change_form(
            alice,
            full_name="山田 花子",
            is_superuser="on",
            is_staff="on",
            groups=[head_office_group().pk],
            user_permissions=[permission.pk],
        ),
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.full_name == "山田 花子"  # the ordinary edit went through
    assert (alice.is_superuser, alice.is_staff) == (False, False)
    assert not alice.groups.exists() and not alice.user_permissions.exists()


def test_head_office_sees_a_staff_account_read_only(clerk_client, staff):
    page = clerk_client.get(user_change(staff))
    html = page.content.decode()

    assert page.status_code == 200
    assert 'name="email"' not in html and 'name="is_superuser"' not in html
    assert "../password/" not in html and "パスワードをリセット" not in html
    assert "staff-gunma@example.jp" in html


def test_head_office_cannot_set_another_staff_members_password(clerk_client, staff):
    url = reverse("admin:auth_user_password_change", args=[staff.pk])
    assert clerk_client.get(url).status_code == 403

    response = clerk_client.post(
        url, {"password1": "Taken-0ver-pw", "password2": "Taken-0ver-pw", "usable_password": "true"}
    )

    assert response.status_code == 403
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD) and not staff.check_password("Taken-0ver-pw")


def test_head_office_still_sets_a_contractors_password(clerk_client, alice):
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = clerk_client.post(
        url,
        {"password1": "Kaisha-2026-pw", "password2": "Kaisha-2026-pw", "usable_password": "true"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Kaisha-2026-pw")


def test_head_office_cannot_create_a_staff_account(clerk_client):
    response = clerk_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@example.jp",
            "password1": "Atarashii-2026",
            "password2": "Atarashii-2026",
            "usable_password": "true",
            "full_name": "新人",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(email="new@example.jp")
    assert (created.is_staff, created.is_superuser) == (False, False)


def test_head_office_can_neither_see_nor_change_groups_even_with_group_permissions(
    clerk_client, clerk
):
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth"))
    group = head_office_group()
    before = set(group.permissions.values_list("pk", flat=True))
    everything = list(Permission.objects.values_list("pk", flat=True))

    change = clerk_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": HEAD_OFFICE, "permissions": everything},
    )
    add = clerk_client.post(
        reverse("admin:auth_group_add"), {"name": "全権", "permissions": everything}
    )

    assert change.status_code == 403 and add.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="全権").exists()
    index = clerk_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:auth_group_changelist") not in index


def test_a_superuser_still_manages_staff_and_groups(client, head_office, staff):
    login_verified_staff(client, head_office)
    response = client.post(
        user_change(staff),
        change_form(staff, is_staff="on", groups=[ensure_staff_groups()[HEAD_OFFICE].pk]),
    )

    assert response.status_code == 302
    staff.refresh_from_db()
    assert list(staff.groups.values_list("name", flat=True)) == [HEAD_OFFICE]
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200
