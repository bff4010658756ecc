import io
import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings

from netdesk.celery import app as celery_app
from tests.factories import (
    CONTRACT_DAY,
    PERIOD_END_DAY,
    BranchFactory,
    ContractorFactory,
    ElectronicObligeeFactory,
    ObligeeFactory,
    UserFactory,
    days_from_today,
)


@pytest.fixture(autouse=True, scope="session")
def _tasks_in_process():
    """The suite runs Celery tasks in-process (eager), also when REDIS_URL is set (as in CI):
    a test sees a task's effects as soon as the transaction's on_commit callbacks run. Only the
    real-worker tests switch this off (tests/integration/conftest.py, `celery_worker`)."""
    celery_app.conf.task_always_eager = True


@pytest.fixture(scope="session", autouse=True)
def dev_pki(tmp_path_factory):
    """A development PKI (root, signing and TSA CAs, signing key and TSA key), made once per test
    session; the PKI settings
    point at them for the whole session, so no test reads or writes var/pki."""
    pki = tmp_path_factory.mktemp("pki")
    with override_settings(
        PKI_DIR=pki,
        SIGNING_KEY_PATH=pki / "signing-key.pem",
        SIGNING_CERT_PATH=pki / "signing-cert.pem",
        SIGNING_CA_PATH=pki / "root-ca-cert.pem",
        ROOT_CA_KEY_PATH=pki / "root-ca-key.pem",
        ROOT_CRL_PATH=pki / "root-ca.crl",
        SIGNING_CA_KEY_PATH=pki / "signing-ca-key.pem",
        SIGNING_CRL_PATH=pki / "signing-ca.crl",
        SIGNING_PREVIOUS_CERTS_PATH=pki / "previous-signing-certs.pem",
        TSA_URL="",
        TSA_KEY_PATH=pki / "tsa-key.pem",
        TSA_CERT_PATH=pki / "tsa-cert.pem",
        TSA_CA_CERT_PATH=pki / "tsa-ca-cert.pem",
        TSA_CA_KEY_PATH=pki / "tsa-ca-key.pem",
        TSA_CRL_PATH=pki / "tsa-ca.crl",
    ):
        call_command("make_dev_ca", stdout=io.StringIO())
        yield pki


@pytest.fixture
def alice(db):
    """A contractor user: the owner of the records in most tests."""
    return UserFactory(
        email="alice@example.jp", contractor=ContractorFactory(name="〇〇建設 株式会社")
    )


@pytest.fixture
def bob(alice):
    """A colleague of alice in the same company."""
    return UserFactory(email="bob@example.jp", contractor=alice.contractor)


@pytest.fixture
def charlie(db):
    """A user of another contractor company: must never see alice's records."""
    return UserFactory(
        email="charlie@example.jp", contractor=ContractorFactory(name="△△工業 株式会社")
    )


@pytest.fixture(scope="session")
def _media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_root(settings, _media_dir):
    """Files the tests store (certificate PDFs) go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = _media_dir


@pytest.fixture
def branch(db):
    return BranchFactory(code="GM", name="群馬支店")


@pytest.fixture
def shibukawa(db):
    return ElectronicObligeeFactory(code="102083", name="渋川市", kana="シブカワシ")


@pytest.fixture
def takasaki(db):
    return ObligeeFactory(code="102024", name="高崎市", kana="タカサキシ")


@pytest.fixture
def form_data(shibukawa, branch):
    """The POST of a complete, valid application form; override what a test is about."""

    def build(**overrides):
        data = {
            "form_token": str(uuid.uuid4()),
            "obligee": shibukawa.pk,
            "contract_type": "works",
            "works_name": "市道1号線道路改良工事",
            "works_place": "渋川市石原地内",
            "contract_date": days_from_today(CONTRACT_DAY).isoformat(),
            "period_start": days_from_today(CONTRACT_DAY + 1).isoformat(),
            "period_end": days_from_today(PERIOD_END_DAY).isoformat(),
            "contract_amount": "50,000,000",
            "this_year_amount": "",
            "ag_requested": "on",
            "ag_certificate_format": "electronic",
            "ag_amount": "20,000,000",
            "ag_deposit_bank": "〇〇銀行 ××支店",
            "ag_redeposit": "not_used",
            "ag_fee_payment_method": "lump_sum",
            "ag_fee_billing_address": "",
            "ag_fee_statement_paper": "0",
            "cg_certificate_format": "paper",
            "cg_amount": "",
            "cg_fee_payment_method": "lump_sum",
            "cg_fee_statement_paper": "0",
            "branch": branch.pk,
            "notify_issuance": "1",
            "notify_email": "soumu@example.jp",
            "contact_department": "工事部",
            "contact_title": "課長",
            "contact_person": "山田 太郎",
            "contact_phone": "027-252-1661",
            "message_to_company": "",
            "action": "confirm",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build
