"""Keeping certificates provable for their whole retention (SPEC §5): the nightly renewal of
document timestamps.

A certificate PDF is proven by its newest document timestamp until that timestamp's TSA
certificate expires. Every stored electronic version — superseded ones too: the obligee keeps
them — proven until less than RENEWAL_MARGIN_DAYS ahead gets a new document timestamp with fresh
validation data, appended as an incremental update (guarantees.signing.renew_pdf); one signed
B-T, without any document timestamp, is brought up to B-LTA the same way. The signed revision,
and the SHA-256 recorded for it, never change.

The stored file is replaced without ever being half-written or lost, in three steps per batch:

1. claim: the new file's name and SHA-256 are recorded on the certificate (pending_pdf), before
   anything is written;
2. the renewed bytes are written under that new name, and then recorded: `pdf` names them (the
   downloads serve them from then on), the replaced name is kept in replaced_pdf;
3. the replaced file is deleted, and replaced_pdf cleared.

A run killed after 1 leaves a pending name: the next run records the file if it is there whole
(its SHA-256 is the one claimed), and otherwise deletes what was written and renews afresh. One
killed after 2 leaves the replaced name, whose file the next run deletes. The old file is never
deleted before the new one is recorded. Runs do not overlap (a lock in the shared cache), and
each step checks the certificate is as it left it, so a second run changes nothing.

Each renewal is audited on its certificate; each run is recorded (RenewalRun: start, end,
counts, failures with their reasons), shown in the admin and counted on its work queue.
"""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import log_action
from core.models import AuditEntry
from guarantees import signing, trust
from guarantees.models import Certificate, Guarantee, RenewalRun

logger = logging.getLogger(__name__)

LOCK_KEY = "guarantees:renewal-run"
# The lock outlives a killed run by at most this long; a live run refreshes it at every batch.
LOCK_SECONDS = 15 * 60

# What a run reads of each certificate.
FIELDS = (
    "pk",
    "version",
    "pdf",
    "sha256",
    "file_sha256",
    "proven_until",
    "pending_pdf",
    "pending_sha256",
    "replaced_pdf",
    "guarantee__number",
    "guarantee__kind",
)


def margin() -> datetime.timedelta:
    return datetime.timedelta(days=settings.RENEWAL_MARGIN_DAYS)


def electronic() -> QuerySet[Certificate]:
    return Certificate.objects.filter(certificate_format=Guarantee.Format.ELECTRONIC)


def due(limit: datetime.datetime) -> QuerySet[Certificate]:
    """Electronic certificates proven until before `limit`, or with no document timestamp yet
    (B-T): a range on an indexed column, whatever the number of files."""
    return electronic().filter(Q(proven_until__isnull=True) | Q(proven_until__lt=limit))


def left_unfinished() -> QuerySet[Certificate]:
    """Certificates a killed run left between two steps (a pending file, a replaced one)."""
    return Certificate.objects.exclude(pending_pdf="", replaced_pdf="")


def overdue_count() -> int:
    """Certificates the last run should have renewed and did not (due when it started, and
    still): 0 when it renewed all it had to. Before any run, those due now."""
    last = RenewalRun.objects.filter(finished_at__isnull=False).first()
    since = last.started_at if last else timezone.now()
    return due(since + margin()).count()


def last_run_failures() -> int:
    last = RenewalRun.objects.filter(finished_at__isnull=False).first()
    return last.failed if last else 0


@dataclass
class _Renewed:
    """A certificate's renewed file: to write (pdf), or written by a killed run (pdf None)."""

    certificate: Certificate
    name: str
    sha256: str
    proven_until: datetime.datetime
    upgraded: bool
    pdf: bytes | None = None


class _Run:
    def __init__(self, run: RenewalRun, limit: datetime.datetime):
        self.run = run
        self.limit = limit
        self.tsa_expiry = signing.timestamper_expiry()
        # One context for the run: the same CA, CRL and certificates for every file, and what
        # pyHanko validated for one it need not validate again for the next.
        self.context = trust.validation_context()
        self.paths: dict = {}
        self.content_type = ContentType.objects.get_for_model(Certificate)

    def fail(self, certificate: Certificate, reason: str) -> None:
        self.run.failed += 1
        logger.warning("Renewal of certificate %s failed: %s", certificate.pk, reason)
        if len(self.run.failures) < RenewalRun.FAILURES_KEPT:
            self.run.failures.append(
                {"certificate": certificate.pk, "name": _name(certificate), "reason": reason}
            )

    def batch(self, certificates: list[Certificate]) -> None:
        renewed: list[_Renewed] = []
        for certificate in certificates:
            try:
                item = self.prepare(certificate)
            except Exception as exc:  # one file's problem does not stop the others
                logger.exception("Renewal of certificate %s failed.", certificate.pk)
                self.fail(certificate, _reason(exc))
                continue
            if item is not None:
                renewed.append(item)
        claimed = self.claim([item for item in renewed if item.pdf is not None])
        written = [item for item in renewed if item.pdf is None]
        for item in claimed:
            assert item.pdf is not None  # claimed from the items with bytes to write
            try:
                _write(item.name, item.pdf)
            except Exception as exc:
                logger.exception("Writing the renewed file of %s failed.", item.certificate.pk)
                self.fail(item.certificate, _reason(exc))
                continue
            written.append(item)
        self.record(written)
        self.drop_replaced(written)

    def prepare(self, certificate: Certificate) -> _Renewed | None:
        """What to record for `certificate`: a renewal to write, a killed run's file to record,
        or nothing (counted skipped, failed, or a leftover cleaned)."""
        if certificate.replaced_pdf:
            _delete(certificate.replaced_pdf)
            Certificate.objects.filter(
                pk=certificate.pk, replaced_pdf=certificate.replaced_pdf
            ).update(replaced_pdf="")
        if certificate.pending_pdf:
            finished = self.pending(certificate)
            if finished is not None:
                return finished
        if certificate.proven_until is not None and certificate.proven_until >= self.limit:
            return None  # a leftover of a run that had renewed it
        if (
            self.tsa_expiry is not None
            and certificate.proven_until is not None
            and self.tsa_expiry <= certificate.proven_until
        ):
            # A timestamp of the same TSA certificate would prove it no longer.
            self.run.skipped += 1
            return None
        pdf = _current(certificate)
        if hashlib.sha256(pdf).hexdigest() != (certificate.file_sha256 or certificate.sha256):
            self.fail(certificate, _("保存されたファイルが記録と一致しません。"))
            return None
        if certificate.sha256 not in signing.revision_digests(pdf):
            self.fail(certificate, _("保存されたファイルが発行した保証証書と一致しません。"))
            return None
        if certificate.proven_until is None:
            # Signed B-LTA before the column was kept: recorded once, renewed only if due.
            until = signing.proven_until(pdf)
            if until is not None and until >= self.limit:
                Certificate.objects.filter(pk=certificate.pk).update(proven_until=until)
                self.run.skipped += 1
                return None
        renewal = signing.renew_pdf(pdf, self.context, self.paths)
        if self.tsa_expiry is None:
            # A remote TSA: its certificate is known from its first token; a timestamp of it
            # would not prove the next certificates any longer than they are.
            self.tsa_expiry = renewal.proven_until
        return _Renewed(
            certificate=certificate,
            name=_new_name(certificate),
            sha256=hashlib.sha256(renewal.pdf).hexdigest(),
            proven_until=renewal.proven_until,
            upgraded=renewal.upgraded,
            pdf=renewal.pdf,
        )

    def pending(self, certificate: Certificate) -> _Renewed | None:
        """A killed run's file: to record when it is there whole; otherwise deleted, and the
        claim given up (the certificate is renewed afresh)."""
        name, expected = certificate.pending_pdf, certificate.pending_sha256
        pdf = None
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as stored:
                pdf = stored.read()
        if pdf is not None and hashlib.sha256(pdf).hexdigest() == expected:
            until = signing.proven_until(pdf)
            if until is not None:
                return _Renewed(
                    certificate=certificate,
                    name=name,
                    sha256=expected,
                    proven_until=until,
                    upgraded=signing.proven_until(_current(certificate)) is None,
                )
        _delete(name)
        Certificate.objects.filter(pk=certificate.pk, pending_pdf=name).update(
            pending_pdf="", pending_sha256=""
        )
        certificate.pending_pdf = certificate.pending_sha256 = ""
        return None

    def claim(self, items: list[_Renewed]) -> list[_Renewed]:
        """Step 1: each new file's name and SHA-256 on its certificate, unless another run got
        there first (the certificate no longer has the file this run renewed)."""
        claimed = []
        with transaction.atomic():
            for item in items:
                certificate = item.certificate
                if Certificate.objects.filter(
                    pk=certificate.pk, pdf=certificate.pdf.name, pending_pdf=""
                ).update(pending_pdf=item.name, pending_sha256=item.sha256):
                    claimed.append(item)
                else:
                    self.run.skipped += 1
        return claimed

    def record(self, items: list[_Renewed]) -> None:
        """Step 2, once written: the new file is the certificate's; audited."""
        now = timezone.now()
        entries = []
        with transaction.atomic():
            for item in items:
                certificate = item.certificate
                if not Certificate.objects.filter(pk=certificate.pk, pending_pdf=item.name).update(
                    pdf=item.name,
                    pending_pdf="",
                    pending_sha256="",
                    replaced_pdf=certificate.pdf.name,
                    file_sha256=item.sha256,
                    proven_until=item.proven_until,
                    renewed_at=now,
                ):
                    item.name = ""  # not recorded: another run settled it
                    self.run.skipped += 1
                    continue
                self.run.renewed += 1
                self.run.upgraded += item.upgraded
                entries.append(
                    AuditEntry(
                        content_type=self.content_type,
                        object_id=certificate.pk,
                        action="certificate.renewed",
                        data={
                            "number": certificate.guarantee.number,
                            "kind": certificate.guarantee.kind,
                            "version": certificate.version,
                            "file": item.name,
                            "proven_until": item.proven_until.isoformat(),
                            "upgraded": item.upgraded,
                        },
                    )
                )
            # One insert for the batch (log_action's row by row would be most of a run's queries).
            AuditEntry.objects.bulk_create(entries)

    def drop_replaced(self, items: list[_Renewed]) -> None:
        """Step 3: the replaced files, now that the new ones are recorded; then the names
        cleared, in one transaction (one commit a batch, not one a certificate)."""
        dropped = []
        for item in items:
            if not item.name:
                continue
            replaced = item.certificate.pdf.name
            if replaced and replaced != item.name:
                _delete(replaced)
            dropped.append((item.certificate.pk, replaced))
        with transaction.atomic():
            for pk, replaced in dropped:
                Certificate.objects.filter(pk=pk, replaced_pdf=replaced).update(replaced_pdf="")


def renewal_run(*, batch_size: int | None = None) -> RenewalRun | None:
    """Renew every certificate due (see the module's description); None when another run is
    going on. Safe to run again at any time: it finishes what a killed run left."""
    batch_size = batch_size or settings.RENEWAL_BATCH_SIZE
    now = timezone.now()
    token = secrets.token_hex(8)
    if not cache.add(LOCK_KEY, token, timeout=LOCK_SECONDS):
        logger.info("Renewal: another run is going on.")
        return None
    try:
        run = RenewalRun.objects.create(started_at=now, margin_days=settings.RENEWAL_MARGIN_DAYS)
        # Due as of the start: a certificate renewed by this run is not renewed again by it.
        limit = now + margin()
        work = _Run(run, limit)
        if work.tsa_expiry is not None and work.tsa_expiry < limit:
            run.note = _(
                "タイムスタンプ局の証明書の有効期限(%(expiry)s)が更新の余裕の期間内です。"
                "新しい証明書に替えるまで、更新しても証明期限は延びません。"
            ) % {"expiry": timezone.localtime(work.tsa_expiry).strftime("%Y/%m/%d")}
        leftovers = list(_select(left_unfinished()))
        if leftovers:
            work.batch(leftovers)
        handled = {certificate.pk for certificate in leftovers}
        last_pk = 0
        while True:
            batch = list(_select(due(limit).filter(pk__gt=last_pk))[:batch_size])
            if not batch:
                break
            last_pk = batch[-1].pk
            work.batch([certificate for certificate in batch if certificate.pk not in handled])
            cache.touch(LOCK_KEY, LOCK_SECONDS)
            run.save(update_fields=["renewed", "upgraded", "skipped", "failed", "failures"])
        run.finished_at = timezone.now()
        run.save()
        log_action(
            run,
            "renewal.finished",
            data={
                "renewed": run.renewed,
                "upgraded": run.upgraded,
                "skipped": run.skipped,
                "failed": run.failed,
            },
        )
        return run
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _select(certificates: QuerySet[Certificate]) -> QuerySet[Certificate]:
    return certificates.select_related("guarantee").only(*FIELDS).order_by("pk")


def _new_name(certificate: Certificate) -> str:
    """A name no file has: beside the version's first file, with the date and a random part."""
    number = certificate.guarantee.number
    stamp = timezone.now().strftime("%Y%m%d")
    return (
        f"certificates/{number}/{number}-v{certificate.version}-r{stamp}-{secrets.token_hex(4)}.pdf"
    )


def _write(name: str, pdf: bytes) -> None:
    stored = default_storage.save(name, ContentFile(pdf))
    if stored != name:  # the storage chose another name: the claimed one is taken
        default_storage.delete(stored)
        raise RuntimeError(f"{name} exists already")


def _delete(name: str) -> None:
    if name and default_storage.exists(name):
        default_storage.delete(name)


def _current(certificate: Certificate) -> bytes:
    # Every electronic version has a stored file: its name is set when the version is made.
    assert certificate.pdf.name is not None
    with default_storage.open(certificate.pdf.name, "rb") as stored:
        return stored.read()


def _name(certificate: Certificate) -> str:
    return f"{certificate.guarantee.number} 第{certificate.version}版"


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
