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
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache as memoize
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db.models import TextChoices
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader

from core.errors import ServiceError
from guarantees import signing
from guarantees.models import Certificate, Guarantee
from guarantees.rendering import read_key_notice
from guarantees.selectors import CertificateState, certificate_state
from guarantees.signing import SignatureCheck

logger = logging.getLogger(__name__)

# A multipart form's own fields and boundaries around the file, allowed on top of the file's limit.
FORM_OVERHEAD_BYTES = 64 * 1024
# What a client that is refused for being busy is told to wait, in seconds.
BUSY_RETRY_SECONDS = 5

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
    KEY_NOTICE = "key_notice", _("認証キー等のお知らせです。保証証書ではありません")


# What an upload may declare itself as: browsers send application/pdf for a .pdf file, some
# (and mail programs saving attachments) a generic type; the content decides anyway.
PDF_CONTENT_TYPES = {"application/pdf", "application/x-pdf", "application/octet-stream", ""}


def max_pdf_bytes() -> int:
    """The largest file checked (VERIFY_MAX_PDF_BYTES): a certificate is about 70 KB, and checking
    costs CPU in proportion to the size, so nothing much larger than a certificate is taken."""
    return settings.VERIFY_MAX_PDF_BYTES


def size_label(size: int) -> str:
    """2 MB, 512 KB: a limit as the page states it."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)}MB"
    return f"{max(size // 1024, 1)}KB"


def too_large() -> ServiceError:
    return ServiceError(
        _("ファイルが大きすぎます。%(limit)s以下の保証証書PDFを選んでください。")
        % {"limit": size_label(max_pdf_bytes())},
        code="too_large",
    )


def length_unknown() -> ServiceError:
    return ServiceError(
        _(
            "送信の長さ(Content-Length)が示されていないため、ファイルを読み取れませんでした。分割転送(chunked)ではなく、長さを付けて送信してください。"
        ),
        code="length_required",
    )


def busy() -> ServiceError:
    return ServiceError(
        _("ただいま確認が混み合っています。数秒おいて再度お試しください。"), code="busy"
    )


def request_refusal(meta: Mapping[str, Any]) -> ServiceError | None:
    """Why a request's body is not read at all, judged from its headers alone (before anything
    reads the body): announced larger than any upload we take, or sent without a length. Django
    reads a body only as far as its Content-Length, so a chunked body would otherwise look empty."""
    if "HTTP_TRANSFER_ENCODING" in meta:
        return length_unknown()
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return length_unknown()
    if length > max_pdf_bytes() + FORM_OVERHEAD_BYTES:
        return too_large()
    return None


class BoundedUploadHandler(FileUploadHandler):
    """Keeps an uploaded file in memory up to the limit and drops it as soon as it grows past
    that, so an upload is never read or stored whole beyond what a certificate can be."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile()
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


@memoize
def _check_slots(count: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(count)


@contextmanager
def check_slot() -> Iterator[None]:
    """One of the process's VERIFY_CONCURRENT_CHECKS slots for checking a file, or busy() at once:
    a burst of uploads is turned away instead of queueing for the CPU."""
    slots = _check_slots(settings.VERIFY_CONCURRENT_CHECKS)
    if not slots.acquire(blocking=False):
        raise busy()
    try:
        yield
    finally:
        slots.release()


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
    if len(data) > max_pdf_bytes():
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
    issued = _issued(title, data)
    check = (
        _cached_check(data, digest, reader, as_issued=issued.sha256 == digest)
        if issued
        else signing.check_signature(data, reader)
    )
    verdict = _verdict(check, issued=issued is not None)
    if verdict == Verdict.UNSIGNED and read_key_notice(data) is not None:
        # The handover notice rather than the certificate: said so, and nothing of what it
        # carries is shown (the key is for the obligee's eyes only).
        return VerificationResult(Verdict.KEY_NOTICE, digest)
    if verdict != Verdict.GENUINE or issued is None:  # only one we issued is genuine
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


def _issued(title: str, data: bytes) -> Certificate | None:
    """The electronic version `data` is, as issued or with revisions appended since (a later
    document timestamp): the file as issued hashes to the SHA-256 recorded at issuance.

    The lookup goes by the guarantee number in the document's title (a unique index) and then the
    SHA-256 among that guarantee's few versions, so no index on the hash is needed. That misses
    nothing: a copy of a file we issued carries the title we wrote into it; a file whose title was
    changed is not a copy of ours. Whether what was appended changes the document is the
    signature check's to say (whole_file).
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
            sha256__in=signing.revision_digests(data),
        )
        .first()
    )


def _cached_check(
    data: bytes, digest: str, reader: PdfFileReader, *, as_issued: bool
) -> SignatureCheck:
    """check_signature of a file we issued, reused for an hour across processes.

    Sound because the check depends only on the bytes (named by their SHA-256) and the trust
    roots (part of the key): the same file checks the same way. Only files we issued are cached —
    a bounded set, so uploads of arbitrary files cannot fill the cache — and the hour bounds how
    long a change we do not see in the key (a certificate expiring) takes to show.
    """
    key = f"verify:{signing.trust_fingerprint()}:{digest}"
    check = cache.get(key)
    if not isinstance(check, SignatureCheck):
        check = signing.check_signature(data, reader, as_issued=as_issued)
        cache.set(key, check, CHECK_CACHE_SECONDS)
    return check
