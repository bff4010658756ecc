"""Japanese-era dates (和暦) as printed on certificates: 2026-11-24 → 令和8年11月24日.

An era table of our own rather than japanera: five rows that change once a generation are easier
to read and check than a dependency, and japanera's `%-Y` prints the first year as 1 where every
document says 元年 — the one rule that matters here, written out below.
"""

import datetime

# (first day, era) — newest first. Meiji starts at 1873-01-01, the day Japan adopted the
# Gregorian calendar (明治6年1月1日): earlier dates were lunisolar, so a Gregorian date before it
# has no faithful era form and is refused rather than printed wrong.
ERAS = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
    (datetime.date(1912, 7, 30), "大正"),
    (datetime.date(1868, 1, 1), "明治"),  # the era's year count starts in 1868 (明治元年)
)
FIRST_SUPPORTED_DAY = datetime.date(1873, 1, 1)


def era_year(day: datetime.date) -> tuple[str, int]:
    """('令和', 8) for 2026-11-24. ValueError before 1873-01-01."""
    if day < FIRST_SUPPORTED_DAY:
        raise ValueError(f"{day.isoformat()} is before the Gregorian calendar in Japan")
    for first_day, era in ERAS:
        if day >= first_day:
            return era, day.year - first_day.year + 1
    raise AssertionError("unreachable: the oldest era starts before FIRST_SUPPORTED_DAY")


def era_date(day: datetime.date) -> str:
    """令和8年11月24日; the first year of an era is 元年 (2019-05-01 → 令和元年5月1日)."""
    era, year = era_year(day)
    return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
