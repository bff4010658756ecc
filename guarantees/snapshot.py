"""The frozen copy of what a certificate states (Certificate.snapshot).

Everything a certificate, its handover notice and its verification page print comes from this
dictionary, taken once at issuance: later edits of the application, the obligee registry or the
company's settings never change an issued document. Dates are ISO strings, amounts whole yen.
"""

import datetime
from typing import Any

from django.conf import settings

from core.kinds import GuaranteeKind
from guarantees.models import Guarantee

SNAPSHOT_SCHEMA = 1

# By kind (a guarantee's `kind` is its value).
TITLES: dict[str, str] = {
    GuaranteeKind.ADVANCE: "前払金保証証書",
    GuaranteeKind.CONTRACT: "契約保証証書",
}
KIND_LABELS: dict[str, str] = {
    GuaranteeKind.ADVANCE: "前払金保証",
    GuaranteeKind.CONTRACT: "契約保証",
}


def certificate_snapshot(
    guarantee: Guarantee, *, version: int, issued_on: datetime.date
) -> dict[str, Any]:
    """What version `version` of `guarantee`'s certificate states, issued on `issued_on`.

    `guarantee.application` with its obligee, contractor and branch must be loaded (or loadable).
    """
    application = guarantee.application
    obligee, contractor, branch = application.obligee, application.contractor, application.branch
    if obligee is None or branch is None:
        # Sending requires both (applications.rules): only a draft lacks them, and a draft's
        # guarantees are never approved.
        raise ValueError(f"Application {application.pk} names no obligee or no branch.")
    breakdown = guarantee.fee_breakdown or {}
    return {
        "schema": SNAPSHOT_SCHEMA,
        "number": guarantee.number,
        "kind": guarantee.kind,
        "kind_label": KIND_LABELS[guarantee.kind],
        "title": TITLES[guarantee.kind],
        "version": version,
        "certificate_format": guarantee.certificate_format,
        "issued_on": issued_on.isoformat(),
        "application_number": application.number,
        "obligee": {
            "code": obligee.code or "",
            "name": obligee.name,
            "addressee": obligee.addressee,
        },
        "contractor": {
            "name": contractor.name,
            "address": contractor.address,
            "representative": contractor.representative,
        },
        "works": {
            "name": application.works_name,
            "place": application.works_place,
            "contract_type": application.get_contract_type_display(),
            "contract_date": _iso(application.contract_date),
            "period_start": _iso(application.period_start),
            "period_end": _iso(application.period_end),
            "contract_amount": application.contract_amount,
        },
        "amount": guarantee.amount,
        # The period the approval priced (SPEC §4: from the contract date, or later, to 工期末).
        "guarantee_period": {
            "start": breakdown.get("period_start") or _iso(application.contract_date),
            "end": breakdown.get("period_end") or _iso(application.period_end),
        },
        "deposit_bank": guarantee.deposit_bank if guarantee.kind == GuaranteeKind.ADVANCE else "",
        "branch": {
            "code": branch.code,
            "name": branch.name,
            "address": branch.address,
            "phone": branch.phone,
        },
        "company": dict(settings.SURETY_COMPANY),
    }


def _iso(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""
