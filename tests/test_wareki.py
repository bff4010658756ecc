"""Japanese-era dates (core.wareki) and the `wareki` template filter."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.wareki import era_date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 11, 24), "令和8年11月24日"),
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
        (datetime.date(2020, 1, 1), "令和2年1月1日"),
        (datetime.date(1989, 1, 8), "平成元年1月8日"),
        (datetime.date(1989, 1, 7), "昭和64年1月7日"),
        (datetime.date(1926, 12, 25), "昭和元年12月25日"),
        (datetime.date(1926, 12, 24), "大正15年12月24日"),
        (datetime.date(1912, 7, 30), "大正元年7月30日"),
        (datetime.date(1912, 7, 29), "明治45年7月29日"),
        (datetime.date(1873, 1, 1), "明治6年1月1日"),
    ],
)
def test_era_boundaries(day, expected):
    assert era_date(day) == expected


def test_dates_before_the_gregorian_calendar_in_japan_are_refused():
    with pytest.raises(ValueError):
        era_date(datetime.date(1872, 12, 31))


def render(value) -> str:
    return Template("{{ value|wareki }}").render(Context({"value": value}))


def test_the_filter_reads_dates_stored_iso_strings_and_datetimes():
    assert render(datetime.date(2019, 5, 1)) == "令和元年5月1日"
    assert render("2019-04-30") == "平成31年4月30日"
    # 2019-04-30 15:30 UTC is already 1 May in Japan: the filter uses the local date.
    moment = datetime.datetime(2019, 4, 30, 15, 30, tzinfo=datetime.UTC)
    assert timezone.localtime(moment).date() == datetime.date(2019, 5, 1)
    assert render(moment) == "令和元年5月1日"


@pytest.mark.parametrize("value", [None, "", "not a date", "1800-01-01", 20260401])
def test_the_filter_prints_nothing_for_what_is_not_a_printable_date(value):
    assert render(value) == ""
