"""Parallel POSTs of one acceptance, and two 管理者 demoting each other at once (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.errors import StateError
from members import services
from members.views import INVITATION_SESSION_KEY
from tests.factories import UserFactory

PASSWORD = "kaze-no-tani-2026"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writes are exercised on PostgreSQL")


def test_parallel_acceptances_make_exactly_one_account(alice):
    invitation = services.invite(
        email="new@example.jp", role="applicant", contractor=alice.contractor, invited_by=alice
    )
    data = {"full_name": "新人", "password1": PASSWORD, "password2": PASSWORD}

    def post(_):
        client = Client()
        session = client.session
        session[INVITATION_SESSION_KEY] = invitation.token
        session.save()
        try:
            return client.post(reverse("members:accept"), data).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(post, range(6)))
    assert sorted(statuses) == [200] * 5 + [302]  # one signed in; the others told it is used
    assert User.objects.filter(email="new@example.jp").count() == 1


def test_two_admins_demoting_each_other_leave_one_admin(alice):
    bob = UserFactory(email="bob@example.jp", contractor=alice.contractor)
    company = alice.contractor

    def demote(pair):
        actor, target = pair
        try:
            services.role_change(
                person_id=target.pk, role="viewer", organisation=company, user=actor
            )
            return "done"
        except StateError:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(demote, [(alice, bob), (bob, alice)]))
    assert results == ["done", "refused"]
    assert User.objects.filter(contractor=company, role="admin").count() == 1
