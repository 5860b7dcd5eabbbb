"""Per-client rate limits on public endpoints, counted in Django's cache.

The cache is shared by every process (the file cache on one machine, Redis on a team server), so
a limit holds across gunicorn workers. Fixed windows: at most ``limit`` hits per ``window``
seconds per key. With Redis the count is atomic; the file cache may let a few extra hits through
when requests race, which is acceptable for spam protection.
"""

import time

from django.core.cache import cache


def rate_limit_hit(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one hit; True while the client is within its limit, False once it is over."""
    bucket = int(time.time() // window)
    cache_key = f"kehu:ratelimit:{scope}:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    return count <= limit
