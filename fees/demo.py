"""Demo fee tables for trying Net Desk locally (called by `manage.py demo`).

The surety companies do not publish their rates, so these numbers are ILLUSTRATIVE ONLY: of the
order of the real ones (a few tenths of a percent of the guaranteed amount per year), not any
company's actual tariff. Both tables take effect on 2022-04-01 (令和4年4月1日).

前払金保証 (advance payment), marginal annual rates, minimum fee 3,000円:
    up to  10,000,000円  0.45%      100,000,000円 – 500,000,000円  0.18%
    10,000,000円 –  50,000,000円  0.35%      above 500,000,000円              0.12%
    50,000,000円 – 100,000,000円  0.25%

契約保証 (contract guarantee), marginal annual rates, minimum fee 5,000円:
    up to  10,000,000円  0.55%      100,000,000円 – 500,000,000円  0.25%
    10,000,000円 –  50,000,000円  0.45%      above 500,000,000円              0.18%
    50,000,000円 – 100,000,000円  0.35%

Period factors (both kinds), by the days of the guarantee period, both ends included. Each bound
is the longest span of that many months or years (leap days included), so that 1 April – 31 March
is one year whether or not February has 29 days:
    ≤ 92 days (3 months) 0.35   ≤ 184 (6 months) 0.6   ≤ 366 (1 year) 1.0   ≤ 731 (2 years) 1.8
    ≤ 1,096 (3 years) 2.5 and +0.7 a year up to ≤ 3,653 days (10 years) 7.4.

For example, a 20,000,000円 advance-payment guarantee for 120 days:
(10,000,000 × 0.45% + 10,000,000 × 0.35%) × 0.6 = 80,000円 × 0.6 = 48,000円.
"""

import datetime
from decimal import Decimal
from typing import TypeVar

from django.db import transaction
from django.db.models import Model, Q

from core.kinds import GuaranteeKind
from fees.models import FeePeriodFactor, FeeTable, FeeTier

M = TypeVar("M", bound=Model)

EFFECTIVE_FROM = datetime.date(2022, 4, 1)

# kind: (minimum fee, [(upper bound or None, annual rate)], note)
TABLES = {
    GuaranteeKind.ADVANCE: (
        3_000,
        [
            (10_000_000, "0.0045"),
            (50_000_000, "0.0035"),
            (100_000_000, "0.0025"),
            (500_000_000, "0.0018"),
            (None, "0.0012"),
        ],
        "デモ用の料率です(実在の保証事業会社の料率ではありません)。",
    ),
    GuaranteeKind.CONTRACT: (
        5_000,
        [
            (10_000_000, "0.0055"),
            (50_000_000, "0.0045"),
            (100_000_000, "0.0035"),
            (500_000_000, "0.0025"),
            (None, "0.0018"),
        ],
        "デモ用の料率です(実在の保証事業会社の料率ではありません)。",
    ),
}

PERIOD_FACTORS = [
    (92, "0.35"),
    (184, "0.6"),
    (366, "1.0"),
    (731, "1.8"),
    (1096, "2.5"),
    (1461, "3.2"),
    (1827, "3.9"),
    (2192, "4.6"),
    (2557, "5.3"),
    (2922, "6.0"),
    (3288, "6.7"),
    (3653, "7.4"),
]


@transaction.atomic
def load_demo_fee_tables() -> list[FeeTable]:
    """Create or reset the demo table of each kind. Running it again changes nothing."""
    tables = []
    for kind, (minimum_fee, tiers, note) in TABLES.items():
        table = _upsert(
            FeeTable,
            {"kind": kind, "effective_from": EFFECTIVE_FROM},
            {"minimum_fee": minimum_fee, "note": note},
        )
        finite = [upper for upper, _rate in tiers if upper is not None]
        table.tiers.exclude(Q(upper_bound__in=finite) | Q(upper_bound__isnull=True)).delete()
        for upper, rate in tiers:
            _upsert(FeeTier, {"table": table, "upper_bound": upper}, {"rate": Decimal(rate)})
        table.period_factors.exclude(up_to_days__in=[days for days, _f in PERIOD_FACTORS]).delete()
        for days, factor in PERIOD_FACTORS:
            _upsert(
                FeePeriodFactor,
                {"table": table, "up_to_days": days},
                {"factor": Decimal(factor)},
            )
        tables.append(table)
    return tables


def _upsert(model: type[M], lookup: dict, values: dict) -> M:
    """update_or_create that saves only when something differs (keeps updated_at unchanged)."""
    obj, created = model._default_manager.get_or_create(**lookup, defaults=values)
    if not created and any(getattr(obj, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
    return obj
