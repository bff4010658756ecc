"""The steps of a fee computation in words, from a stored breakdown (FeeBreakdown.as_json()).

One wording for the fee statement partial (templates/fees/_breakdown.html) and the live estimate
(the "lines" of /fees/estimate/), read from the stored dict so an approved fee is always shown as
it was computed.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Row:
    label: str
    detail: str  # the formula, dates or a note; may be empty
    value: str
    line: str  # the row as one sentence
    total: bool = False


def yen_exact(value: object) -> str:
    """12345 → '12,345円'; '45000.45' → '45,000.45円' (tier subtotals are exact, not rounded)."""
    number = Decimal(str(value))
    whole = int(number)
    fraction = f"{number - whole:f}".partition(".")[2].rstrip("0")
    text = f"{whole:,}" + (f".{fraction}" if fraction else "")
    return _("%(amount)s円") % {"amount": text}


def _percent(rate: str) -> str:
    text = f"{Decimal(rate) * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(iso: str) -> str:
    return date_format(datetime.date.fromisoformat(iso))


def _formula(label: str, detail: str, value: str) -> str:
    return _("%(label)s: %(detail)s = %(value)s") % {
        "label": label,
        "detail": detail,
        "value": value,
    }


def _noted(label: str, value: str, note: str) -> str:
    return _("%(label)s: %(value)s(%(note)s)") % {"label": label, "value": value, "note": note}


def _plain_line(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _tier_label(lower: int, upper: int | None) -> str:
    if upper is None and lower == 0:
        return _("保証金額の全額")
    if upper is None:
        return _("%(lower)sを超える部分") % {"lower": yen_exact(lower)}
    if lower == 0:
        return _("%(upper)sまでの部分") % {"upper": yen_exact(upper)}
    return _("%(lower)sを超え%(upper)sまでの部分") % {
        "lower": yen_exact(lower),
        "upper": yen_exact(upper),
    }


def breakdown_rows(data: dict, *, format_date: Callable[[str], str] = _date) -> list[Row]:
    """The statement's rows: each tier, the annual base, the period and its factor, the rounding,
    the minimum fee and the fee (tax exempt). `format_date` writes a stored ISO date (the PDF
    statement writes Japanese-era dates)."""
    rows = []
    for tier in data["tiers"]:
        label = _tier_label(tier["lower"], tier["upper"])
        detail = _("%(portion)s × 年%(rate)s%%") % {
            "portion": yen_exact(tier["portion"]),
            "rate": _percent(tier["rate"]),
        }
        value = yen_exact(tier["subtotal"])
        rows.append(Row(label, detail, value, _formula(label, detail, value)))

    label, value = _("基本保証料(年額)"), yen_exact(data["base"])
    rows.append(Row(label, "", value, _plain_line(label, value)))

    label = _("保証期間")
    detail = _("%(start)s〜%(end)s") % {
        "start": format_date(data["period_start"]),
        "end": format_date(data["period_end"]),
    }
    value = _("%(days)s日") % {"days": f"{data['days']:,}"}
    rows.append(Row(label, detail, value, _noted(label, detail, value)))

    label = _("期間係数")
    detail = _("%(days)s日以下の期間") % {"days": f"{data['factor_up_to_days']:,}"}
    value = data["factor"]
    rows.append(Row(label, detail, value, _noted(label, value, detail)))

    label = _("基本保証料×期間係数(円未満切捨て)")
    detail = f"{yen_exact(data['base'])} × {data['factor']}"
    value = yen_exact(data["scaled"])
    rows.append(Row(label, detail, value, _formula(label, detail, value)))

    label, value = _("最低保証料"), yen_exact(data["minimum_fee"])
    if data["minimum_applied"]:
        detail = _("最低保証料を適用")
        rows.append(Row(label, detail, value, _noted(label, value, detail)))
    else:
        rows.append(Row(label, "", value, _plain_line(label, value)))

    label, detail, value = _("保証料"), _("非課税"), yen_exact(data["fee"])
    rows.append(Row(label, detail, value, _noted(label, value, detail), total=True))
    return rows


def breakdown_lines(data: dict) -> list[str]:
    return [row.line for row in breakdown_rows(data)]
