"""manage.py make_dev_ca: the development PKI (a root CA, under it a signing CA and a TSA CA, each
with its CRL), the company's signing certificate and the TSA's."""

import datetime
import io
import stat

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from django.core.management.base import CommandError

KEYS = (
    "ROOT_CA_KEY_PATH",
    "SIGNING_CA_KEY_PATH",
    "TSA_CA_KEY_PATH",
    "SIGNING_KEY_PATH",
    "TSA_KEY_PATH",
)
CERTS = ("SIGNING_CA_PATH", "SIGNING_CERT_PATH", "TSA_CA_CERT_PATH", "TSA_CERT_PATH")
CRLS = ("ROOT_CRL_PATH", "SIGNING_CRL_PATH", "TSA_CRL_PATH")
PUBLIC = (*CERTS, *CRLS)


@pytest.fixture
def pki(settings, tmp_path):
    """The PKI settings pointed at an empty directory; the paths by setting name (the previous
    signing certificates' file is not written until a rotation)."""
    paths = {name: tmp_path / "pki" / f"{name.lower()}.pem" for name in (*KEYS, *PUBLIC)}
    for name, path in paths.items():
        setattr(settings, name, path)
    settings.PKI_DIR = tmp_path / "pki"
    settings.SIGNING_PREVIOUS_CERTS_PATH = tmp_path / "pki" / "previous.pem"
    return paths


def make_dev_ca(*args) -> str:
    out = io.StringIO()
    call_command("make_dev_ca", *args, stdout=out)
    return out.getvalue()


def cert(path, index: int = 0) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[index]


def signing_ca(pki) -> x509.Certificate:
    """The signing CA's certificate: it follows the company's in the signing certificate's file."""
    return cert(pki["SIGNING_CERT_PATH"], 1)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_it_writes_a_root_two_cas_under_it_and_the_certificates_they_issued(pki, settings):
    assert "作成しました" in make_dev_ca()

    root = cert(pki["SIGNING_CA_PATH"])
    assert root.subject == root.issuer
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    root.verify_directly_issued_by(root)
    assert x509.load_pem_x509_certificates(pki["SIGNING_CA_PATH"].read_bytes()) == [root]
    for ca in (signing_ca(pki), cert(pki["TSA_CA_CERT_PATH"])):
        ca.verify_directly_issued_by(root)
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert constraints.ca and constraints.path_length == 0
    assert signing_ca(pki).subject != cert(pki["TSA_CA_CERT_PATH"]).subject
    ca = signing_ca(pki)

    signing = cert(pki["SIGNING_CERT_PATH"])
    signing.verify_directly_issued_by(ca)
    company = settings.SURETY_COMPANY["name"]
    assert signing.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == company
    assert signing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == company
    assert signing.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment  # non-repudiation
    assert not signing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    signing_key = serialization.load_pem_private_key(
        pki["SIGNING_KEY_PATH"].read_bytes(), password=None
    )
    assert isinstance(signing_key, ec.EllipticCurvePrivateKey)
    assert signing_key.curve.name == "secp256r1"
    assert signing_key.public_key() == signing.public_key()

    tsa = cert(pki["TSA_CERT_PATH"])
    tsa.verify_directly_issued_by(cert(pki["TSA_CA_CERT_PATH"]))
    purposes = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert purposes.critical
    assert list(purposes.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    tsa_key = serialization.load_pem_private_key(pki["TSA_KEY_PATH"].read_bytes(), password=None)
    assert isinstance(tsa_key, rsa.RSAPrivateKey)
    assert tsa_key.public_key() == tsa.public_key()


def test_private_keys_are_readable_by_their_owner_only(pki):
    make_dev_ca()

    assert {mode(pki[name]) for name in KEYS} == {0o600}
    assert {mode(pki[name]) for name in PUBLIC} == {0o644}


def test_a_second_run_leaves_the_files_alone(pki):
    make_dev_ca()
    before = {name: path.read_bytes() for name, path in pki.items()}

    assert "作成済み" in make_dev_ca()

    assert {name: path.read_bytes() for name, path in pki.items()} == before


def test_force_writes_a_new_set_with_private_keys_still_private(pki):
    make_dev_ca()
    before = {name: path.read_bytes() for name, path in pki.items()}
    pki["SIGNING_KEY_PATH"].chmod(0o644)

    assert "作成しました" in make_dev_ca("--force")

    assert all(path.read_bytes() != before[name] for name, path in pki.items())
    cert(pki["SIGNING_CERT_PATH"]).verify_directly_issued_by(signing_ca(pki))
    signing_ca(pki).verify_directly_issued_by(cert(pki["SIGNING_CA_PATH"]))
    assert {mode(pki[name]) for name in KEYS} == {0o600}
    assert list(pki["SIGNING_KEY_PATH"].parent.glob(".*")) == []  # no temporary files left


def test_an_incomplete_set_is_not_patched_up(pki):
    make_dev_ca()
    pki["TSA_KEY_PATH"].unlink()
    ca = pki["SIGNING_CA_PATH"].read_bytes()

    with pytest.raises(CommandError, match="--force"):
        make_dev_ca()

    assert not pki["TSA_KEY_PATH"].exists()
    assert pki["SIGNING_CA_PATH"].read_bytes() == ca


def years(cert: x509.Certificate) -> float:
    return (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365


def test_it_mirrors_a_real_pki_a_long_lived_ca_with_a_crl_and_short_lived_leaves(pki):
    make_dev_ca()

    root = cert(pki["SIGNING_CA_PATH"])
    assert years(root) >= 20
    assert years(signing_ca(pki)) >= 20 and years(cert(pki["TSA_CA_CERT_PATH"])) >= 20
    assert 1.9 < years(cert(pki["SIGNING_CERT_PATH"])) < 2.1
    assert 9.9 < years(cert(pki["TSA_CERT_PATH"])) < 10.1
    # Each CA publishes its own CRL, nothing revoked; the root's (its ARL) speaks of the two CAs.
    issuers = {
        "ROOT_CRL_PATH": root,
        "SIGNING_CRL_PATH": signing_ca(pki),
        "TSA_CRL_PATH": cert(pki["TSA_CA_CERT_PATH"]),
    }
    for name, issuer in issuers.items():
        crl = x509.load_der_x509_crl(pki[name].read_bytes())
        assert crl.is_signature_valid(issuer.public_key())
        assert crl.issuer == issuer.subject
        assert list(crl) == []
    # Each certificate names where its issuer publishes the CRL.
    published = {
        (pki["SIGNING_CERT_PATH"], 0): "/pki/signing-ca.crl",
        (pki["SIGNING_CERT_PATH"], 1): "/pki/root-ca.crl",
        (pki["TSA_CA_CERT_PATH"], 0): "/pki/root-ca.crl",
        (pki["TSA_CERT_PATH"], 0): "/pki/tsa-ca.crl",
    }
    for (path, index), where in published.items():
        points = cert(path, index).extensions.get_extension_for_class(x509.CRLDistributionPoints)
        assert points.value[0].full_name[0].value.endswith(where)


def test_rotate_makes_a_new_signing_pair_and_keeps_the_old_certificate(pki, settings):
    make_dev_ca()
    before = {name: path.read_bytes() for name, path in pki.items()}
    first = cert(pki["SIGNING_CERT_PATH"])

    assert "新しくしました" in make_dev_ca("--rotate")

    second = cert(pki["SIGNING_CERT_PATH"])
    assert second != first and second.public_key() != first.public_key()
    second.verify_directly_issued_by(signing_ca(pki))
    assert pki["SIGNING_KEY_PATH"].read_bytes() != before["SIGNING_KEY_PATH"]
    assert mode(pki["SIGNING_KEY_PATH"]) == 0o600
    for name in (*KEYS, *CERTS):
        if name in ("SIGNING_KEY_PATH", "SIGNING_CERT_PATH"):
            continue
        assert pki[name].read_bytes() == before[name]
    previous = settings.SIGNING_PREVIOUS_CERTS_PATH
    assert x509.load_pem_x509_certificates(previous.read_bytes()) == [first]

    make_dev_ca("--rotate")

    # Newest first, none lost.
    assert x509.load_pem_x509_certificates(previous.read_bytes()) == [second, first]


def test_a_crl_near_its_next_update_is_published_again_and_nothing_else(pki):
    make_dev_ca()
    before = {name: path.read_bytes() for name, path in pki.items()}
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=25)

    with time_machine.travel(later, tick=False):
        assert "CRL" in make_dev_ca()

    for name, issuer in (
        ("ROOT_CRL_PATH", cert(pki["SIGNING_CA_PATH"])),
        ("SIGNING_CRL_PATH", signing_ca(pki)),
        ("TSA_CRL_PATH", cert(pki["TSA_CA_CERT_PATH"])),
    ):
        crl = x509.load_der_x509_crl(pki[name].read_bytes())
        assert crl.last_update_utc > later - datetime.timedelta(hours=1)
        assert crl.is_signature_valid(issuer.public_key())
    for name in (*KEYS, *CERTS):
        assert pki[name].read_bytes() == before[name]


def test_an_expired_signing_certificate_is_replaced_by_a_run(pki, settings):
    make_dev_ca()
    first = cert(pki["SIGNING_CERT_PATH"])

    with time_machine.travel(first.not_valid_after_utc + datetime.timedelta(days=1), tick=False):
        make_dev_ca()

    assert cert(pki["SIGNING_CERT_PATH"]) != first
    assert x509.load_pem_x509_certificates(settings.SIGNING_PREVIOUS_CERTS_PATH.read_bytes()) == [
        first
    ]


def test_an_old_single_ca_layout_is_named_and_replaced_with_force(pki, settings):
    """The earlier layout (one CA issuing the signing and TSA certificates, ca-cert.pem, ca.crl):
    a run says what it is and how to replace it; --force writes the new set."""
    make_dev_ca()
    company = cert(pki["SIGNING_CERT_PATH"])
    pki["SIGNING_CERT_PATH"].write_bytes(company.public_bytes(serialization.Encoding.PEM))
    for name in ("ROOT_CA_KEY_PATH", "ROOT_CRL_PATH", "TSA_CA_CERT_PATH", "TSA_CA_KEY_PATH"):
        pki[name].unlink()
    old_ca = settings.PKI_DIR / "ca-cert.pem"
    old_ca.write_bytes(b"")

    with pytest.raises(CommandError, match=r"以前の形.*--force"):
        make_dev_ca()

    assert "作成しました" in make_dev_ca("--force")
    assert all(pki[name].exists() for name in (*KEYS, *PUBLIC))
    assert not old_ca.exists()
    assert "作成済み" in make_dev_ca()
