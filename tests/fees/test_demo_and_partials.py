import datetime

import pytest
from django.template.loader import render_to_string

from fees.calculation import compute_fee
from fees.demo import load_demo_fee_tables
from fees.models import FeePeriodFactor, FeeTable, FeeTier

pytestmark = pytest.mark.django_db


def _example():
    """The example of the demo docstring: 20,000,000円 for 120 days."""
    return compute_fee(
        kind="advance",
        amount=20_000_000,
        period_start=datetime.date(2026, 11, 20),
        period_end=datetime.date(2027, 3, 19),
        on=datetime.date(2026, 11, 20),
    )


def test_the_demo_tables_load_twice_without_changing_anything():
    load_demo_fee_tables()
    before = list(FeeTable.objects.values_list("id", "updated_at"))
    counts = (FeeTier.objects.count(), FeePeriodFactor.objects.count())

    load_demo_fee_tables()

    assert list(FeeTable.objects.values_list("id", "updated_at")) == before
    assert (FeeTier.objects.count(), FeePeriodFactor.objects.count()) == counts == (10, 24)
    assert _example().fee == 48_000


def test_the_demo_tables_cover_one_year_in_a_leap_year_and_ten_years():
    load_demo_fee_tables()
    one_year = compute_fee(
        kind="contract",
        amount=10_000_000,
        period_start=datetime.date(2027, 4, 1),
        period_end=datetime.date(2028, 3, 31),  # 366 days
        on=datetime.date(2027, 4, 1),
    )
    ten_years = compute_fee(
        kind="contract",
        amount=10_000_000,
        period_start=datetime.date(2027, 4, 1),
        period_end=datetime.date(2037, 3, 31),
        on=datetime.date(2027, 4, 1),
    )
    assert (one_year.days, one_year.factor, one_year.fee) == (366, 1, 55_000)
    assert ten_years.factor_up_to_days == 3653


def test_the_breakdown_partial_shows_every_step_of_a_stored_fee():
    load_demo_fee_tables()
    html = render_to_string("fees/_breakdown.html", {"breakdown": _example().as_json()})

    for text in [
        "保証料の計算内訳",
        "10,000,000円までの部分",
        "10,000,000円 × 年0.45%",
        "45,000円",
        "基本保証料(年額)",
        "80,000円",
        "2026年11月20日〜2027年3月19日",
        "120日",
        "184日以下の期間",
        "80,000円 × 0.6",
        "3,000円",
        "48,000円",
        "非課税",
        "2022年4月1日適用の保証料率表",
    ]:
        assert text in html, text
    assert "概算" not in html


def test_the_breakdown_partial_marks_an_estimate():
    load_demo_fee_tables()
    html = render_to_string(
        "fees/_breakdown.html", {"breakdown": _example().as_json(), "estimate": True}
    )
    assert "保証料(概算)の計算内訳" in html
    assert "※概算です。正式な保証料は弊社での承諾時に確定します。" in html


def test_the_breakdown_partial_is_empty_without_a_breakdown():
    assert render_to_string("fees/_breakdown.html", {"breakdown": None}).strip() == ""


def test_the_estimate_box_carries_what_the_script_needs():
    html = render_to_string("fees/_estimate.html", {"kind": "contract"})
    assert 'data-fee-estimate="contract"' in html
    assert 'data-url="/fees/estimate/"' in html
    assert 'aria-live="polite"' in html
    assert "保証料(概算)" in html
    assert "※概算です。正式な保証料は弊社での承諾時に確定します。" in html
