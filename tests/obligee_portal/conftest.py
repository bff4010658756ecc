"""Obligee-side fixtures: received certificates of 渋川市 (受領した保証証書), made with the
factories, and handover notices of issued certificates."""

import datetime

import pytest
from django.core.cache import cache

from guarantees import keys
from guarantees.models import Receipt
from guarantees.rendering import render_key_notice
from guarantees.versions import verify_url
from tests.factories import (
    CertificateFactory,
    ContractorFactory,
    ElectronicObligeeFactory,
    UserFactory,
)

JST = datetime.timezone(datetime.timedelta(hours=9))


def at_noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=JST)


@pytest.fixture
def shibukawa_user(shibukawa):
    """An obligee user of 渋川市."""
    return UserFactory(
        email="keiyaku@city.shibukawa.example.jp",
        full_name="渋川 花子",
        contractor=None,
        obligee=shibukawa,
    )


@pytest.fixture
def shibukawa_client(client, shibukawa_user):
    client.force_login(shibukawa_user)
    return client


@pytest.fixture
def receive(shibukawa, shibukawa_user):
    """receive(issued_on=, amount=, contractor=, works=, obligee=, user=) → a Receipt of a new
    certificate (第1版) with those values, received the day after its issue."""

    def make(
        *,
        issued_on=datetime.date(2026, 4, 1),
        amount=20_000_000,
        contractor="〇〇建設 株式会社",
        works=None,
        obligee=None,
        user=None,
    ):
        fields = {
            "guarantee__amount": amount,
            "guarantee__application__obligee": obligee or shibukawa,
            "guarantee__application__contractor": ContractorFactory(name=contractor),
        }
        if works:
            fields["guarantee__application__works_name"] = works
        certificate = CertificateFactory(issued_at=at_noon(issued_on), **fields)
        return Receipt.objects.create(
            certificate=certificate,
            obligee=obligee or shibukawa,
            received_by=user or shibukawa_user,
            received_at=at_noon(issued_on) + datetime.timedelta(days=1),
        )

    return make


@pytest.fixture
def _fresh_rate_limits():
    """The rate limits count in the cache, which outlives a test's transaction (and, on Redis,
    the test run): a test of receiving starts with none."""
    cache.clear()


@pytest.fixture
def issue_for(db):
    """issue_for(user, **fields): an issued electronic certificate of `user`'s company, addressed
    to an obligee that accepts electronic guarantees unless `fields` name another."""

    def make(user, **fields):
        fields.setdefault("guarantee__application__obligee", ElectronicObligeeFactory())
        return CertificateFactory(
            guarantee__application__contractor=user.contractor,
            guarantee__application__created_by=user,
            **fields,
        )

    return make


def notice_of(certificate, key: str) -> bytes:
    """The handover notice PDF, as the contractor downloads and e-mails it."""
    return render_key_notice(
        certificate.snapshot,
        key=keys.display_key(key),
        verify_url=verify_url(certificate.verify_token),
    )


@pytest.fixture
def key():
    return keys.new_key()


@pytest.fixture
def certificate(alice, issue_for, key):
    return issue_for(alice, key=key)


@pytest.fixture
def obligee_user(certificate):
    """A user of the obligee the certificate is addressed to."""
    return UserFactory(
        email="keiyaku@example.lg.jp",
        contractor=None,
        obligee=certificate.guarantee.application.obligee,
    )
