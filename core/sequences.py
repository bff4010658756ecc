import datetime

from django.db import transaction

from core.models import Sequence


def fiscal_year(day: datetime.date) -> int:
    """The Japanese fiscal year (年度), which starts on 1 April."""
    return day.year if day.month >= 4 else day.year - 1


def next_value(name: str) -> int:
    """The next value of the counter `name`, gap-free and unique under concurrency.

    The row lock is held until the caller's transaction ends, so a rolled-back caller leaves no
    gap and two concurrent callers never get the same value.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside a transaction.")
    Sequence.objects.get_or_create(name=name)
    sequence = Sequence.objects.select_for_update().get(name=name)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value


def peek_value(name: str) -> int:
    """The value next_value(name) would give now, without taking it (for a preview: another
    transaction may take it first)."""
    last = Sequence.objects.filter(name=name).values_list("last_value", flat=True).first()
    return (last or 0) + 1
