import datetime
from functools import lru_cache

from django import template
from django.template.defaultfilters import date as format_date
from django.utils.html import format_html
from django.utils.translation import get_language, gettext

register = template.Library()


@register.filter
def acceptance(since: datetime.date | None) -> str:
    """'対応 2022年5月9日から' or '未対応', for one guarantee kind of one obligee.

    A filter rather than an included template: the public list shows it twice on every row.
    """
    return _acceptance(since, get_language())


# The obligees started accepting on a few hundred dates at most, and formatting a date costs more
# than the rest of a row: each (date, language) is formatted once per process.
@lru_cache(maxsize=4096)
def _acceptance(since: datetime.date | None, language: str | None) -> str:
    if since is None:
        return format_html('<span class="text-body-secondary">{}</span>', gettext("未対応"))
    return format_html(
        '<span>{} <span class="small">{}</span></span>',
        gettext("対応"),
        gettext("%(date)sから") % {"date": format_date(since, "DATE_FORMAT")},
    )
