"""Received certificates of 渋川市 (受領した保証証書), made directly with the factories."""

import datetime

import pytest

from guarantees.models import Receipt
from tests.factories import CertificateFactory, ContractorFactory, UserFactory

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
