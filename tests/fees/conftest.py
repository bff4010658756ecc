import datetime
from decimal import Decimal

import pytest

from fees.models import FeePeriodFactor, FeeTable, FeeTier

# A small table with round numbers: 0.45% to 10,000,000円, 0.35% to 50,000,000円, 0.25% above.
TIERS = [(10_000_000, "0.0045"), (50_000_000, "0.0035"), (None, "0.0025")]
FACTORS = [(92, "0.35"), (184, "0.6"), (366, "1.0"), (731, "1.8"), (3653, "7.4")]


@pytest.fixture
def make_table(db):
    def make(
        *,
        kind: str = "advance",
        effective_from: datetime.date = datetime.date(2024, 4, 1),
        minimum_fee: int = 3_000,
        tiers=TIERS,
        factors=FACTORS,
    ) -> FeeTable:
        table = FeeTable.objects.create(
            kind=kind, effective_from=effective_from, minimum_fee=minimum_fee
        )
        FeeTier.objects.bulk_create(
            FeeTier(table=table, upper_bound=upper, rate=Decimal(rate)) for upper, rate in tiers
        )
        FeePeriodFactor.objects.bulk_create(
            FeePeriodFactor(table=table, up_to_days=days, factor=Decimal(factor))
            for days, factor in factors
        )
        return table

    return make


@pytest.fixture
def table(make_table) -> FeeTable:
    return make_table()
