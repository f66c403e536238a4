"""Behaving well with partners: shared rate limits, concurrency caps, Retry-After, a circuit breaker.

Rate limits (per second and per day), the concurrency cap and a partner's "wait" (429 with
Retry-After) live in Redis, so every worker process on every machine counts against the same
numbers; each check is one Lua script, atomic in Redis. Without Redis (the embedded default:
one process, Celery eager) the same rules run on an in-process store.

The circuit breaker lives on the PartnerApi row, where the console sees it: after
`failure_threshold` consecutive failures (5xx, timeout, refused connection) it opens and Weft
stops calling; after `probe_after_seconds` one caller is let through as a probe (half open);
its success closes the circuit, its failure opens it again. Opening and closing emit
`connector.circuit_opened` / `connector.circuit_closed` through the outbox, so the planners'
exception detectors can raise "ERP-EU unreachable since 10:42" without this layer knowing
them. Nothing is lost meanwhile: a pull stops where its watermark is, a push stays pending.
"""

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache

import redis
from celery import current_app as celery_app
from django.db import connection, transaction
from django.utils import timezone

from integrations.models import PartnerApi
from integrations.outbox import emit

Circuit = PartnerApi.Circuit

_RATE_SCRIPT = """
local per_second, per_day = tonumber(ARGV[1]), tonumber(ARGV[2])
if per_day > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= per_day then return -2 end
end
if per_second > 0 then
  local now = redis.call('INCR', KEYS[1])
  if now == 1 then redis.call('EXPIRE', KEYS[1], 2) end
  if now > per_second then return -1 end
end
if per_day > 0 then
  if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], 172800) end
end
return 0
"""

_ACQUIRE_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('EXPIRE', KEYS[1], 3600)
  return 1
end
return 0
"""

_RELEASE_LOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class PartnerUnavailable(Exception):
    """Weft will not call the partner now; `until` says when it may again (None: unknown)."""

    def __init__(self, message: str, *, until: float | None = None):
        super().__init__(message)
        self.until = until


class CircuitOpen(PartnerUnavailable):
    pass


class DailyLimitReached(PartnerUnavailable):
    pass


class RedisStore:
    def __init__(self, client: redis.Redis):
        self.client = client
        self.rate = client.register_script(_RATE_SCRIPT)
        self.acquire_slot = client.register_script(_ACQUIRE_SCRIPT)
        self.release_lock_script = client.register_script(_RELEASE_LOCK_SCRIPT)

    def take_request(self, second_key: str, day_key: str, per_second: int, per_day: int) -> int:
        return int(self.rate(keys=[second_key, day_key], args=[per_second, per_day]))

    def try_slot(self, key: str, token: str, cap: int, lease_seconds: float) -> bool:
        now = time.time()
        return bool(self.acquire_slot(keys=[key], args=[now, now + lease_seconds, cap, token]))

    def release_slot(self, key: str, token: str) -> None:
        self.client.zrem(key, token)

    def get(self, key: str) -> str | None:
        value = self.client.get(key)
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl_seconds: float) -> None:
        self.client.set(key, value, px=max(1, int(ttl_seconds * 1000)))

    def delete(self, key: str) -> None:
        self.client.delete(key)

    def lock(self, key: str, token: str, ttl_seconds: int) -> bool:
        return bool(self.client.set(key, token, nx=True, ex=ttl_seconds))

    def unlock(self, key: str, token: str) -> None:
        self.release_lock_script(keys=[key], args=[token])


class LocalStore:
    """The same operations in one process (the embedded default has no Redis)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._values: dict[str, tuple[object, float]] = {}

    def _live(self, key: str):
        value = self._values.get(key)
        if value is None or value[1] < time.time():
            self._values.pop(key, None)
            return None
        return value[0]

    def take_request(self, second_key: str, day_key: str, per_second: int, per_day: int) -> int:
        with self._lock:
            used_today = self._live(day_key) or 0
            if per_day and used_today >= per_day:
                return -2
            if per_second:
                now = (self._live(second_key) or 0) + 1
                self._values[second_key] = (now, time.time() + 2)
                if now > per_second:
                    return -1
            if per_day:
                self._values[day_key] = (used_today + 1, time.time() + 172800)
            return 0

    def try_slot(self, key: str, token: str, cap: int, lease_seconds: float) -> bool:
        with self._lock:
            now = time.time()
            slots = {t: until for t, until in (self._live(key) or {}).items() if until > now}
            if len(slots) >= cap:
                return False
            slots[token] = now + lease_seconds
            self._values[key] = (slots, now + 3600)
            return True

    def release_slot(self, key: str, token: str) -> None:
        with self._lock:
            (self._live(key) or {}).pop(token, None)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl_seconds: float) -> None:
        with self._lock:
            self._values[key] = (value, time.time() + ttl_seconds)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def lock(self, key: str, token: str, ttl_seconds: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._values[key] = (token, time.time() + ttl_seconds)
            return True

    def unlock(self, key: str, token: str) -> None:
        with self._lock:
            if self._live(key) == token:
                self._values.pop(key, None)


@cache
def _redis_store(url: str) -> RedisStore:
    return RedisStore(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))


_local_store = LocalStore()


def shared_store() -> RedisStore | LocalStore:
    """Redis when Celery's broker is Redis (tests, production); in-process otherwise."""
    url = celery_app.conf.broker_url or ""
    return _redis_store(url) if url.startswith(("redis://", "rediss://")) else _local_store


def key(*parts: object) -> str:
    # Namespaced by database, so deployments and parallel test runs sharing a Redis never meet.
    return ":".join(["weft", "conn", str(connection.settings_dict["NAME"]), *map(str, parts)])


def request_permit(api: PartnerApi, *, max_wait_seconds: float) -> None:
    """Wait for a turn under the system's per-second limit and any Retry-After it asked for.

    Raises DailyLimitReached when today's calls are spent, PartnerUnavailable when the wait
    the partner asked for is longer than `max_wait_seconds`.
    """
    store = shared_store()
    code = api.system.code
    deadline = time.monotonic() + max_wait_seconds
    while True:
        paused_until = store.get(key("pause", code))
        if paused_until is not None:
            wait = float(paused_until) - time.time()
            if wait > 0:
                if time.monotonic() + wait > deadline:
                    raise PartnerUnavailable(
                        f"{code} asked Weft to wait {wait:.0f} s (Retry-After).",
                        until=float(paused_until),
                    )
                time.sleep(wait)
                continue
        now = time.time()
        second = int(now)
        outcome = store.take_request(
            key("rate", code, second),
            key("day", code, time.strftime("%Y%m%d", time.gmtime(now))),
            api.requests_per_second,
            api.requests_per_day,
        )
        if outcome == 0:
            return
        if outcome == -2:
            tomorrow = (second // 86400 + 1) * 86400
            raise DailyLimitReached(
                f"{code}: the daily limit of {api.requests_per_day:,} calls is spent; "
                "the next run goes on tomorrow.",
                until=tomorrow,
            )
        if time.monotonic() > deadline:
            raise PartnerUnavailable(f"{code}: no turn under its rate limit in time.")
        time.sleep(max(0.001, second + 1 - time.time()))


def pause(api: PartnerApi, seconds: float) -> None:
    """Every caller of this system waits `seconds` (the partner's Retry-After)."""
    if seconds > 0:
        shared_store().set(key("pause", api.system.code), str(time.time() + seconds), seconds)


@contextmanager
def concurrency_slot(api: PartnerApi, *, max_wait_seconds: float) -> Iterator[None]:
    """Hold one of the system's `max_concurrency` call slots (shared across processes)."""
    store = shared_store()
    slots_key, token = key("slots", api.system.code), secrets.token_hex(8)
    # The lease outlives the longest call, so a killed worker's slot frees itself.
    lease = 2 * api.timeout_seconds + 5
    deadline = time.monotonic() + max_wait_seconds
    while not store.try_slot(slots_key, token, api.max_concurrency, lease):
        if time.monotonic() > deadline:
            raise PartnerUnavailable(
                f"{api.system.code}: all {api.max_concurrency} call slots stayed busy."
            )
        time.sleep(0.02)
    try:
        yield
    finally:
        store.release_slot(slots_key, token)


@contextmanager
def exclusive(name: str, ttl_seconds: int) -> Iterator[bool]:
    """A lock across processes; yields whether this caller holds it."""
    store, token = shared_store(), secrets.token_hex(8)
    held = store.lock(key("lock", name), token, ttl_seconds)
    try:
        yield held
    finally:
        if held:
            store.unlock(key("lock", name), token)


def circuit_admit(api: PartnerApi) -> None:
    """Raise CircuitOpen unless the circuit is closed or this caller is the probe it lets through."""
    now = timezone.now()
    state = PartnerApi.objects.filter(pk=api.pk).values(
        "circuit", "circuit_opened_at", "last_probe_at", "probe_after_seconds", "timeout_seconds"
    )[0]
    if state["circuit"] == Circuit.CLOSED:
        return
    since = state["last_probe_at"] or state["circuit_opened_at"] or now
    wait = timedelta(seconds=state["probe_after_seconds"])
    if state["circuit"] == Circuit.HALF_OPEN:
        # A probe is out; its caller may have died, so a new one goes after its timeout too.
        wait += timedelta(seconds=state["timeout_seconds"])
    due = since + wait
    if now >= due:
        won = (
            PartnerApi.objects.filter(
                pk=api.pk, circuit=state["circuit"], last_probe_at=state["last_probe_at"]
            ).update(circuit=Circuit.HALF_OPEN, last_probe_at=now)
            == 1
        )
        if won:
            return
    opened = state["circuit_opened_at"] or now
    raise CircuitOpen(
        f"{api.system.code} unreachable since {opened:%Y-%m-%d %H:%M} UTC; "
        f"the circuit is open and the next probe is at {due:%H:%M:%S} UTC.",
        until=due.timestamp(),
    )


def circuit_success(api: PartnerApi) -> None:
    """A call answered: reset the failure count, close an open circuit (and say so)."""
    if not PartnerApi.objects.filter(pk=api.pk).exclude(
        circuit=Circuit.CLOSED, consecutive_failures=0
    ):
        return
    with transaction.atomic():
        row = PartnerApi.objects.select_for_update().select_related("system").get(pk=api.pk)
        was = row.circuit
        row.circuit, row.consecutive_failures = Circuit.CLOSED, 0
        row.save(update_fields=["circuit", "consecutive_failures", "updated_at"])
        if was != Circuit.CLOSED:
            emit(
                "connector.circuit_closed",
                {
                    "system": row.system.code,
                    "opened_at": row.circuit_opened_at.isoformat()
                    if row.circuit_opened_at
                    else None,
                    "closed_at": timezone.now().isoformat(),
                    "summary": f"{row.system.code} answers again.",
                },
                key=f"system:{row.system.code}",
            )


def circuit_failure(api: PartnerApi, error: str) -> bool:
    """A call failed (5xx, timeout, refused): count it; open the circuit at the threshold.

    Returns whether the circuit is open now.
    """
    now = timezone.now()
    with transaction.atomic():
        row = PartnerApi.objects.select_for_update().select_related("system").get(pk=api.pk)
        row.consecutive_failures += 1
        row.last_failure = error[:2000]
        opened = False
        if row.circuit == Circuit.HALF_OPEN:
            row.circuit, row.last_probe_at = Circuit.OPEN, now
        elif row.circuit == Circuit.CLOSED and row.consecutive_failures >= row.failure_threshold:
            row.circuit, row.circuit_opened_at, row.last_probe_at = Circuit.OPEN, now, None
            opened = True
        row.save(
            update_fields=[
                "consecutive_failures",
                "last_failure",
                "circuit",
                "circuit_opened_at",
                "last_probe_at",
                "updated_at",
            ]
        )
        if opened:
            emit(
                "connector.circuit_opened",
                {
                    "system": row.system.code,
                    "opened_at": now.isoformat(),
                    "failures": row.consecutive_failures,
                    "last_error": row.last_failure,
                    "summary": f"{row.system.code} unreachable since {now:%H:%M} UTC.",
                },
                key=f"system:{row.system.code}",
            )
        return row.circuit != Circuit.CLOSED
