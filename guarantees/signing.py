"""PAdES B-T signatures on certificate PDFs, and the check of a signature on a PDF someone uploads.

The keys, certificates and trust roots are read once per process (a worker signs thousands of
certificates; the public verify page must answer in tens of milliseconds) and dropped again by
`reset_signer()`, which Django's setting_changed signal calls when a test points the PKI settings
elsewhere.
"""

import asyncio
import datetime
import functools
import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import ParamSpec, TypeVar

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
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "SuretySignature"
SIGNATURE_REASON = "保証証書の発行"

# Room for the CMS signature in the PDF, so pyHanko need not make a dry-run signature to size it.
# Ours takes about 4 KB (ECDSA signer and CA certificates, a timestamp token with the RSA TSA
# certificate); a real TSA may add its own chain, of a size we cannot know.
LOCAL_TSA_BYTES_RESERVED = 8192
REMOTE_TSA_BYTES_RESERVED = 16384

PKI_SETTINGS = {
    "SIGNING_KEY_PATH",
    "SIGNING_CERT_PATH",
    "SIGNING_CA_PATH",
    "TSA_URL",
    "TSA_KEY_PATH",
    "TSA_CERT_PATH",
    "SURETY_COMPANY",
}

# What the signed revision may have after it and still be the document we signed: nothing, or
# validation data (DSS, document timestamps) that adds no content.
UNCHANGED = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}


def sign_pdf(pdf: bytes) -> bytes:
    """The PDF with the company's PAdES B-T signature: signed, then timestamped by the TSA."""
    pdf_signer, bytes_reserved = _pdf_signer()
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
    trusted: bool = False  # the signer's certificate chains to our CA
    by_company: bool = False  # the signer's certificate is the company's signing certificate
    timestamped: bool = False  # a sound timestamp token from a TSA that chains to our CA
    signed_at: datetime.datetime | None = None  # the timestamp's time, when timestamped
    signer: str = ""  # the signer certificate's subject (common name), whether trusted or not

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


def check_signature(pdf: bytes, reader: PdfFileReader | None = None) -> SignatureCheck:
    """Check the first (the issuing) signature of a PDF against our trust roots. `reader`: the
    PDF already opened by the caller (reading it again costs a parse of its structure).

    Never raises on bad input: an upload may be anything, and it gets a check that says "not
    valid". A missing trust root is a configuration error and does raise.
    """
    trust_roots = _trust_roots()
    try:
        reader = reader or PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # the parser meets hostile input here and may fail in any way
        logger.info("PDF to check could not be read: %r", exc)
        return SignatureCheck()
    if not signatures:
        return SignatureCheck()
    embedded = signatures[0]
    try:
        signer = _common_name(embedded.signer_cert)
        # A context per check: pyHanko adds the certificates it meets to the context's registry,
        # and an upload's certificates must not outlive its request.
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        status = _outside_event_loop(validate_pdf_signature, embedded, context)
    except Exception as exc:
        logger.info("Signature could not be checked: %r", exc)
        return SignatureCheck(signed=True)
    stamp = status.timestamp_validity
    timestamped = bool(stamp and stamp.intact and stamp.valid and stamp.trusted)
    return SignatureCheck(
        signed=True,
        intact=status.intact and status.valid,
        whole_file=status.modification_level in UNCHANGED,
        trusted=status.trusted,
        # Trusted alone is not enough: our CA also issued the TSA's certificate (and may issue
        # others), and only the company's own signing certificate issues guarantees.
        by_company=status.trusted and embedded.signer_cert.dump() == _signing_certs()[0].dump(),
        timestamped=timestamped,
        signed_at=stamp.timestamp if stamp is not None and timestamped else None,
        signer=signer,
    )


@functools.cache
def trust_fingerprint() -> str:
    """A short name for what checks are made against (trust roots, the company's certificate):
    a result kept under it is not reused once either changes."""
    material = b"".join(cert.dump() for cert in (*_trust_roots(), _signing_certs()[0]))
    return hashlib.sha256(material).hexdigest()[:16]


def reset_signer() -> None:
    """Forget the loaded keys, certificates and trust roots (they are read again when needed)."""
    _pdf_signer.cache_clear()
    _signing_certs.cache_clear()
    trust_fingerprint.cache_clear()
    _trust_roots.cache_clear()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs: object) -> None:
    if setting in PKI_SETTINGS:
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
def _pdf_signer() -> tuple[signers.PdfSigner, int]:
    certs = _signing_certs()
    # An ECDSA key: pyHanko parses it again for each signature, which costs microseconds for
    # ECDSA (an RSA key would cost ~34 ms each time).
    key = load_private_key_from_pemder_data(_read(settings.SIGNING_KEY_PATH), passphrase=None)
    # The file may hold the certificate followed by its intermediates; they go into the
    # signature, with the roots, so that a validator can build the chain.
    chain = SimpleCertificateStore.from_certs([*certs[1:], *_trust_roots()])
    signer = signers.SimpleSigner(signing_cert=certs[0], signing_key=key, cert_registry=chain)
    company = settings.SURETY_COMPANY
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SIGNATURE_REASON,
        location=company["address"],
        name=company["name"],
    )
    timestamper: timestamps.TimeStamper
    if settings.TSA_URL:
        timestamper = timestamps.HTTPTimeStamper(settings.TSA_URL)
        bytes_reserved = REMOTE_TSA_BYTES_RESERVED
    else:
        timestamper = LocalTimeStamper(
            tsa_cert=_load_certs(settings.TSA_CERT_PATH)[0],
            tsa_key=serialization.load_pem_private_key(_read(settings.TSA_KEY_PATH), password=None),
        )
        bytes_reserved = LOCAL_TSA_BYTES_RESERVED
    return signers.PdfSigner(metadata, signer, timestamper=timestamper), bytes_reserved


class LocalTimeStamper(timestamps.DummyTimeStamper):
    """An in-process RFC 3161 time-stamping authority for development and tests.

    pyHanko's DummyTimeStamper parses (and so re-checks) its RSA key for every stamp, about 34 ms;
    this one signs with the key it was given, loaded once.
    """

    def __init__(self, *, tsa_cert: asn1_x509.Certificate, tsa_key: PrivateKeyTypes) -> None:
        if not isinstance(tsa_key, RSAPrivateKey):
            raise ImproperlyConfigured(
                f"{settings.TSA_KEY_PATH}: the local time-stamping authority needs an RSA key."
            )
        der = tsa_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        super().__init__(tsa_cert=tsa_cert, tsa_key=asn1_keys.PrivateKeyInfo.load(der))
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


@functools.cache
def _signing_certs() -> tuple[asn1_x509.Certificate, ...]:
    """The company's signing certificate, then its intermediates (the signing key is not read:
    a process that only checks signatures need not have it)."""
    return tuple(_load_certs(settings.SIGNING_CERT_PATH))


@functools.cache
def _trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    return tuple(_load_certs(settings.SIGNING_CA_PATH))


def _load_certs(path: Path) -> list[asn1_x509.Certificate]:
    certs = list(load_certs_from_pemder_data(_read(path)))
    if not certs:
        raise ImproperlyConfigured(f"{path} holds no certificate.")
    return certs


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{path} is missing: run `manage.py make_dev_ca` to create the development signing "
            "certificates, or point SIGNING_KEY_PATH, SIGNING_CERT_PATH, SIGNING_CA_PATH, "
            "TSA_KEY_PATH and TSA_CERT_PATH at the real ones."
        ) from None


def _common_name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    return subject.get("common_name") or cert.subject.human_friendly
