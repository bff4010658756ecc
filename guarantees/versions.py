"""The versions of a certificate (第1版, 第2版 …): the next number, and rendering, signing and
storing a new one. Issuance makes the first; an amendment (guarantees/lifecycle.py) the next."""

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from guarantees import keys, rendering, signing
from guarantees.models import Certificate, Guarantee
from guarantees.snapshot import certificate_snapshot


def verify_url(token: str) -> str:
    """The public verification address a certificate prints (as text and QR code)."""
    return f"{settings.SITE_URL.rstrip('/')}/verify/{token}/"


def certificate_file_name(number: str, version: int) -> str:
    """Where a version's PDF is stored: derived from the guarantee and version only, so a retried
    issuance writes over its own earlier attempt instead of leaving an orphan file."""
    return f"certificates/{number}/{number}-v{version}.pdf"


def next_version_number(guarantee: Guarantee) -> int:
    return (guarantee.certificates.aggregate(last=Max("version"))["last"] or 0) + 1


def new_version(
    guarantee: Guarantee,
    *,
    now: datetime.datetime,
    user: User | None,
    signed: bool,
    snapshot: dict[str, Any] | None = None,
) -> Certificate:
    """Render (and for electronic: sign, and make the key) the next version; store it.

    `snapshot`: what the version states (an amendment's); by default the guarantee as approved.
    """
    if guarantee.number is None:  # the database refuses it too (guarantee_number_once_approved)
        raise ValueError("Only an approved guarantee, numbered, has certificates.")
    version = next_version_number(guarantee)
    if snapshot is None:
        snapshot = certificate_snapshot(
            guarantee, version=version, issued_on=timezone.localdate(now)
        )
    token = secrets.token_urlsafe(16)  # 128 bits
    pdf = rendering.render_certificate(snapshot, verify_url=verify_url(token))
    key_fields: dict[str, object] = {}
    if signed:
        pdf = signing.sign_pdf(pdf)
        body = keys.new_key()
        key_fields = {
            "key_digest": keys.key_digest(body),
            "key_encrypted": keys.encrypt_key(body),
            # Until when its document timestamp proves it: the renewal's selection.
            "proven_until": signing.timestamper_expiry() or signing.proven_until(pdf),
        }
    name = certificate_file_name(guarantee.number, version)
    if default_storage.exists(name):
        default_storage.delete(name)  # a killed earlier attempt's file (never committed)
    stored = default_storage.save(name, ContentFile(pdf))
    return Certificate.objects.create(
        guarantee=guarantee,
        version=version,
        certificate_format=guarantee.certificate_format,
        verify_token=token,
        snapshot=snapshot,
        **Certificate.stated_dates(snapshot),
        pdf=stored,
        sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=now,
        issued_by=user,
        **key_fields,
    )
