"""Reads behind the obligee's received certificates (受領した保証証書, SPEC §7): the list searched
by issue date, amount and contractor as the electronic-records law (電子帳簿保存法) asks, and one
certificate with every version of its guarantee.

What an obligee may see is scoped here once: the versions it received, and the other versions of
a guarantee one of whose versions it received (an amendment keeps earlier and later versions
viewable side by side). Anything else is the same 404, whether it exists or not.
"""

import datetime
import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jaconv
from django.core.cache import cache
from django.db.models import BigIntegerField, Expression, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Replace
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.templatetags.netdesk import wareki, yen, ymd
from guarantees import keys
from guarantees.models import Certificate, Guarantee, Receipt
from guarantees.receiving import normalise_number
from guarantees.selectors import CertificateState, certificate_state, receipts_for, state_of
from guarantees.signing import (
    SignatureCheck,
    check_signature,
    revision_digests,
    trust_fingerprint,
)

# The snapshot's values the list searches (guarantees.snapshot).
_AMOUNT = Cast(KeyTextTransform("amount", "certificate__snapshot"), BigIntegerField())
_CONTRACTOR = KeyTextTransform("name", KeyTransform("contractor", "certificate__snapshot"))


@dataclass(frozen=True)
class ReceivedSearch:
    """The conditions of a search of the received list; any of them may be left out."""

    issued_from: datetime.date | None = None
    issued_to: datetime.date | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    contractor: str = ""

    @property
    def is_empty(self) -> bool:
        return self == ReceivedSearch()


def contractor_variants(text: str) -> set[str]:
    """The ways a contractor's name may be stored for what was typed, spaces left out: NFKC
    (full-width letters and digits to ASCII, half-width katakana to full width), the full-width
    form, and each with hiragana read as katakana (ふじた finds フジタ工業); full-width letters
    also in capitals and in small letters, since SQLite's LIKE ignores the case of ASCII only
    (abc finds ＡＢＣ舗装)."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    if not folded:
        return set()
    wide = jaconv.h2z(folded, kana=True, ascii=True, digit=True)
    return {
        cased
        for base in (folded, wide)
        for form in (base, jaconv.hira2kata(base))
        for cased in (form, form.upper(), form.lower())
    }


def _without_spaces(expression: Expression) -> Replace:
    text = TextField()
    spaces_out = Replace(expression, Value(" "), Value(""), output_field=text)
    return Replace(spaces_out, Value("\u3000"), Value(""), output_field=text)


def received_rows(user: User, search: ReceivedSearch | None) -> QuerySet[Receipt]:
    """The receipts of the user's obligee that match `search`, newest receipt first, each with its
    certificate version, guarantee and receiving user (one query a page); none while the search
    is invalid (None), rather than results the conditions typed do not describe.

    The values are what each version's certificate states, which is what the obligee searches
    by: the issue date from its column (Certificate.issued_on, a copy of the snapshot's that
    every backend compares as a date), amount and contractor from the frozen snapshot.
    """
    rows = receipts_for(user).defer("certificate__key_encrypted", "certificate__key_digest")
    if search is None:
        return rows.none()
    if search.issued_from:
        rows = rows.filter(certificate__issued_on__gte=search.issued_from)
    if search.issued_to:
        rows = rows.filter(certificate__issued_on__lte=search.issued_to)
    if search.amount_min is not None:
        rows = rows.alias(amount=_AMOUNT).filter(amount__gte=search.amount_min)
    if search.amount_max is not None:
        rows = rows.alias(amount=_AMOUNT).filter(amount__lte=search.amount_max)
    if variants := contractor_variants(search.contractor):
        condition = Q()
        for variant in sorted(variants):
            condition |= Q(contractor_name__icontains=variant)
        rows = rows.alias(contractor_name=_without_spaces(_CONTRACTOR)).filter(condition)
    return rows.order_by("-received_at", "-id")


def list_values(receipts: QuerySet[Receipt]) -> QuerySet[Receipt, Mapping[str, Any]]:
    """`receipts` (received_rows) as the plain values the list shows: one query a page, no
    model instances. The snapshot is read whole: extracting its few values in SQL cost more (in
    building the query) than decoding twenty small documents."""
    return receipts.values(
        "certificate_id",
        "received_at",
        "certificate__version",
        "certificate__superseded_at",
        "certificate__guarantee__status",
        "certificate__snapshot",
    )


def list_rows(
    values: Iterable[Mapping[str, Any]], *, today: datetime.date, detail_url: Callable[[int], str]
) -> list[dict[str, Any]]:
    """The rows of a page of list_values() as the texts their cells show (its state's label on
    `today`, the address of its certificate: `detail_url(certificate_id)`). Formats and labels
    are looked up once a page, and a row is a dict, which a template reads at the first try: per
    row, filters and attribute lookups were most of the list's cost."""
    version = gettext("第%(version)s版")
    labels = {state: str(state.label) for state in CertificateState}
    rows = []
    for row in values:
        snapshot = row["certificate__snapshot"]
        state = state_of(
            superseded=row["certificate__superseded_at"] is not None,
            status=row["certificate__guarantee__status"],
            period_end=(snapshot.get("guarantee_period") or {}).get("end"),
            today=today,
        )
        rows.append(
            {
                "detail_url": detail_url(row["certificate_id"]),
                "number": snapshot.get("number") or "",
                "version": version % {"version": row["certificate__version"]},
                "kind": snapshot.get("kind_label") or "",
                "contractor": (snapshot.get("contractor") or {}).get("name") or "",
                "works_name": (snapshot.get("works") or {}).get("name") or "",
                "amount": yen(snapshot.get("amount")),
                "issued_on": wareki(snapshot.get("issued_on")),
                "state": state,
                "state_label": labels[state],
                "received_on": ymd(timezone.localtime(row["received_at"])),
            }
        )
    return rows


# --- One certificate ----------------------------------------------------------------------------


def _visible_certificates(user: User) -> QuerySet[Certificate]:
    """Every version of every guarantee of which the user's obligee received a version."""
    if user.obligee_id is None:
        return Certificate.objects.none()
    received = Receipt.objects.filter(obligee_id=user.obligee_id).values(
        "certificate__guarantee_id"
    )
    return Certificate.objects.filter(guarantee_id__in=received)


def certificate_for_obligee_or_404(user: User, pk: int) -> Certificate:
    """Version `pk` if the user's obligee may see it (see the module's docstring); 404 otherwise."""
    return get_object_or_404(
        _visible_certificates(user)
        .defer("key_encrypted", "key_digest")
        .select_related("guarantee"),
        pk=pk,
    )


def received_certificate_or_404(user: User, pk: int) -> Certificate:
    """Version `pk` if the user's obligee received it itself: the only versions it downloads."""
    if user.obligee_id is None:
        raise Http404
    return get_object_or_404(
        Certificate.objects.filter(receipts__obligee_id=user.obligee_id).defer(
            "key_encrypted", "key_digest"
        ),
        pk=pk,
    )


def receipt_held(user: User, *, number: str, key: str) -> Receipt | None:
    """The receipt the user's obligee already holds of the certificate version that `number` and
    `key` name, while that version is in force: the pair typed (or dropped) again is answered
    with when it was received instead of a second 「受領しました」. Anything else — a mistyped key,
    a pair that names nothing the obligee holds, a version since amended, cancelled or expired —
    is None and left to guarantees.receiving, which judges, counts and audits it as before."""
    if user.obligee_id is None:
        return None
    try:
        body = keys.parse_key(key)
    except keys.InvalidKey:
        return None
    receipt = (
        Receipt.objects.filter(
            obligee_id=user.obligee_id, certificate__key_digest=keys.key_digest(body)
        )
        .defer("certificate__key_encrypted")
        .select_related("certificate__guarantee", "received_by")
        .first()
    )
    if receipt is None:
        return None
    certificate = receipt.certificate
    same_number = hmac.compare_digest(
        normalise_number(number).encode(), (certificate.guarantee.number or "").encode()
    )
    in_force = certificate_state(certificate, today=timezone.localdate()) == CertificateState.VALID
    return receipt if same_number and in_force else None


@dataclass
class Version:
    """One version of a guarantee's certificate as a history shows it."""

    certificate: Certificate
    state: CertificateState
    received_at: datetime.datetime | None
    # What changed from the version before (empty for the first).
    changes: list["Change"]


@dataclass(frozen=True)
class Change:
    label: str
    kind: str  # how the values are shown: "text", "yen" or "date"
    old: object
    new: object


def version_history(certificate: Certificate, user: User, *, today: datetime.date) -> list[Version]:
    """Every version of `certificate`'s guarantee, oldest first, each with its state, when the
    user's obligee received it (or None), and what changed from the version before; two queries."""
    guarantee = certificate.guarantee
    versions = list(
        Certificate.objects.filter(guarantee_id=guarantee.pk)
        .defer("key_encrypted", "key_digest")
        .order_by("version")
    )
    received: dict[int, datetime.datetime] = {}
    if user.obligee_id is not None:
        received = dict(
            Receipt.objects.filter(
                obligee_id=user.obligee_id, certificate__guarantee_id=guarantee.pk
            ).values_list("certificate_id", "received_at")
        )
    return versions_of(guarantee, versions, received, today=today)


def versions_of(
    guarantee: Guarantee,
    certificates: Iterable[Certificate],
    received: Mapping[int, datetime.datetime],
    *,
    today: datetime.date,
) -> list[Version]:
    """`certificates` of `guarantee` (oldest first) as its version history: each with its state,
    when it was received (`received`: {certificate id: when}) and what changed from the one
    before. The obligee's certificate page and the contractor's application both show this."""
    history: list[Version] = []
    previous: Certificate | None = None
    for certificate in certificates:
        certificate.guarantee = guarantee
        history.append(
            Version(
                certificate=certificate,
                state=certificate_state(certificate, today=today),
                received_at=received.get(certificate.pk),
                changes=snapshot_changes(previous.snapshot, certificate.snapshot)
                if previous
                else [],
            )
        )
        previous = certificate
    return history


# Every value a certificate states, in the order it prints them: (label, path in the snapshot,
# how it is shown). The version and issue date are left out of the changes: every version has
# its own, and the history shows them on each row.
FIELDS = [
    (_("保証契約番号"), ("number",), "text"),
    (_("保証の種類"), ("kind_label",), "text"),
    (_("版"), ("version",), "version"),
    (_("発行日"), ("issued_on",), "date"),
    (_("被保証者(発注者)"), ("obligee", "name"), "text"),
    (_("保証契約者(請負者)"), ("contractor", "name"), "text"),
    (_("請負者の住所"), ("contractor", "address"), "text"),
    (_("請負者の代表者"), ("contractor", "representative"), "text"),
    (_("工事名"), ("works", "name"), "text"),
    (_("工事場所"), ("works", "place"), "text"),
    (_("契約の種類"), ("works", "contract_type"), "text"),
    (_("契約日"), ("works", "contract_date"), "date"),
    (_("工期(自)"), ("works", "period_start"), "date"),
    (_("工期(至)"), ("works", "period_end"), "date"),
    (_("請負金額"), ("works", "contract_amount"), "yen"),
    (_("保証金額"), ("amount",), "yen"),
    (_("保証期間(自)"), ("guarantee_period", "start"), "date"),
    (_("保証期間(至)"), ("guarantee_period", "end"), "date"),
    (_("預託金融機関"), ("deposit_bank",), "text"),
    (_("営業部・支店"), ("branch", "name"), "text"),
]
_NOT_COMPARED = {("version",), ("issued_on",)}


def _value(snapshot: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = snapshot
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def snapshot_fields(snapshot: dict[str, Any]) -> list[Change]:
    """Every value `snapshot` states, labelled, as (label, kind, value, value)."""
    return [
        Change(str(label), kind, value, value)
        for label, path, kind in FIELDS
        if (value := _value(snapshot, path)) not in (None, "")
    ]


def snapshot_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What differs between two versions' snapshots, field by field (old → new)."""
    return [
        Change(str(label), kind, _value(old, path), _value(new, path))
        for label, path, kind in FIELDS
        if path not in _NOT_COMPARED and _value(old, path) != _value(new, path)
    ]


# --- The signature ------------------------------------------------------------------------------

# A day: a check is a function of the bytes and the trust data, and the trust data change
# rarely (a new CA is rolled out over days); a day bounds how long a replaced root goes unseen.
SIGNATURE_CHECK_SECONDS = 24 * 60 * 60


def signature_check(certificate: Certificate) -> tuple[SignatureCheck, bool]:
    """The result of checking the signature and timestamps of `certificate`'s stored PDF, and
    whether the file is the one issued (as issued, or with document timestamps appended since:
    the file as issued hashes to the SHA-256 recorded at issuance).

    Checking costs pyHanko tens of milliseconds, so the result is cached under the SHA-256 of the
    bytes read now and the trust data (roots, CRL, the company's certificates): the same bytes
    always give the same answer against the same trust data, and a file changed on disk has
    another hash, so it is checked afresh rather than inheriting the original's result.
    """
    with certificate.pdf.open("rb") as file:
        content = file.read()
    digest = hashlib.sha256(content).hexdigest()
    key = f"signature-check:{trust_fingerprint()}:{digest}"
    result = cache.get(key)
    if not isinstance(result, SignatureCheck):
        result = check_signature(content, as_issued=digest == certificate.sha256)
        cache.set(key, result, SIGNATURE_CHECK_SECONDS)
    return result, certificate.sha256 in revision_digests(content)
