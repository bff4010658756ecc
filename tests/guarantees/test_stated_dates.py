"""The dates a certificate version states that are searched and swept by range (発行日, 保証期間(至))
are kept as date columns beside the snapshot: filled at issuance and amendment, and the same on
SQLite as on PostgreSQL."""

import datetime
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from guarantees import lifecycle
from guarantees.models import Certificate, Guarantee

pytestmark = pytest.mark.django_db


def test_issuance_fills_the_columns_with_what_the_certificate_states(issued):
    stated = issued.snapshot
    issued.refresh_from_db()
    assert issued.issued_on == timezone.localdate()
    assert issued.issued_on.isoformat() == stated["issued_on"]
    assert issued.period_end.isoformat() == stated["guarantee_period"]["end"]


def test_an_amendment_fills_them_for_its_version_and_the_sweep_follows_it(
    issued, staff, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    new_end = today + datetime.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        amendment = lifecycle.amendment_request(
            guarantee_id=issued.guarantee_id,
            user=staff,
            changes={"period_end": new_end.isoformat()},
            reason="工期延長",
            token=uuid.uuid4(),
        )
    amendment.refresh_from_db()
    version2 = Certificate.objects.get(pk=amendment.certificate_id)
    assert version2.period_end == new_end and version2.issued_on == today

    # Past version 1's end but not version 2's: the version in force decides.
    old_end = Certificate.objects.get(pk=issued.pk).period_end
    day_after = max(old_end, today) + datetime.timedelta(days=1)
    assert lifecycle.guarantees_expire(today=day_after) == []
    assert lifecycle.guarantees_expire(today=new_end + datetime.timedelta(days=1)) == [
        issued.guarantee_id
    ]
    assert Guarantee.objects.get(pk=issued.guarantee_id).status == Guarantee.Status.EXPIRED


@pytest.mark.parametrize(
    ("lookup", "column"), [("issued_on__gte", "issued_on"), ("period_end__lt", "period_end")]
)
def test_the_range_searches_are_served_by_an_index(lookup, column):
    query = Certificate.objects.filter(**{lookup: timezone.localdate()}).order_by().values("pk")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # an empty table is cheaper to read whole
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = query.explain()
    assert "index" in plan.lower() and f"certificate_{column}" in plan, plan
