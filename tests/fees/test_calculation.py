import datetime
import json
from decimal import Decimal

import pytest

from fees.calculation import (
    FeeTableIncomplete,
    FeeTableNotFound,
    InvalidFeeInput,
    approval_fee_for,
    compute_fee,
    estimate_for,
    guarantee_period,
)
from fees.models import FeeTable
from tests.factories import ApplicationFactory, GuaranteeFactory

START = datetime.date(2026, 4, 1)
ON = datetime.date(2026, 3, 25)


def _end(days: int) -> datetime.date:
    """The period end that makes START..end exactly `days` days, both ends included."""
    return START + datetime.timedelta(days=days - 1)


def _fee(amount: int, days: int = 366, *, kind: str = "advance", on: datetime.date = ON):
    return compute_fee(kind=kind, amount=amount, period_start=START, period_end=_end(days), on=on)


# Period of 366 days (factor 1.0): the fee is the annual base, rounded down.
@pytest.mark.parametrize(
    ("amount", "portions", "base", "fee"),
    [
        (10_000_000, [10_000_000], "45000", 45_000),  # exactly at the first bound
        (10_000_001, [10_000_000, 1], "45000.0035", 45_000),  # one yen over
        (50_000_000, [10_000_000, 40_000_000], "185000", 185_000),
        (50_000_001, [10_000_000, 40_000_000, 1], "185000.0025", 185_000),
        (100_000_000, [10_000_000, 40_000_000, 50_000_000], "310000", 310_000),
        (2_222_222, [2_222_222], "9999.999", 9_999),  # never rounded up
        (1_234_567, [1_234_567], "5555.5515", 5_555),
    ],
)
def test_it_applies_the_marginal_tiers(table, amount, portions, base, fee):
    breakdown = _fee(amount)

    assert [tier.portion for tier in breakdown.tiers] == portions
    assert sum(portions) == amount
    assert breakdown.base == Decimal(base)
    assert (breakdown.days, breakdown.factor) == (366, Decimal("1.0"))
    assert breakdown.scaled == fee
    assert breakdown.fee == fee and isinstance(breakdown.fee, int)
    assert breakdown.minimum_applied is False


def test_each_tier_records_its_bounds_rate_and_subtotal(table):
    lines = _fee(60_000_000).tiers

    assert [(t.lower, t.upper, t.rate, t.subtotal) for t in lines] == [
        (0, 10_000_000, Decimal("0.0045"), Decimal("45000")),
        (10_000_000, 50_000_000, Decimal("0.0035"), Decimal("140000")),
        (50_000_000, None, Decimal("0.0025"), Decimal("25000")),
    ]


@pytest.mark.parametrize(
    ("amount", "scaled", "fee", "applied"),
    [
        (500_000, 2_250, 3_000, True),
        (666_666, 2_999, 3_000, True),  # 2,999.997 rounds down below the minimum
        (666_667, 3_000, 3_000, False),  # 3,000.0015: exactly the minimum, not "applied"
        (700_000, 3_150, 3_150, False),
    ],
)
def test_the_fee_is_never_below_the_minimum(table, amount, scaled, fee, applied):
    breakdown = _fee(amount)

    assert (breakdown.scaled, breakdown.fee, breakdown.minimum_applied) == (scaled, fee, applied)
    assert breakdown.minimum_fee == 3_000


@pytest.mark.parametrize(
    ("days", "up_to_days", "factor", "fee"),
    [
        (1, 92, "0.35", 15_750),
        (92, 92, "0.35", 15_750),
        (93, 184, "0.6", 27_000),
        (184, 184, "0.6", 27_000),
        (185, 366, "1.0", 45_000),
        (366, 366, "1.0", 45_000),
        (367, 731, "1.8", 81_000),
        (3653, 3653, "7.4", 333_000),
    ],
)
def test_the_period_factor_is_the_first_row_covering_the_days(table, days, up_to_days, factor, fee):
    breakdown = _fee(10_000_000, days)

    assert breakdown.days == days
    assert (breakdown.factor_up_to_days, breakdown.factor) == (up_to_days, Decimal(factor))
    assert breakdown.fee == fee


def test_the_period_counts_both_ends(table):
    breakdown = compute_fee(
        kind="advance",
        amount=10_000_000,
        period_start=datetime.date(2026, 11, 20),
        period_end=datetime.date(2027, 3, 19),
        on=ON,
    )
    assert breakdown.days == 120


def test_scaling_rounds_down_to_the_yen(table):
    # 1,000,001 × 0.45% = 4,500.0045; × 0.35 = 1,575.001575
    assert _fee(1_000_001, 92).scaled == 1_575
    # 3,333,333 × 0.45% = 14,999.9985; × 0.6 = 8,999.9991
    assert _fee(3_333_333, 184).scaled == 8_999


def test_a_period_longer_than_the_table_is_an_error(table):
    with pytest.raises(FeeTableIncomplete) as exc:
        _fee(10_000_000, 3654)
    assert "3,654日" in str(exc.value.message)


def test_an_amount_beyond_the_last_tier_is_an_error(make_table):
    make_table(tiers=[(10_000_000, "0.0045")])
    assert _fee(10_000_000).fee == 45_000
    with pytest.raises(FeeTableIncomplete):
        _fee(10_000_001)


@pytest.mark.parametrize(
    ("amount", "end"),
    [(0, START), (10_000_000, START - datetime.timedelta(days=1))],
)
def test_it_rejects_a_zero_amount_or_an_inverted_period(table, amount, end):
    with pytest.raises(InvalidFeeInput):
        compute_fee(kind="advance", amount=amount, period_start=START, period_end=end, on=ON)


def test_the_table_in_force_changes_on_its_effective_date(make_table):
    old = make_table(effective_from=datetime.date(2024, 4, 1))
    new = make_table(
        effective_from=datetime.date(2026, 4, 1),
        minimum_fee=4_000,
        tiers=[(None, "0.0040")],
    )
    make_table(kind="contract", effective_from=datetime.date(2026, 3, 1), tiers=[(None, "0.01")])

    day_before = _fee(10_000_000, on=datetime.date(2026, 3, 31))
    day_of = _fee(10_000_000, on=datetime.date(2026, 4, 1))

    assert (day_before.table_id, day_before.fee, day_before.minimum_fee) == (old.pk, 45_000, 3_000)
    assert (day_of.table_id, day_of.fee, day_of.minimum_fee) == (new.pk, 40_000, 4_000)
    assert day_of.effective_from == datetime.date(2026, 4, 1)
    assert _fee(10_000_000, kind="contract", on=datetime.date(2026, 3, 31)).fee == 100_000


def test_no_table_in_force_is_a_clear_error(make_table):
    make_table(effective_from=datetime.date(2024, 4, 1))
    with pytest.raises(FeeTableNotFound) as exc:
        _fee(10_000_000, on=datetime.date(2024, 3, 31))
    assert "前払金保証の保証料率表がありません" in str(exc.value.message)
    with pytest.raises(FeeTableNotFound):
        _fee(10_000_000, kind="contract", on=datetime.date(2026, 3, 31))


def test_as_json_records_every_step_and_no_tax(table):
    data = _fee(60_000_000, 120).as_json()

    assert json.loads(json.dumps(data)) == data
    assert data == {
        "schema": 1,
        "kind": "advance",
        "amount": 60_000_000,
        "table_id": table.pk,
        "effective_from": "2024-04-01",
        "computed_on": "2026-03-25",
        "tiers": [
            {
                "lower": 0,
                "upper": 10_000_000,
                "portion": 10_000_000,
                "rate": "0.0045",
                "subtotal": "45000",
            },
            {
                "lower": 10_000_000,
                "upper": 50_000_000,
                "portion": 40_000_000,
                "rate": "0.0035",
                "subtotal": "140000",
            },
            {
                "lower": 50_000_000,
                "upper": None,
                "portion": 10_000_000,
                "rate": "0.0025",
                "subtotal": "25000",
            },
        ],
        "base": "210000",
        "period_start": "2026-04-01",
        "period_end": "2026-07-29",
        "days": 120,
        "factor_up_to_days": 184,
        "factor": "0.6",
        "scaled": 126_000,
        "minimum_fee": 3_000,
        "minimum_applied": False,
        "fee": 126_000,
        "consumption_tax": 0,
        "tax_exempt": True,
    }


def test_a_stored_breakdown_survives_a_change_of_the_table(table):
    guarantee = GuaranteeFactory(amount=60_000_000)
    breakdown = _fee(guarantee.amount, 120)
    guarantee.fee, guarantee.fee_breakdown = breakdown.fee, breakdown.as_json()
    guarantee.save()
    stored = json.loads(json.dumps(breakdown.as_json()))

    table.minimum_fee = 100_000
    table.save()
    table.tiers.all().delete()
    table.tiers.create(upper_bound=None, rate=Decimal("0.01"))
    table.period_factors.filter(up_to_days=184).update(factor=Decimal("0.9"))

    guarantee.refresh_from_db()
    assert guarantee.fee == 126_000
    assert guarantee.fee_breakdown == stored
    assert _fee(guarantee.amount, 120).fee == 540_000  # a new computation uses the new rates


@pytest.mark.parametrize(
    ("contract_date", "approved_on", "start"),
    [
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 10), datetime.date(2026, 11, 20)),
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 20), datetime.date(2026, 11, 20)),
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 24), datetime.date(2026, 11, 24)),
    ],
)
def test_the_guarantee_period_starts_at_the_later_of_contract_and_approval(
    contract_date, approved_on, start
):
    end = datetime.date(2027, 3, 19)
    assert guarantee_period(
        contract_date=contract_date, approved_on=approved_on, period_end=end
    ) == (start, end)


def test_estimate_for_uses_the_contract_date_or_today_if_later(table):
    guarantee = GuaranteeFactory(
        amount=10_000_000,
        application=ApplicationFactory(
            contract_date=datetime.date(2026, 11, 20), period_end=datetime.date(2027, 3, 19)
        ),
    )
    application = guarantee.application

    early = estimate_for(guarantee, application, datetime.date(2026, 11, 1))
    late = estimate_for(guarantee, application, datetime.date(2027, 1, 17))

    assert (early.period_start, early.days, early.fee) == (datetime.date(2026, 11, 20), 120, 27_000)
    assert (late.period_start, late.days, late.fee) == (datetime.date(2027, 1, 17), 62, 15_750)


def test_estimate_for_is_none_without_data_or_table(db):
    guarantee = GuaranteeFactory(amount=None)
    today = datetime.date(2026, 11, 1)
    assert estimate_for(guarantee, guarantee.application, today) is None
    guarantee.amount = 10_000_000
    assert estimate_for(guarantee, guarantee.application, today) is None  # no table
    assert not FeeTable.objects.exists()
    guarantee.application.period_end = None
    assert estimate_for(guarantee, guarantee.application, today) is None


def test_approval_fee_for_gives_the_fee_or_why_there_is_none(make_table):
    guarantee = GuaranteeFactory(
        amount=10_000_000,
        application=ApplicationFactory(
            contract_date=datetime.date(2026, 11, 20), period_end=datetime.date(2027, 3, 19)
        ),
    )
    on = datetime.date(2026, 11, 1)

    missing = approval_fee_for(guarantee, guarantee.application, on)
    assert missing.breakdown is None
    assert missing.reason == "2026年11月1日時点で適用される前払金保証の保証料率表がありません。"

    make_table()
    fee = approval_fee_for(guarantee, guarantee.application, on)
    assert fee.reason is None
    assert (fee.breakdown.period_start, fee.breakdown.fee) == (datetime.date(2026, 11, 20), 27_000)
