"""Display helpers available in every template (registered as a builtin)."""

import datetime
from functools import cache
from typing import Any

from django import template
from django.db import models
from django.utils.html import format_html
from django.utils.translation import get_language, gettext

from core.numbers import percentage
from core.wareki import era_date

register = template.Library()


@register.filter
def yen(value: Any) -> str:
    """20000000 → '20,000,000円'; None or '' → ''."""
    if value in (None, ""):
        return ""
    return _yen_format(get_language()) % {"amount": f"{int(value):,}"}


@cache
def _yen_format(language: str | None) -> str:
    # Looked up once per language: a list shows several amounts on every row.
    return gettext("%(amount)s円")


@register.filter(expects_localtime=True)
def ymd(value: object) -> str:
    """A date or datetime as 2026/04/01 (a datetime in the current time zone): the same as
    `date:"Y/m/d"`, without formatting machinery that is most of a list row's cost."""
    if not isinstance(value, datetime.date):
        return ""
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def minute(value: datetime.datetime) -> str:
    """A datetime to the minute, 2026-04-01 09:05: what strftime("%Y-%m-%d %H:%M") gives,
    without its cost on every row of a list."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


@register.filter(expects_localtime=True)
def wareki(value: object) -> str:
    """A date, datetime (in the current time zone) or stored ISO date ('2026-11-24') in the
    Japanese era: 令和8年11月24日. No value (None, '') gives ''.

    Anything else raises ValueError rather than printing nothing: an unreadable value or a date
    with no era form (before 1873) would otherwise leave a blank where a document states a date.
    """
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)  # ValueError for what is not an ISO date
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        raise ValueError(f"{value!r} is not a date")
    return era_date(value)


@register.filter
def percent_of(part: Any, whole: Any) -> str:
    """The share of `part` in `whole` with one decimal: (8000000, 20000000) → '40.0%'."""
    share = percentage(int(part) if part else None, int(whole) if whole else None)
    return f"{share}%" if share is not None else ""


@cache
def _choice_labels(
    model: type[models.Model], field_name: str, language: str | None
) -> tuple[str, dict[Any, str]]:
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field)  # a choice field of the model itself
    return field.attname, {value: str(label) for value, label in field.flatchoices}


def choice_labels(model: type[models.Model], field_name: str) -> dict:
    """{value: display label} of a choice field in the current language (built once per
    language), for lists that show plain values rather than model instances."""
    return _choice_labels(model, field_name, get_language())[1]


@register.filter
def label(obj: models.Model, field_name: str) -> str:
    """The display label of a choice field: `{{ application|label:"status" }}` → 送信済.

    Same as get_FOO_display(), which translates every choice of the field on each call; on a
    list page that is most of the rendering time.
    """
    attname, labels = _choice_labels(type(obj), field_name, get_language())
    value = getattr(obj, attname)
    return labels.get(value, value)


# Every status with a colour of its own (static/css/netdesk.css, "Status badges"): application
# statuses, guarantee statuses, certificate states (guarantees.selectors.CertificateState) and
# the obligee's receipt. A value in two of them means the same in both (審査中, 解約, 期間満了) and
# keeps one colour; anything else gets the neutral badge. The label is always written out, so
# colour is never the only difference.
STATUS_TONES = frozenset(
    {
        # Application.Status
        "draft", "sent", "reviewing", "completed", "returned", "withdrawn",
        # Guarantee.Status
        "requested", "approved", "issued", "amended", "cancelled", "expired",
        # CertificateState
        "valid", "superseded", "not_handed_over",
        # 発注者受領済
        "received",
    }
)  # fmt: skip


@register.simple_tag
def status_badge(value: Any, label: object, testid: str = "", large: bool = False) -> str:
    """A status as a badge coloured by its value: `{% status_badge application.status
    application|label:"status" %}` → <span class="badge nd-status nd-status-sent">送信済</span>.
    `testid` sets data-testid; `large` for the status a page is about (beside its heading)."""
    value = getattr(value, "value", value)  # a TextChoices member or its plain value
    tone = f" nd-status-{value}" if value in STATUS_TONES else ""
    size = " nd-status-lg" if large else ""
    test = format_html(' data-testid="{}"', testid) if testid else ""
    return format_html('<span class="badge nd-status{}{}"{}>{}</span>', tone, size, test, label)
