"""A small rate limiter on the shared cache (Redis in production, so every worker counts together).

Each limit is named by a scope in settings.RATE_LIMITS, mapped to (attempts, window in seconds):

    if not rate_limit_hit("password-reset-ip", ip):
        ...refuse...

The window is fixed: it opens at the first attempt and the count starts again once it has passed.
Values are hashed into the key, so no e-mail address is stored in the cache in clear.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


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
