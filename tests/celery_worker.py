"""A real Celery worker on Redis for tests whose behaviour depends on one."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker

from config.celery import app

BROKER_URL = "redis://127.0.0.1:6379/14"


def forget_broker_connections() -> None:
    """Eager tasks run earlier in this process left pools bound to the settings' broker."""
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def real_worker() -> Iterator[None]:
    """A worker thread on Redis, on a queue of its own so parallel runs never share tasks."""
    queue = f"weft-test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "broker_url": BROKER_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
        "task_routes": {},
    }
    saved = {name: app.conf[name] for name in overrides}
    app.conf.update(overrides)
    forget_broker_connections()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
            yield
    finally:
        app.conf.update(saved)
        forget_broker_connections()
        with app.connection_for_write(BROKER_URL) as connection:
            connection.default_channel.queue_delete(queue)


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
