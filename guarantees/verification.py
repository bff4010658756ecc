"""Verify a certificate PDF someone uploads (SPEC §7 "Verify a PDF"): whether its signature and
timestamp are sound and the company's, whether the file is exactly one we issued, and if so
which guarantee and version it is and whether it is in force.

The answer tells only what the document itself prints (the snapshot of an issued version, minus
nothing: the snapshot is what the certificate prints) plus its current standing; a file we did not
issue gets no detail at all, so uploading guesses learns nothing about other certificates.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from io import BytesIO

from django.core.cache import cache
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader

from core.errors import ServiceError
from guarantees import signing
from guarantees.models import Certificate, Guarantee
from guarantees.selectors import CertificateState, certificate_state
from guarantees.signing import SignatureCheck

logger = logging.getLogger(__name__)

MAX_PDF_BYTES = 10 * 1024 * 1024  # a certificate is ~50 KB; a generous ceiling for any upload

# How long a signature check of a file we issued is reused (see _cached_check).
CHECK_CACHE_SECONDS = 3600

# The PDF header may follow a little junk (PDF 1.7 §7.5.2 readers tolerate 1 KB of it).
_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
# The document title the certificate template writes: "<title> <number> 第<version>版".
_TITLE = re.compile(r"\S+ (?P<number>\S{1,24}) 第\d+版")


class Verdict(TextChoices):
    """What an uploaded file is, most reassuring first."""

    GENUINE = "genuine", _("当社が発行した保証証書です")
    NOT_ISSUED = "not_issued", _("当社の署名はありますが、当社が発行したファイルと一致しません")
    TAMPERED = "tampered", _("署名が無効です。ファイルが改ざんされています")
    FOREIGN = "foreign", _("当社以外の署名です")
    UNSIGNED = "unsigned", _("電子署名がありません")
    NOT_PDF = "not_pdf", _("PDFファイルではありません")


# What an upload may declare itself as: browsers send application/pdf for a .pdf file, some
# (and mail programs saving attachments) a generic type; the content decides anyway.
PDF_CONTENT_TYPES = {"application/pdf", "application/x-pdf", "application/octet-stream", ""}


def too_large() -> ServiceError:
    return ServiceError(
        _("ファイルが大きすぎます。10MB以下の保証証書PDFを選んでください。"), code="too_large"
    )


def declared_too_large(content_length: str | None) -> bool:
    """Whether a request announces a body larger than any upload we take (checked before the
    body is read, so a huge upload is refused without being received). The margin covers a
    multipart form's own fields and boundaries."""
    try:
        return int(content_length or 0) > MAX_PDF_BYTES + 64 * 1024
    except ValueError:
        return False


def upload_bytes(data: bytes | None, *, content_type: str) -> bytes:
    """The uploaded file's bytes, or a ServiceError saying plainly what is wrong with it."""
    if data is None:
        raise ServiceError(_("確認する保証証書のPDFファイルを選んでください。"), code="missing")
    if content_type.split(";")[0].strip().lower() not in PDF_CONTENT_TYPES:
        raise ServiceError(
            _("PDFファイルではありません。保証証書のPDFファイルを選んでください。"),
            code="unsupported_type",
        )
    if not data:
        raise ServiceError(
            _("ファイルが空です。保証証書のPDFファイルを選んでください。"), code="empty"
        )
    if len(data) > MAX_PDF_BYTES:
        raise too_large()
    return data


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    sha256: str
    signature: SignatureCheck = field(default_factory=SignatureCheck)
    # Only for a file we issued (GENUINE): the version, what it prints, and its standing.
    certificate: Certificate | None = None
    state: CertificateState | None = None
    # 変更済: the newest version, which replaces this one.
    superseded_by: int | None = None

    @property
    def valid(self) -> bool:
        """The file is one we issued, soundly signed and timestamped, and in force today."""
        return self.verdict == Verdict.GENUINE and self.state == CertificateState.VALID

    @property
    def snapshot(self) -> dict | None:
        return self.certificate.snapshot if self.certificate else None


def verify_pdf(data: bytes) -> VerificationResult:
    """Check an uploaded file: never raises on bad input (anything may be uploaded)."""
    digest = hashlib.sha256(data).hexdigest()
    if not _PDF_HEADER.search(data[:1024]):
        return VerificationResult(Verdict.NOT_PDF, digest)
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        title = _title(reader)
    except Exception as exc:  # a hostile or broken file may fail the parser in any way
        logger.info("Uploaded PDF could not be read: %r", exc)
        return VerificationResult(Verdict.NOT_PDF, digest)
    issued = _issued(title, digest)
    check = _cached_check(data, digest, reader) if issued else signing.check_signature(data, reader)
    verdict = _verdict(check, issued=issued is not None)
    if verdict != Verdict.GENUINE:
        return VerificationResult(verdict, digest, check)
    state = certificate_state(issued, today=timezone.localdate())
    superseded_by = None
    if state == CertificateState.SUPERSEDED:
        superseded_by = (
            Certificate.objects.filter(guarantee_id=issued.guarantee_id)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
    return VerificationResult(verdict, digest, check, issued, state, superseded_by)


def _verdict(check: SignatureCheck, *, issued: bool) -> Verdict:
    if not check.signed:
        return Verdict.UNSIGNED
    if not (check.intact and check.whole_file):
        return Verdict.TAMPERED
    if not check.by_company:
        return Verdict.FOREIGN
    if not check.timestamped:
        # Our certificate, intact, yet a timestamp that does not verify: not a file as we issue
        # them (each carries a sound token), so nothing to vouch for.
        return Verdict.TAMPERED
    return Verdict.GENUINE if issued else Verdict.NOT_ISSUED


def _title(reader: PdfFileReader) -> str:
    info = reader.trailer_view.get("/Info")
    if info is None:
        return ""
    title = info.get_object().get("/Title")
    return str(title) if title is not None else ""


def _issued(title: str, digest: str) -> Certificate | None:
    """The electronic version whose stored bytes hash to `digest`.

    The lookup goes by the guarantee number in the document's title (a unique index) and then the
    SHA-256 among that guarantee's few versions, so no index on the hash is needed. That misses
    nothing: a byte-for-byte copy of a file we issued carries the title we wrote into it; a file
    whose title was changed is not a copy of ours.
    """
    match = _TITLE.fullmatch(title.strip())
    if match is None:
        return None
    return (
        Certificate.objects.select_related("guarantee")
        .defer("key_encrypted", "key_digest")
        .filter(
            guarantee__number=match["number"],
            certificate_format=Guarantee.Format.ELECTRONIC,
            sha256=digest,
        )
        .first()
    )


def _cached_check(data: bytes, digest: str, reader: PdfFileReader) -> SignatureCheck:
    """check_signature of a file we issued, reused for an hour across processes.

    Sound because the check depends only on the bytes (named by their SHA-256) and the trust
    roots (part of the key): the same file checks the same way. Only files we issued are cached —
    a bounded set, so uploads of arbitrary files cannot fill the cache — and the hour bounds how
    long a change we do not see in the key (a certificate expiring) takes to show.
    """
    key = f"verify:{signing.trust_fingerprint()}:{digest}"
    check = cache.get(key)
    if not isinstance(check, SignatureCheck):
        check = signing.check_signature(data, reader)
        cache.set(key, check, CHECK_CACHE_SECONDS)
    return check
