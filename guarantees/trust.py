"""What the company's signatures are judged against: our root CA (the only trust root), the CRLs
of the root and of the two CAs under it (the signing CA's and the TSA CA's), the company's signing
certificates (the current one and those of keys since rotated) and the TSA's.

Signing (the validation data embedded at B-LTA), the renewal of document timestamps and the
verification of uploads all take their validation context and policy from here, so that what is
embedded is exactly what is later checked.

The files are read once per process (a worker signs thousands of certificates; the public verify
page must answer in tens of milliseconds) and dropped again by `reset()`, which Django's
setting_changed signal calls when a test points the PKI settings elsewhere.
"""

import asyncio
import functools
import hashlib
import logging
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
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

logger = logging.getLogger(__name__)

PKI_SETTINGS = {
    "SIGNING_KEY_PATH",
    "SIGNING_CERT_PATH",
    "SIGNING_CA_PATH",
    "SIGNING_CRL_PATH",
    "ROOT_CRL_PATH",
    "SIGNING_PREVIOUS_CERTS_PATH",
    "TSA_URL",
    "TSA_KEY_PATH",
    "TSA_CERT_PATH",
    "TSA_CA_CERT_PATH",
    "TSA_CRL_PATH",
    "SURETY_COMPANY",
}

# Every certificate our CAs issue names a CRL, and the CRLs are what the signature carries: the
# signer's chain is checked against them as of the signing time.
SIGNER_REVOCATION = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CRL_REQUIRED,
)
# The TSA's chain is checked against CRLs too. A file is judged as of its newest document
# timestamp, with the validation data it carries (the CRLs embedded just before that timestamp
# are fresh then); pyHanko's time-slide judges the timestamp of a TSA certificate since expired as
# of the newer timestamp only with revocation data for that certificate, which each renewal embeds
# (the TSA CA's CRL and the root's ARL of its time: they speak of the TSA's chain only, never of
# the signer's). The newest timestamp itself is then judged at the present time against the
# current CRLs of the TSA's chain (tsa_valid_now).
TSA_REVOCATION = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CRL_REQUIRED,
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
    """The local TSA's certificate when there is one (with a remote TSA the token carries it),
    then those of its keys since rotated."""
    path = Path(settings.TSA_CERT_PATH)
    if settings.TSA_URL and not path.exists():
        return ()
    return tuple(_load_certs(path))


@functools.cache
def tsa_ca_certs() -> tuple[asn1_x509.Certificate, ...]:
    """The CA that issues the TSA's certificates (a remote TSA's token may carry it instead)."""
    path = Path(settings.TSA_CA_CERT_PATH)
    if settings.TSA_URL and not path.exists():
        return ()
    return tuple(_load_certs(path))


@functools.cache
def signer_crls() -> tuple[asn1_crl.CertificateList, ...]:
    """The signing CA's current CRL, as it publishes it (DER or PEM)."""
    return _load_crls(Path(settings.SIGNING_CRL_PATH))


@functools.cache
def tsa_crls() -> tuple[asn1_crl.CertificateList, ...]:
    """The current revocation data of the TSA's chain: the TSA CA's CRL and the root's ARL (which
    also speaks of the signing CA, a CA certificate that stays valid for decades)."""
    path = Path(settings.TSA_CRL_PATH)
    own = () if settings.TSA_URL and not path.exists() else _load_crls(path)
    return (*own, *_load_crls(Path(settings.ROOT_CRL_PATH)))


def crls() -> tuple[asn1_crl.CertificateList, ...]:
    """Every current CRL of our PKI: what a signature carries when it is made."""
    return (*signer_crls(), *tsa_crls())


def known_certs() -> list[asn1_x509.Certificate]:
    """Every certificate of our PKI but the roots: intermediates, the company's (current and
    previous) and the TSA's."""
    return [*signing_certs(), *previous_signing_certs(), *tsa_certs(), *tsa_ca_certs()]


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


def tsa_valid_now(tsa_cert: asn1_x509.Certificate, others: list[asn1_x509.Certificate]) -> bool:
    """Whether a TSA certificate is valid at the present time for time-stamping, its chain
    checked against the current CRLs of the TSA CA and the root (read from our files, never the
    network; a CRL past its nextUpdate is no proof). `others`: the certificates a token
    carries."""
    context = ValidationContext(
        trust_roots=list(trust_roots()),
        crls=list(tsa_crls()),
        other_certs=[*known_certs(), *others],
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(TSA_REVOCATION),
    )
    validator = CertificateValidator(tsa_cert, validation_context=context)
    try:
        asyncio.run(validator.async_validate_usage(set(), extended_key_usage={"time_stamping"}))
    except (PathBuildingError, PathValidationError, ValidationError) as exc:
        logger.info("The newest timestamp's TSA certificate does not hold now: %r", exc)
        return False
    return True


@functools.cache
def fingerprint() -> str:
    """A short name for what checks are made against (trust roots, CRL, the company's current and
    previous certificates): a result kept under it is not reused once any of them changes."""
    material = b"".join(
        item.dump()
        for item in (
            *trust_roots(),
            *crls(),
            *signing_certs(),
            *previous_signing_certs(),
            *tsa_ca_certs(),
        )
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
        tsa_ca_certs,
        signer_crls,
        tsa_crls,
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


def _load_crls(path: Path) -> tuple[asn1_crl.CertificateList, ...]:
    data = _read(path)
    if pem.detect(data):
        return tuple(asn1_crl.CertificateList.load(der) for _, _, der in pem.unarmor(data, True))
    return (asn1_crl.CertificateList.load(data),)


def read_pki_file(path: Path) -> bytes:
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{path} is missing: run `manage.py make_dev_ca` to create the development signing "
            "certificates, or point SIGNING_KEY_PATH, SIGNING_CERT_PATH, SIGNING_CA_PATH, "
            "SIGNING_CRL_PATH, ROOT_CRL_PATH, TSA_KEY_PATH, TSA_CERT_PATH, TSA_CA_CERT_PATH and "
            "TSA_CRL_PATH at the real ones."
        ) from None
