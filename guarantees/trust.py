"""What the company's signatures are judged against: our CA (the only trust root), its CRL, the
company's signing certificates (the current one and those of keys since rotated) and the TSA's.

Signing (the validation data embedded at B-LTA), the renewal of document timestamps and the
verification of uploads all take their validation context and policy from here, so that what is
embedded is exactly what is later checked.

The files are read once per process (a worker signs thousands of certificates; the public verify
page must answer in tens of milliseconds) and dropped again by `reset()`, which Django's
setting_changed signal calls when a test points the PKI settings elsewhere.
"""

import functools
import hashlib
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

PKI_SETTINGS = {
    "SIGNING_KEY_PATH",
    "SIGNING_CERT_PATH",
    "SIGNING_CA_PATH",
    "SIGNING_CRL_PATH",
    "SIGNING_PREVIOUS_CERTS_PATH",
    "TSA_URL",
    "TSA_KEY_PATH",
    "TSA_CERT_PATH",
    "SURETY_COMPANY",
}

# Every certificate our CA issues names a CRL, and the CRL is what the signature carries: the
# signer's chain is checked against it as of the signing time.
SIGNER_REVOCATION = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CRL_REQUIRED,
)
# The TSA's certificates are judged by their validity period and chain only. The newest document
# timestamp is validated at the present time, and a CRL embedded at issuance stops being "fresh"
# after a month: requiring it would make every certificate unprovable between two renewals, which
# is what the renewal's margin on the TSA certificate's expiry is for. (A compromised TSA is
# answered by a new CA, not by a CRL entry.)
TSA_REVOCATION = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.NO_CHECK,
    intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
)


@functools.cache
def trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    return tuple(_load_certs(settings.SIGNING_CA_PATH))


@functools.cache
def signing_certs() -> tuple[asn1_x509.Certificate, ...]:
    """The company's current signing certificate, then its intermediates (the signing key is not
    read: a process that only checks signatures need not have it)."""
    return tuple(_load_certs(settings.SIGNING_CERT_PATH))


@functools.cache
def previous_signing_certs() -> tuple[asn1_x509.Certificate, ...]:
    """The company's signing certificates of keys since rotated, newest first (none before the
    first rotation): what they signed is still the company's."""
    path = Path(settings.SIGNING_PREVIOUS_CERTS_PATH)
    if not path.exists():
        return ()
    return tuple(load_certs_from_pemder_data(path.read_bytes()))


@functools.cache
def company_cert_digests() -> frozenset[bytes]:
    """The SHA-256 of each certificate the company has signed certificates with."""
    return frozenset(
        hashlib.sha256(cert.dump()).digest()
        for cert in (signing_certs()[0], *previous_signing_certs())
    )


def is_company_cert(cert: asn1_x509.Certificate) -> bool:
    return hashlib.sha256(cert.dump()).digest() in company_cert_digests()


@functools.cache
def tsa_certs() -> tuple[asn1_x509.Certificate, ...]:
    """The local TSA's certificate when there is one (with a remote TSA the token carries it)."""
    path = Path(settings.TSA_CERT_PATH)
    if settings.TSA_URL and not path.exists():
        return ()
    return tuple(_load_certs(path))


@functools.cache
def crls() -> tuple[asn1_crl.CertificateList, ...]:
    """Our CA's CRL as it publishes it (DER or PEM)."""
    data = _read(settings.SIGNING_CRL_PATH)
    if pem.detect(data):
        return tuple(asn1_crl.CertificateList.load(der) for _, _, der in pem.unarmor(data, True))
    return (asn1_crl.CertificateList.load(data),)


def known_certs() -> list[asn1_x509.Certificate]:
    """Every certificate of our PKI but the roots: intermediates, the company's (current and
    previous) and the TSA's."""
    return [*signing_certs(), *previous_signing_certs(), *tsa_certs()]


def validation_context() -> ValidationContext:
    """A new context (pyHanko adds to it what it meets and caches results in it, so one is not
    shared between documents), offline: everything it needs is held here."""
    return ValidationContext(
        trust_roots=list(trust_roots()),
        crls=list(crls()),
        other_certs=known_certs(),
        allow_fetching=False,
        revocation_mode="require",
    )


def lta_validation_spec() -> PdfSignatureValidationSpec:
    """How a signature is judged as of its timestamps (ETSI EN 319 102-1 LTA validation): our
    CA as the only trust root, the validation data from the PDF itself, never the network."""
    manager = SimpleTrustManager.build(trust_roots=trust_roots())
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=manager, revinfo_policy=CertRevTrustPolicy(SIGNER_REVOCATION)
            ),
            ts_cert_validation_policy=CertValidationPolicySpec(
                trust_manager=manager, revinfo_policy=CertRevTrustPolicy(TSA_REVOCATION)
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            # Certificates the PDF may not carry (an older file; a rotation since): the chain
            # is built from these too. The CRLs are not added: a CRL published after a
            # certificate expired says nothing of it, and the PDF carries the one of its time.
            local_knowledge=LocalKnowledge(known_certs=known_certs()),
        )
    )


@functools.cache
def fingerprint() -> str:
    """A short name for what checks are made against (trust roots, CRL, the company's current and
    previous certificates): a result kept under it is not reused once any of them changes."""
    material = b"".join(
        item.dump()
        for item in (*trust_roots(), *crls(), *signing_certs(), *previous_signing_certs())
    )
    return hashlib.sha256(material).hexdigest()[:16]


def reset() -> None:
    """Forget what was read (it is read again when needed)."""
    for cached in (
        trust_roots,
        signing_certs,
        previous_signing_certs,
        company_cert_digests,
        tsa_certs,
        crls,
        fingerprint,
    ):
        cached.cache_clear()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs: object) -> None:
    if setting in PKI_SETTINGS:
        reset()


def _load_certs(path: Path) -> list[asn1_x509.Certificate]:
    certs = list(load_certs_from_pemder_data(_read(path)))
    if not certs:
        raise ImproperlyConfigured(f"{path} holds no certificate.")
    return certs


def read_pki_file(path: Path) -> bytes:
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{path} is missing: run `manage.py make_dev_ca` to create the development signing "
            "certificates, or point SIGNING_KEY_PATH, SIGNING_CERT_PATH, SIGNING_CA_PATH, "
            "SIGNING_CRL_PATH, TSA_KEY_PATH and TSA_CERT_PATH at the real ones."
        ) from None
