"""Every list action of the admin, posted with a selection no row could have: the admin's own
"nothing selected" message, never a server error, nothing changed."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from applications.models import Application
from core.models import AuditEntry
from tests.accounts.otp import login_verified_staff
from tests.factories import UserFactory, make_sent_application

pytestmark = pytest.mark.django_db

NOTHING_SELECTED = "操作を実行するには、対象を選択する必要があります。何も変更されませんでした。"

# Text, a NUL byte, numbers past any primary key column, an empty value, a float.
UNREADABLE = [["abc"], ["1\x00"], ["99999999999999999999999"], [""], ["1.5"], ["1", "abc"]]


def _list_actions():
    """(admin URL name, action name) of every list action of every registered model."""
    found = []
    for model, model_admin in admin.site._registry.items():
        names = [name for name in model_admin.actions or []]
        if model_admin.has_delete_permission.__func__ is admin.ModelAdmin.has_delete_permission:
            names.append("delete_selected")
        meta = model._meta
        for name in names:
            found.append((f"admin:{meta.app_label}_{meta.model_name}_changelist", name))
    return found


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.jp", contractor=None, is_staff=True, is_superuser=True)


@pytest.mark.parametrize(("changelist", "action"), _list_actions())
@pytest.mark.parametrize("selected", UNREADABLE)
def test_a_list_action_with_an_unreadable_selection_changes_nothing(
    client, superuser, alice, gunma, changelist, action, selected
):
    application = make_sent_application(alice, branch=gunma)
    login_verified_staff(client, superuser)
    entries = AuditEntry.objects.count()
    url = reverse(changelist)
    response = client.post(url, {"action": action, ACTION_CHECKBOX_NAME: selected}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(url, 302)]
    assert NOTHING_SELECTED in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.SENT
    assert AuditEntry.objects.count() == entries


def test_the_list_actions_include_the_branch_ones():
    assert ("admin:applications_application_changelist", "accept_selected") in _list_actions()
    assert ("admin:applications_application_changelist", "export_csv") in _list_actions()


def test_a_valid_selection_still_runs_the_action(client, superuser, alice, gunma):
    application = make_sent_application(alice, branch=gunma)
    login_verified_staff(client, superuser)
    url = reverse("admin:applications_application_changelist")
    response = client.post(
        url, {"action": "accept_selected", ACTION_CHECKBOX_NAME: [str(application.pk), "-1"]}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.REVIEWING
