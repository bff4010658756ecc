"""A small rate limiter on the shared cache (Redis in production, so every worker counts together).

Each limit is named by a scope in settings.RATE_LIMITS, mapped to (attempts, window in seconds):

    if not rate_limit_hit("password-reset-ip", ip):
        ...refuse...

The window is fixed: it opens at the first attempt and the count starts again once it has passed.
Values are hashed into the key, so no e-mail address is stored in the cache in clear.

A limit on failures (a wrong password, a wrong key) is checked before an attempt and counted only
when it fails. Checked and counted in separate steps, parallel attempts would all pass the check
before any failure were counted; so the attempts of one person are taken in turn
(attempts_in_turn), and a failure is counted by increment-then-compare (rate_limit_hit), whose
answer says whether that very failure was still within the limit.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"ratelimit:{scope}:{digest}"


def rate_limit_hit(scope: str, value: str) -> bool:
    """Count one attempt for `value` in `scope`; False once the scope's limit is exceeded."""
    limit, window = settings.RATE_LIMITS[scope]
    key = _key(scope, value)
    # add() starts the window only if none is open; incr() is atomic on Redis.
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add() and incr()
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= limit


def rate_limit_reset(scope: str, value: str) -> None:
    """Start counting `value` in `scope` afresh (after a success: only failures in a row add up)."""
    cache.delete(_key(scope, value))


def rate_limit_reached(scope: str, value: str) -> bool:
    """Whether `value` has used up `scope`'s attempts in the open window (counting nothing): for
    limits on failures, checked before an attempt and counted only when it fails."""
    limit, _window = settings.RATE_LIMITS[scope]
    return (cache.get(_key(scope, value)) or 0) >= limit


@contextmanager
def attempts_in_turn(rows: QuerySet) -> Iterator[None]:
    """Run the block in a transaction holding the row lock of `rows` (the person attempting, e.g.
    User.objects.filter(pk=user.pk)): their concurrent attempts check the limit, try and count
    one after the other. FOR NO KEY UPDATE, so rows referring to the person (audit entries) are
    not held up; on SQLite, whose transactions begin IMMEDIATE here, writers already take turns.
    Raise nothing inside that must outlive the block: an exception rolls it back."""
    with transaction.atomic():
        list(rows.select_for_update(no_key=True).values_list("pk", flat=True))
        yield
