"""Parallel confirmations of one e-mail address change, on PostgreSQL's row locks: the link is
claimed by a conditional UPDATE, so exactly one of them changes the address."""

import pytest
from django.db import connection

from accounts.models import EmailChange, User
from core.errors import StateError
from members import account
from tests.factories import UserFactory
from tests.processing.test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are exercised on PostgreSQL"
    ),
]


def test_parallel_confirmations_change_the_address_once(monkeypatch):
    user = UserFactory(email="before@example.jp")
    tokens = []
    real = account.secrets.token_urlsafe
    monkeypatch.setattr(
        account.secrets, "token_urlsafe", lambda n: tokens.append(real(n)) or tokens[-1]
    )
    account.email_change_request(user=user, new_email="after@example.jp")
    token = tokens[-1]

    results = run_together([lambda: account.email_change_confirm(token=token)] * 6)

    changed = [result for result in results if isinstance(result, User)]
    refused = [result for result in results if isinstance(result, StateError)]
    assert len(changed) == 1 and len(refused) == 5, results
    user.refresh_from_db()
    assert user.email == "after@example.jp"
    assert EmailChange.objects.get().used_at is not None
