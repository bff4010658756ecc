import datetime

from django import template
from django.template.defaultfilters import date as format_date
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@register.filter
def acceptance(since: datetime.date | None) -> str:
    """'対応 2022年5月9日から' or '未対応', for one guarantee kind of one obligee.

    A filter rather than an included template: the public list shows it twice on every row.
    """
    if since is None:
        return format_html('<span class="text-body-secondary">{}</span>', gettext("未対応"))
    return format_html(
        '<span>{} <span class="small">{}</span></span>',
        gettext("対応"),
        gettext("%(date)sから") % {"date": format_date(since, "DATE_FORMAT")},
    )
