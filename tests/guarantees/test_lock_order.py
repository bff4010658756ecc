"""Staff clicks and the worker meet on the same rows without a deadlock: every one of them locks
the application first, then the guarantee (guarantees.locking). On PostgreSQL's row locks."""

import uuid
from unittest import mock

import pytest
from django.db import connection

from core.errors import StateError
from guarantees import issuance, lifecycle, tasks
from guarantees.models import Amendment, Certificate, Guarantee
from tests.processing.test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are exercised on PostgreSQL"
    ),
]

ALREADY_REQUESTED = "この電子保証はすでに発行処理中です。"
ALREADY_ISSUED = "発行済の保証は発行できません(発行できるのは承諾した保証です)。"


def test_issue_clicked_again_while_the_worker_signs_is_refused_not_an_error(approved, staff):
    # The first click has committed; its task is with the worker (not run yet).
    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)

    def click():
        return issuance.issue_request(guarantee_id=approved.pk, user=staff)

    def work():  # the worker's task, and a second delivery of it
        return issuance.certificate_issue(approved.pk)

    results = run_together([click] * 8 + [work] * 2)

    clicks, workers = results[:8], results[8:]
    assert all(isinstance(r, StateError) for r in clicks), clicks
    assert {r.message for r in clicks} <= {ALREADY_REQUESTED, ALREADY_ISSUED}
    assert all(isinstance(r, Certificate) for r in workers), workers
    certificate = Certificate.objects.get(guarantee=approved)
    assert {r.pk for r in workers} == {certificate.pk}
    assert certificate.version == 1 and certificate.key_digest
    guarantee = Guarantee.objects.select_related("application").get(pk=approved.pk)
    assert guarantee.status == Guarantee.Status.ISSUED


def test_parallel_issue_clicks_with_the_worker_issue_once(approved, staff):
    # Eager tasks: the click that wins runs the worker's task in its thread once it commits.
    def click():
        return issuance.issue_request(guarantee_id=approved.pk, user=staff)

    def work():
        return issuance.certificate_issue(approved.pk)

    results = run_together([click] * 8 + [work] * 2)

    clicks = results[:8]
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, StateError)]
    assert errors == []
    assert sum(isinstance(r, Guarantee) for r in clicks) == 1
    assert {r.message for r in clicks if isinstance(r, StateError)} <= {
        ALREADY_REQUESTED,
        ALREADY_ISSUED,
    }
    assert Certificate.objects.filter(guarantee=approved).count() == 1
    assert Certificate.objects.filter(guarantee=approved, key_digest__isnull=False).count() == 1
    assert Guarantee.objects.get(pk=approved.pk).status == Guarantee.Status.ISSUED


def test_cancel_clicked_while_the_worker_issues_an_amendment_waits_its_turn(
    issued, staff, django_capture_on_commit_callbacks
):
    # 変更 confirmed; its version is with the worker. Meanwhile staff press 解約 repeatedly.
    with mock.patch.object(tasks.issue_amendment, "delay"):
        amendment = lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id,
            user=staff,
            changes={"works_name": "市道改良工事(その2)"},
            reason="工事名の訂正",
            token=uuid.uuid4(),
        )
    today = issued.issued_on

    def cancel():
        return lifecycle.guarantee_cancel(
            guarantee_id=issued.guarantee_id, user=staff, cancelled_on=today, reason="契約解除"
        )

    def work():
        return lifecycle.amendment_issue(amendment.pk)

    results = run_together([cancel] * 4 + [work] * 2)

    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, StateError)]
    assert errors == []
    amendment = Amendment.objects.get(pk=amendment.pk)
    assert amendment.certificate is not None  # issued once, whichever came first
    assert Certificate.objects.filter(guarantee_id=issued.guarantee_id).count() == 2
