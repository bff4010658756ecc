import datetime

from django import template

from fees.display import Row, breakdown_rows

register = template.Library()


@register.simple_tag
def fee_rows(breakdown: dict | None) -> list[Row]:
    """`{% fee_rows guarantee.fee_breakdown as rows %}`: the steps of a stored computation."""
    return breakdown_rows(breakdown) if breakdown else []


@register.filter
def as_date(value: str | None) -> datetime.date | None:
    """A stored ISO date ('2022-04-01') as a date, for the `date` filter."""
    return datetime.date.fromisoformat(value) if value else None
