"""Per-system limits shared by every worker process through Redis, the concurrency cap and Retry-After."""

import multiprocessing
import os
import threading
import time

import pytest

from integrations.connectors import limits
from integrations.connectors.pull import connector_sync
from integrations.models import SyncRun

pytestmark = pytest.mark.django_db


def _calls(api, count: int, times) -> None:
    for _ in range(count):
        limits.request_permit(api, max_wait_seconds=30)
        times.put(time.time())
    times.close()
    times.join_thread()
    # Leave without the parent's exit handlers (pytest's, Django's) running in this fork.
    os._exit(0)


def test_the_rate_per_second_is_shared_by_separate_processes(make_connector):
    # given a system allowed 5 calls a second
    api = make_connector(api_options={"requests_per_second": 5}).api
    assert api.system.code == "ERP-EU"  # loaded before the fork: the children only use Redis

    # when two processes each make 10 calls as fast as the limit lets them
    context = multiprocessing.get_context("fork")
    times = context.Queue()
    workers = [context.Process(target=_calls, args=(api, 10, times)) for _ in range(2)]
    started = time.time()
    for worker in workers:
        worker.start()
    stamps = sorted(times.get(timeout=30) for _ in range(20))
    for worker in workers:
        worker.join(5)

    # then together they never made more than 5 calls in one second
    per_second: dict[int, int] = {}
    for stamp in stamps:
        per_second[int(stamp)] = per_second.get(int(stamp), 0) + 1
    assert max(per_second.values()) <= 5
    assert len(per_second) >= 4  # 20 calls at 5 a second need four of them
    assert stamps[-1] - started >= 2.0


def test_the_daily_limit_stops_a_run_with_the_reason(make_connector):
    connector = make_connector(api_options={"requests_per_day": 2})

    run = connector_sync(connector=connector)

    assert run.status == SyncRun.Status.FAILED
    assert run.pages == 2
    assert "daily limit of 2 calls is spent" in run.error


def test_no_more_calls_are_in_flight_than_the_cap_across_threads(make_connector):
    api = make_connector(api_options={"max_concurrency": 2}).api
    in_flight, most, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal in_flight, most
        with limits.concurrency_slot(api, max_wait_seconds=10):
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            time.sleep(0.05)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most == 2


def test_a_retry_after_makes_every_caller_of_the_system_wait(make_connector):
    api = make_connector().api
    limits.pause(api, 1.0)

    started = time.monotonic()
    limits.request_permit(api, max_wait_seconds=5)

    assert time.monotonic() - started >= 0.9


def test_a_retry_after_longer_than_a_run_may_wait_ends_the_run_with_it(make_connector, standin):
    connector = make_connector(max_wait_seconds=2)
    standin.fail_next(429, retry_after=3600)

    run = connector_sync(connector=connector)

    assert run.status == SyncRun.Status.FAILED
    assert "asked Weft to wait 3600 s (Retry-After)" in run.error


def test_a_second_run_of_the_same_connector_is_skipped_while_one_runs(make_connector):
    connector = make_connector()

    with limits.exclusive(f"connector-run:{connector.pk}", 60) as held:
        assert held
        assert connector_sync(connector=connector) is None

    assert connector_sync(connector=connector) is not None
