"""PAdES B-LTA signatures on certificate PDFs, and the check of a signature on a PDF someone
uploads.

A certificate is signed with the company's key, its signature timestamped by the TSA, the
validation data of both chains (certificates and our CAs' CRLs) stored in the document security
store, and a document timestamp added over all of it: proof that outlives the signing key
(SPEC §5). What is embedded and what a check trusts both come from guarantees.trust.

The keys are read once per process (a worker signs thousands of certificates) and dropped again by
`reset_signer()`, which Django's setting_changed signal calls when a test points the PKI settings
elsewhere.
"""

import asyncio
import dataclasses
import datetime
import functools
import hashlib
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from guarantees import trust

logger = logging.getLogger(__name__)


class _OfflineByDesign(logging.Filter):
    """pyHanko warns on every signature that validation data is embedded without fetching: we
    never fetch (our CA's CRL is held locally), so the warning says nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_OfflineByDesign())

SIGNATURE_FIELD = "SuretySignature"
SIGNATURE_REASON = "保証証書の発行"

# Room for the CMS signature in the PDF (hexadecimal: two characters a byte), so pyHanko need not
# make a dry-run signature to size it. Ours takes about 5 KB (ECDSA signer with its signing CA and
# the root, a timestamp token with the RSA TSA certificate and its CA: the validation data goes
# to the DSS, not into the signature); a real TSA may add its own chain, of a size we cannot know.
LOCAL_TSA_BYTES_RESERVED = 12288
REMOTE_TSA_BYTES_RESERVED = 16384

# The validation data goes into the revision of the document timestamp, before it is stamped, so
# that the timestamp covers every byte of the file as issued. (VRI entries, deprecated by PAdES,
# can only be written after the timestamp they describe, in a revision nothing covers.)
DSS_SETTINGS = DSSContentSettings(
    include_vri=False,
    next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True),
)

# What the signed revision may have after it and still be the document we signed: nothing, or
# validation data (DSS, document timestamps) that adds no content.
UNCHANGED = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}


def sign_pdf(pdf: bytes) -> bytes:
    """The PDF with the company's PAdES B-LTA signature: signed, timestamped by the TSA, the
    validation data of the signer's and the TSA's chains stored, and a document timestamp."""
    signer, timestamper, bytes_reserved = _signer()
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SIGNATURE_REASON,
        location=settings.SURETY_COMPANY["address"],
        name=settings.SURETY_COMPANY["name"],
        embed_validation_info=True,
        use_pades_lta=True,
        # A context per document: pyHanko records in it what it validated, and when.
        validation_context=trust.validation_context(),
        dss_settings=DSS_SETTINGS,
    )
    pdf_signer = signers.PdfSigner(metadata, signer, timestamper=timestamper)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return _outside_event_loop(
        pdf_signer.sign_pdf, writer, bytes_reserved=bytes_reserved
    ).getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """What a signature on a PDF proves. Every flag defaults to the answer for "no signature"."""

    signed: bool = False  # the PDF carries a signature that could be read
    intact: bool = False  # the signed bytes are unchanged and the signature value matches them
    whole_file: bool = False  # nothing added after the signature changes the document
    trusted: bool = False  # the signer's certificate chains to our CA (as of the signing time)
    by_company: bool = False  # the signer's certificate is one of the company's
    # Sound timestamps from a TSA that chains to our CA: the signature's, and every document
    # timestamp after it.
    timestamped: bool = False
    signed_at: datetime.datetime | None = None  # the signature timestamp's time, when timestamped
    signer: str = ""  # the signer certificate's subject (common name), whether trusted or not
    # B-LTA: judged as of its timestamps from the validation data the PDF carries.
    long_term: bool = False
    # The document timestamps' times, oldest first, when timestamped.
    document_timestamps: tuple[datetime.datetime, ...] = ()
    # Until when the newest timestamp proves the signature: its TSA certificate's expiry.
    proven_until: datetime.datetime | None = None

    @property
    def valid(self) -> bool:
        return (
            self.signed
            and self.intact
            and self.whole_file
            and self.trusted
            and self.by_company
            and self.timestamped
        )

    @property
    def level(self) -> str:
        """The PAdES baseline level the check found (B-LTA, or B-T for a certificate issued
        before long-term signatures and not renewed yet); blank when not timestamped."""
        if not self.timestamped:
            return ""
        return "B-LTA" if self.long_term else "B-T"


def check_signature(
    pdf: bytes, reader: PdfFileReader | None = None, *, as_issued: bool = False
) -> SignatureCheck:
    """Check the issuing signature of a PDF against our trust data. `reader`: the PDF already
    opened by the caller (reading it again costs a parse of its structure). `as_issued`: the
    caller found the bytes to be exactly a file we issued (by the SHA-256 recorded at issuance),
    so what follows the signed revision is the validation data and document timestamp we wrote
    ourselves, and the difference analysis of those revisions (a third of a check) is skipped.

    A B-LTA file is judged as of its timestamps (ETSI EN 319 102-1 LTA validation), so that a
    certificate signed with a key since expired or rotated still verifies; one signed before
    (B-T, no validation data) is judged now, as it always was.

    Never raises on bad input: an upload may be anything, and it gets a check that says "not
    valid". A missing trust root is a configuration error and does raise.
    """
    trust.trust_roots()
    trust.crls()
    try:
        reader = reader or PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        embedded = next(
            (sig for sig in signatures if sig.sig_object.get("/Type") != "/DocTimeStamp"), None
        )
        stamps = [sig for sig in signatures if sig.sig_object.get("/Type") == "/DocTimeStamp"]
    except Exception as exc:  # the parser meets hostile input here and may fail in any way
        logger.info("PDF to check could not be read: %r", exc)
        return SignatureCheck()
    if embedded is None:
        return SignatureCheck()
    try:
        signer = _common_name(embedded.signer_cert)
        later_stamps = [s for s in stamps if s.signed_revision > embedded.signed_revision]
        if later_stamps:
            return _check_long_term(embedded, later_stamps, signer, as_issued=as_issued)
        return _check_now(embedded, signer)
    except Exception as exc:
        logger.info("Signature could not be checked: %r", exc)
        return SignatureCheck(signed=True)


def _check_long_term(
    embedded: EmbeddedPdfSignature,
    stamps: list[EmbeddedPdfSignature],
    signer: str,
    *,
    as_issued: bool,
) -> SignatureCheck:
    spec = trust.lta_validation_spec()
    if as_issued:
        spec = dataclasses.replace(spec, diff_policy=None)
    newest = max(stamps, key=lambda s: s.signed_revision)
    # Judged as of the newest document timestamp, from the validation data the file carries (the
    # CRLs embedded with that timestamp are fresh then; the current ones would have pyHanko's
    # time-slide judge a TSA certificate that has since expired at the present time); then that
    # timestamp's TSA certificate at the present time, against the current CRLs.
    timing = long_term_timing(newest)
    # The coroutine is made where it runs: never left unawaited if the call fails first.
    result = _outside_event_loop(
        lambda: asyncio.run(ades_lta_validation(embedded, spec, timing_info=timing))
    )
    status = result.api_status
    if status is None:  # not even the signature's integrity could be established
        return SignatureCheck(signed=True, signer=signer)
    passed = result.ades_subindic == AdESPassed.OK and _outside_event_loop(
        trust.tsa_valid_now, newest.signer_cert, list(newest.other_embedded_certs)
    )
    stamp = status.timestamp_validity
    # The chain of document timestamps validated (each covers the one before, back to the
    # signature): pyHanko then names the oldest. Without it the signature is judged "now" only,
    # and a break in the chain is a change to the file.
    chain_sound = result.oldest_evidence_record_timestamp is not None
    timestamped = bool(passed and stamp and stamp.intact and stamp.valid and chain_sound)
    return SignatureCheck(
        signed=True,
        intact=status.intact and status.valid,
        whole_file=as_issued or status.modification_level in UNCHANGED,
        trusted=passed,
        # Trusted alone is not enough: our CA also issued the TSA's certificate (and may issue
        # others), and only the company's own signing certificates issue guarantees.
        by_company=passed and trust.is_company_cert(embedded.signer_cert),
        timestamped=timestamped,
        signed_at=stamp.timestamp if timestamped and stamp else None,
        signer=signer,
        long_term=True,
        document_timestamps=(tuple(sorted(_stamp_time(s) for s in stamps)) if timestamped else ()),
        proven_until=newest.signer_cert.not_valid_after if timestamped else None,
    )


def long_term_timing(newest: EmbeddedPdfSignature) -> ValidationTimingInfo:
    """The time a B-LTA file is judged at from the data it carries: its newest document
    timestamp's (never later than now)."""
    as_of = min(_stamp_time(newest), datetime.datetime.now(datetime.UTC))
    return ValidationTimingInfo(
        validation_time=as_of, best_signature_time=as_of, point_in_time_validation=True
    )


def _check_now(embedded: EmbeddedPdfSignature, signer: str) -> SignatureCheck:
    """A signature without validation data (B-T): judged at the present time."""
    # A context per check: pyHanko adds the certificates it meets to the context's registry,
    # and an upload's certificates must not outlive its request.
    context = ValidationContext(trust_roots=list(trust.trust_roots()), allow_fetching=False)
    status = _outside_event_loop(validate_pdf_signature, embedded, context)
    stamp = status.timestamp_validity
    timestamped = bool(stamp and stamp.intact and stamp.valid and stamp.trusted)
    return SignatureCheck(
        signed=True,
        intact=status.intact and status.valid,
        whole_file=status.modification_level in UNCHANGED,
        trusted=status.trusted,
        by_company=status.trusted and trust.is_company_cert(embedded.signer_cert),
        timestamped=timestamped,
        signed_at=stamp.timestamp if stamp is not None and timestamped else None,
        signer=signer,
    )


# The end of a revision: its %%EOF marker and the end-of-line after it, if any.
_REVISION_END = re.compile(rb"%%EOF(?:\r\n|\r|\n)?")


def revision_digests(pdf: bytes) -> set[str]:
    """The SHA-256 of the file and of each earlier revision (the bytes up to the end of each
    %%EOF). A certificate as issued is a prefix of every later copy of it: a document timestamp
    added afterwards is an incremental update, appended. One pass over the file, however many
    markers a hostile upload may hold."""
    digests = {hashlib.sha256(pdf).hexdigest()}
    running = hashlib.sha256()
    position = 0
    for match in _REVISION_END.finditer(pdf):
        running.update(pdf[position : match.end()])
        position = match.end()
        digests.add(running.copy().hexdigest())
    return digests


def _stamp_time(stamp: EmbeddedPdfSignature) -> datetime.datetime:
    return stamp.signed_data["encap_content_info"]["content"].parsed["gen_time"].native


def timestamper() -> timestamps.TimeStamper:
    """The TSA that timestamps signatures, for a document timestamp added later (renewal): the
    one configured (TSA_URL), or the local development TSA."""
    return _signer()[1]


@dataclass(frozen=True)
class Renewal:
    """A certificate PDF with one more document timestamp (guarantees.renewal)."""

    pdf: bytes
    # The new timestamp's TSA certificate's expiry: until when the renewed file is proven.
    proven_until: datetime.datetime
    # The file had no document timestamp (signed B-T): the renewal made it B-LTA.
    upgraded: bool


def renew_pdf(
    pdf: bytes, context: ValidationContext | None = None, paths: dict | None = None
) -> Renewal:
    """`pdf` with fresh validation data and a new document timestamp, appended as an incremental
    update (what PdfTimeStamper.update_archival_timestamp_chain does, in one revision: the
    validation data goes in before the timestamp, which covers every byte of the file).

    A file with document timestamps gets the validation data of its newest one (the TSA's chain
    and our CA's CRL, as they are now) and of the new one; a file signed B-T, without any, gets
    that of the signature and its timestamp: it is B-LTA from then on. The bytes before are left
    as they are, so the file as issued stays a prefix of every renewed copy.

    `context`: a validation context to reuse across a batch (trust.validation_context() by
    default); `paths`: a dict kept with it, where the validated chains of TSA certificates are
    kept for the next file stamped by the same TSA. Raises when the validation data cannot be gathered (an expired or unknown
    certificate, no current CRL) or the TSA does not answer.
    """
    context = context or trust.validation_context()
    known = {} if paths is None else paths
    return _outside_event_loop(lambda: asyncio.run(_renew(pdf, context, known)))


async def _renew(pdf: bytes, context: ValidationContext, known: dict) -> Renewal:
    from pyhanko.sign.general import extract_certificate_info
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info

    reader = PdfFileReader(BytesIO(pdf))
    stamps = reader.embedded_timestamp_signatures
    if stamps:
        # The chain of the newest timestamp only: the ones before are covered by it, with the
        # validation data each renewal added for them in its time.
        tsa_cert = stamps[-1].signer_cert
        if tsa_cert.sha256 not in known:
            known[tsa_cert.sha256] = await collect_validation_info(
                stamps[-1], context, skip_timestamp=True
            )
        paths = list(known[tsa_cert.sha256])
    else:
        signatures = reader.embedded_regular_signatures
        if not signatures:
            raise ValueError("the PDF carries no signature")
        # The signer's chain and its signature timestamp's, checked now: the signing
        # certificate must still be valid (certificates signed B-T are at most a few years old
        # when long-term signatures start).
        paths = await collect_validation_info(signatures[0], context)
    _, timestamper, bytes_reserved = _signer()
    keeping = _KeepingToken(timestamper)
    if timestamper not in known:
        known[timestamper] = [path async for path in timestamper.validation_paths(context)]
    paths += known[timestamper]
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    # The certificates of every path, and the current revocation data of the TSA's chain (the
    # TSA CA's CRL and the root's ARL): with it a validator judges the newest timestamp, once its
    # TSA certificate has expired, as of the timestamp added now (trust.TSA_REVOCATION). The
    # signing CA's CRL only for a B-T file, whose signer's chain has none yet (its certificate was
    # just checked valid): a CRL of the signer's issuer published once the signing certificate
    # has expired says nothing of it, yet being the newest it would be the one a validator's
    # time-slide judges the signature by, at a time its certificate had expired. That is why the
    # TSA's certificates have an issuing CA of their own.
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=paths, crls=list(trust.tsa_crls() if stamps else trust.crls())
    )
    output = await PdfTimeStamper(cast(timestamps.TimeStamper, keeping)).async_timestamp_pdf(
        writer, "sha256", None, bytes_reserved=bytes_reserved, in_place=True
    )
    assert keeping.token is not None
    tsa_cert = extract_certificate_info(keeping.token["content"]).signer_cert
    return Renewal(
        pdf=output.getvalue(), proven_until=tsa_cert.not_valid_after, upgraded=not stamps
    )


class _KeepingToken:
    """A timestamper that remembers the last token it gave (its TSA certificate says until when
    the renewed file is proven), without reading the renewed file again."""

    def __init__(self, inner: timestamps.TimeStamper):
        self._inner = inner
        self.token: cms.ContentInfo | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        self.token = await self._inner.async_timestamp(message_digest, md_algorithm)
        return self.token


def proven_until(pdf: bytes) -> datetime.datetime | None:
    """Until when the newest document timestamp of `pdf` proves it (its TSA certificate's
    expiry); None without a document timestamp (a B-T file). Reads, does not validate."""
    stamps = PdfFileReader(BytesIO(pdf), strict=False).embedded_timestamp_signatures
    return stamps[-1].signer_cert.not_valid_after if stamps else None


def timestamper_expiry() -> datetime.datetime | None:
    """When the certificate of the TSA that stamps renewals expires: known for the local TSA,
    None for a remote one (its certificate comes with each token)."""
    if settings.TSA_URL:
        return None
    return trust.tsa_certs()[0].not_valid_after


def trust_fingerprint() -> str:
    """A short name for what checks are made against (guarantees.trust.fingerprint)."""
    return trust.fingerprint()


def reset_signer() -> None:
    """Forget the loaded keys, certificates and trust data (they are read again when needed)."""
    _signer.cache_clear()
    trust.reset()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs: object) -> None:
    if setting in trust.PKI_SETTINGS:
        reset_signer()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _outside_event_loop(func: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """Call one of pyHanko's blocking functions. They use asyncio.run, which refuses to start
    inside a running event loop (an async caller; Playwright's sync API in the browser tests):
    there, the call runs on a thread of its own while this one waits."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


@functools.cache
def _signer() -> tuple[signers.SimpleSigner, timestamps.TimeStamper, int]:
    certs = trust.signing_certs()
    # An ECDSA key: pyHanko parses it again for each signature, which costs microseconds for
    # ECDSA (an RSA key would cost ~34 ms each time).
    key = load_private_key_from_pemder_data(_read(settings.SIGNING_KEY_PATH), passphrase=None)
    # The file may hold the certificate followed by its intermediates; they go into the
    # signature, with the roots, so that a validator can build the chain.
    chain = SimpleCertificateStore.from_certs([*certs[1:], *trust.trust_roots()])
    signer = signers.SimpleSigner(signing_cert=certs[0], signing_key=key, cert_registry=chain)
    timestamper: timestamps.TimeStamper
    if settings.TSA_URL:
        timestamper = timestamps.HTTPTimeStamper(settings.TSA_URL)
        bytes_reserved = REMOTE_TSA_BYTES_RESERVED
    else:
        timestamper = LocalTimeStamper(
            tsa_cert=trust.tsa_certs()[0],
            tsa_key=serialization.load_pem_private_key(_read(settings.TSA_KEY_PATH), password=None),
            # The token carries the TSA's issuing CA, as a real TSA's does: a validator builds
            # the chain to the root from the token alone.
            chain=trust.tsa_ca_certs(),
        )
        bytes_reserved = LOCAL_TSA_BYTES_RESERVED
    # One timestamper for every signature and document timestamp: it keeps its size estimate.
    return signer, timestamper, bytes_reserved


class LocalTimeStamper(timestamps.DummyTimeStamper):
    """An in-process RFC 3161 time-stamping authority for development and tests.

    pyHanko's DummyTimeStamper parses (and so re-checks) its RSA key for every stamp, about 34 ms;
    this one signs with the key it was given, loaded once.
    """

    def __init__(
        self,
        *,
        tsa_cert: asn1_x509.Certificate,
        tsa_key: PrivateKeyTypes,
        chain: tuple[asn1_x509.Certificate, ...] = (),
    ) -> None:
        if not isinstance(tsa_key, RSAPrivateKey):
            raise ImproperlyConfigured(
                f"{settings.TSA_KEY_PATH}: the local time-stamping authority needs an RSA key."
            )
        der = tsa_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        super().__init__(
            tsa_cert=tsa_cert,
            tsa_key=asn1_keys.PrivateKeyInfo.load(der),
            certs_to_embed=SimpleCertificateStore.from_certs(chain),
        )
        self._rsa_key = tsa_key
        # The same for every token; held parsed from DER, asn1crypto dumps it without encoding
        # the certificate's names again (~4 ms a stamp otherwise).
        self._certificate_attr = cms.CMSAttribute.load(
            simple_cms_attribute(
                "signing_certificate_v2", as_signing_certificate_v2(tsa_cert)
            ).dump()
        )

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime.datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        # RFC 3161 §2.4.2 and RFC 5035: the token's signed attributes name the content type,
        # its digest, and the TSA certificate (ESS signing-certificate-v2).
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("message_digest", digest.finalize()),
                self._certificate_attr,
            ]
        )
        signature = self._rsa_key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm)
        )
        return signature, signed_attrs


def _read(path: Path) -> bytes:
    return trust.read_pki_file(path)


def _common_name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    return subject.get("common_name") or cert.subject.human_friendly
