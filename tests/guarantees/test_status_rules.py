"""Rules about a guarantee's status, each written once and used wherever it applies."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import Application
from guarantees import issuance
from guarantees.models import Guarantee
from tests.factories import CertificateFactory, IssuedGuaranteeFactory

pytestmark = pytest.mark.django_db

IN_FORCE = {"issued", "amended"}  # SPEC: 発行済 and 変更 are the guarantees that stand


@pytest.mark.parametrize("status", Guarantee.Status.values)
def test_only_a_guarantee_in_force_can_be_amended_or_cancelled(status):
    guarantee = IssuedGuaranteeFactory(status=status)
    today = timezone.localdate()
    assert (guarantee.amend_refusal(today=today) is None) == (status in IN_FORCE)
    assert (guarantee.cancel_refusal() is None) == (status in IN_FORCE)
    assert set(Guarantee.IN_FORCE) == IN_FORCE
    assert set(Guarantee.ISSUED_OR_LATER) == IN_FORCE | {"cancelled", "expired"}
    assert set(Guarantee.FEE_FIXED) == set(Guarantee.ISSUED_OR_LATER) | {"approved"}


def test_the_fee_statements_list_every_guarantee_with_a_fixed_fee(alice):
    from guarantees.selectors import fee_statements_for

    by_status = {
        status: IssuedGuaranteeFactory(
            application__contractor=alice.contractor, status=status, fee_breakdown={"fee": 84_000}
        )
        for status in Guarantee.Status.values
    }
    listed = set(fee_statements_for(alice))
    assert {g for s, g in by_status.items() if s in Guarantee.FEE_FIXED} <= listed
    assert not {g for s, g in by_status.items() if s not in Guarantee.FEE_FIXED} & listed


def _handover_accepted(guarantee, staff) -> bool:
    try:
        issuance.paper_handover(guarantee_id=guarantee.pk, user=staff)
    except ValidationError:
        return False
    return True


def _listed_for_handover(guarantee) -> bool:
    application = Application.objects.get(pk=guarantee.application_id)
    return guarantee in application.printed_guarantees


def test_a_printed_paper_guarantee_is_listed_for_handover_and_handed_over(
    approve, staff, sent_application, fee_tables, media
):
    contract = sent_application.guarantees.get(kind="contract")
    contract.certificate_format = "paper"
    contract.save(update_fields=["certificate_format"])
    assert not _listed_for_handover(contract)  # not approved
    assert not _handover_accepted(contract, staff)

    from applications import services

    services.application_accept(application_id=sent_application.pk, user=staff)
    contract = approve(contract)
    assert not _listed_for_handover(contract)  # not printed yet
    assert not _handover_accepted(contract, staff)

    issuance.issue_request(guarantee_id=contract.pk, user=staff)
    assert _listed_for_handover(contract)
    assert _handover_accepted(contract, staff)
    contract.refresh_from_db()
    assert contract.status == "issued"


def test_an_electronic_guarantee_is_never_handed_over_even_with_a_paper_version(approved, staff):
    # Printed on paper, then switched to electronic before the handover: the branch's list and
    # the handover agree that there is no paper to hand over any more.
    CertificateFactory(guarantee=approved, certificate_format="paper")
    assert approved.is_electronic
    assert not _listed_for_handover(approved)
    assert not _handover_accepted(approved, staff)
    approved.refresh_from_db()
    assert approved.status == "approved"
