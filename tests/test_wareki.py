"""Japanese-era dates (core.wareki) and the `wareki` template filter."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.wareki import DateReadError, era_date, read_date


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


@pytest.mark.parametrize("value", [None, ""])
def test_the_filter_prints_nothing_for_no_value(value):
    assert render(value) == ""


@pytest.mark.parametrize("value", ["not a date", "1800-01-01", "0001-01-01", 20260401])
def test_the_filter_refuses_what_has_no_era_form_rather_than_printing_nothing(value):
    # A blank where a document states a date (「工期 から令和9年3月17日まで」) is an error.
    with pytest.raises(ValueError):
        render(value)


# Reading what people type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01", datetime.date(2026, 12, 1)),
        ("2026/12/1", datetime.date(2026, 12, 1)),
        ("2026.12.01", datetime.date(2026, 12, 1)),
        ("2026年12月1日", datetime.date(2026, 12, 1)),
        ("20261201", datetime.date(2026, 12, 1)),
        ("２０２６－１２－０１", datetime.date(2026, 12, 1)),
        ("令和8年12月1日", datetime.date(2026, 12, 1)),
        ("令和８年１２月１日", datetime.date(2026, 12, 1)),
        (" 令和 8 年 12 月 1 日 ", datetime.date(2026, 12, 1)),
        ("R8.12.1", datetime.date(2026, 12, 1)),
        ("r08/12/01", datetime.date(2026, 12, 1)),
        ("Ｒ８．１２．１", datetime.date(2026, 12, 1)),
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("R1.5.1", datetime.date(2019, 5, 1)),
        ("H31.4.30", datetime.date(2019, 4, 30)),
        ("平成元年1月8日", datetime.date(1989, 1, 8)),
        ("S64.1.7", datetime.date(1989, 1, 7)),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_dates_are_read_in_either_calendar(typed, expected):
    assert read_date(typed) == expected


def test_a_year_without_an_era_is_read_in_the_era_chosen():
    assert read_date("8/12/1") == datetime.date(2026, 12, 1)  # 令和 unless another is chosen
    assert read_date("8/12/1", era="令和") == datetime.date(2026, 12, 1)
    assert read_date("30/4/1", era="平成") == datetime.date(2018, 4, 1)
    assert read_date("元/5/1", era="令和") == datetime.date(2019, 5, 1)
    with pytest.raises(DateReadError) as refused:
        read_date("8/12/1", era="")
    assert refused.value.code == "no_era"
    # A four-digit year is 西暦 whatever era is chosen.
    assert read_date("2026-12-01", era="平成") == datetime.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "平成32年1月1日",
            "平成32年1月1日は存在しません(平成は平成元年1月8日から平成31年4月30日まで)。",
        ),
        ("令和元年4月30日", "令和元年4月30日は存在しません(令和は令和元年5月1日から)。"),
        ("2026-02-30", "2026年2月30日という日付はありません。"),
        ("R8.13.1", "2026年13月1日という日付はありません。"),
        ("123/4/5", "元号の年は2桁までで入力してください(例: 令和8年12月1日)。"),
        (
            "来週",
            "日付として読み取れません。2026-12-01 または 令和8年12月1日 の形で入力してください。",
        ),
        ("2026-12-01\x00", "日付として読み取れません。"),
        ("9" * 5000, "日付として読み取れません。"),
    ],
)
def test_what_is_not_a_date_is_refused_with_the_reason(typed, message):
    with pytest.raises(DateReadError) as refused:
        read_date(typed)
    assert str(refused.value.message) == message
