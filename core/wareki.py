"""Japanese-era dates (和暦) as printed on certificates: 2026-11-24 → 令和8年11月24日.

An era table of our own rather than japanera: five rows that change once a generation are easier
to read and check than a dependency, and japanera's `%-Y` prints the first year as 1 where every
document says 元年 — the one rule that matters here, written out below.
"""

import datetime
import re
import unicodedata
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


# --- Reading dates as people type them ------------------------------------------------------------
# One reader for every date a person types (the application form, the obligee's search, the
# admin's amendment and cancellation): 西暦 (2026-12-01, 2026/12/1, 2026年12月1日, 20261201) or
# 和暦 (令和8年12月1日, 令和元年5月1日, R8.12.1, H31/4/30), full-width digits and letters
# accepted; a year of one or two digits without an era is read in the era chosen beside the input.

# The eras a person may name, with their initials as written on forms (R8.12.1).
ERA_INITIALS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
ERA_FIRST_DAY = {era: first_day for first_day, era in ERAS}
# What the era chooser beside a date input offers: the eras of living contracts.
CHOOSABLE_ERAS = ("令和", "平成", "昭和")
# A year typed without an era (8/12/1) is read in the current era unless another is chosen.
DEFAULT_ERA = "令和"

_SEPARATOR = r"(?:[-/.]|\s*年\s*|\s*月\s*)"
_DATE = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTM])?\.?\s*"
    r"(?P<year>\d{1,4}|元)" + _SEPARATOR + r"(?P<month>\d{1,2})" + _SEPARATOR + r"(?P<day>\d{1,2})"
    r"\s*日?$",
    re.ASCII,  # digits are ASCII once folded (NFKC): no other script's digits
)
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$", re.ASCII)
# The largest text worth reading: anything longer is not a date (and is not echoed back whole).
MAX_DATE_TEXT = 40


class DateReadError(ValueError):
    """What was typed is not a date; `message` says why, in the user's language."""

    def __init__(self, message: "StrOrPromise", code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def read_date(text: str | None, *, era: str = DEFAULT_ERA) -> datetime.date | None:
    """The date `text` stands for, None for nothing typed, DateReadError for anything else.

    A four-digit year is 西暦; a year of one or two digits (8/12/1) is a year of `era` (the era
    chosen beside the input, 令和 unless another is chosen). With `era=""` such a year is
    refused, since 8/12/1 could be 令和8年 or 平成8年.
    """
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded:
        return None
    if len(folded) > MAX_DATE_TEXT or "\x00" in folded:
        raise DateReadError(_("日付として読み取れません。"))
    folded = folded.upper().replace("−", "-").replace("ー", "-")
    match = _DATE.match(folded) or _COMPACT.match(folded)
    if match is None:
        raise DateReadError(
            _("日付として読み取れません。2026-12-01 または 令和8年12月1日 の形で入力してください。")
        )
    parts = match.groupdict()
    named = ERA_INITIALS.get(parts.get("era") or "", parts.get("era") or "")
    year_text, month, day = parts["year"], int(parts["month"]), int(parts["day"])
    if not named and year_text != "元" and len(year_text) == 4:
        return _calendar_date(int(year_text), month, day)
    if len(year_text) > 2:
        raise DateReadError(_("元号の年は2桁までで入力してください(例: 令和8年12月1日)。"))
    named = named or (era if era in ERA_FIRST_DAY else "")
    if not named:
        raise DateReadError(
            _("元号を選ぶか、令和8年12月1日のように元号を付けて入力してください。"),
            code="no_era",
        )
    year_of_era = 1 if year_text == "元" else int(year_text)
    if year_of_era < 1:
        raise DateReadError(_("元号の年は元年(1年)からです。"))
    first_day = ERA_FIRST_DAY[named]
    day_found = _calendar_date(first_day.year + year_of_era - 1, month, day)
    # 平成32年1月1日 does not exist (令和2年), nor 令和元年4月1日 (still 平成31年).
    try:
        actual = era_year(day_found)[0]
    except ValueError:
        actual = ""
    if actual != named:
        raise DateReadError(
            _("%(era)s%(year)s年%(month)s月%(day)s日は存在しません(%(era)sは%(span)s)。")
            % {
                "era": named,
                "year": "元" if year_of_era == 1 else year_of_era,
                "month": month,
                "day": day,
                "span": _era_span(named),
            },
            code="wrong_era",
        )
    return day_found


def _calendar_date(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DateReadError(
            _("%(year)s年%(month)s月%(day)s日という日付はありません。")
            % {"year": year, "month": month, "day": day},
            code="no_such_day",
        ) from None


def _era_span(era: str) -> str:
    """令和: 2019-05-01 から; 平成: 1989-01-08 から 2019-04-30 まで."""
    first_day = ERA_FIRST_DAY[era]
    newer = [start for start, _name in ERAS if start > first_day]
    if not newer:
        return gettext("%(start)sから") % {"start": era_date(first_day)}
    last_day = min(newer) - datetime.timedelta(days=1)
    return gettext("%(start)sから%(end)sまで") % {
        "start": era_date(first_day),
        "end": era_date(last_day),
    }
