"""Per-caller API rate limits, counted in the shared cache (Redis in production and tests).

A fixed window per caller: `INCR` on one key per window is atomic in Redis, so every gunicorn
worker on every machine counts against the same number. An over-limit call answers 429 with
`Retry-After` set to the seconds left in the window.
"""

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from integrations.api.authentication import SystemPrincipal

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/min' → (600, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


class ApiRateThrottle(BaseThrottle):
    """One budget per API key (per user for a signed-in person); `WEFT["API_RATE"]` sets it."""

    def __init__(self):
        self.wait_seconds: float | None = None

    def caller(self, request) -> str | None:
        user = request.user
        if isinstance(user, SystemPrincipal):
            return f"key:{user.api_key.pk}"
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return None

    def allow_request(self, request, view) -> bool:
        caller = self.caller(request)
        rate = settings.WEFT.get("API_RATE")
        if caller is None or not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"throttle:{caller}:{period}:{window}"
        cache = caches[settings.WEFT.get("THROTTLE_CACHE", "default")]
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:
            # The window key expired between add and incr: this call opens the next one.
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count > limit:
            self.wait_seconds = max(1.0, (window + 1) * period - now)
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
