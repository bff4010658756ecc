"""Concurrent writes through the pages never answer 500 "database is locked" on SQLite (what
`make run` serves): WAL, BEGIN IMMEDIATE and a busy timeout make writers wait their turn.

Each thread has its own test client and database connection, on the file test database (a
database in memory would be one connection shared by every thread)."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from applications.models import Application
from notifications.models import OutboxMessage
from tests.factories import ElectronicObligeeFactory, GuaranteeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def post_together(user, requests: list[tuple[str, dict]]):
    """POST each (url, data) from its own thread at the same moment; returns the responses."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, url, data):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        try:
            barrier.wait()
            responses[index] = client.post(url, data)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, url, data)) for i, (url, data) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_the_sqlite_database_is_a_file_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert not connection.is_in_memory_db()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_parallel_sends_and_draft_saves_all_succeed(alice, branch, form_data):
    drafts = [
        GuaranteeFactory(
            application__contractor=alice.contractor,
            application__created_by=alice,
            application__branch=branch,
            application__obligee=ElectronicObligeeFactory(),
            application__notify_email=alice.email,
        ).application
        for _ in range(4)
    ]
    submit = [(reverse("applications:submit", args=[d.pk]), {}) for d in drafts]
    same_draft_again = submit[:1] * 2
    new_drafts = [(reverse("applications:new"), form_data(action="draft")) for _ in range(4)]

    responses = post_together(alice, submit + same_draft_again + new_drafts)

    statuses = [response.status_code for response in responses]
    assert statuses == [302] * len(responses), statuses
    sent = Application.objects.filter(status=Application.Status.SENT)
    assert sorted(sent.values_list("pk", flat=True)) == [d.pk for d in drafts]
    assert OutboxMessage.objects.count() == 4  # one received e-mail per application
    assert Application.objects.filter(status=Application.Status.DRAFT).count() == 4
