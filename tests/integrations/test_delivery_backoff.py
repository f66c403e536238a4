"""Retry timing: exponential backoff with full jitter, and Retry-After when it is later."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from integrations.delivery import DeliveryPolicy, retry_after_seconds, retry_delay

POLICY = DeliveryPolicy(backoff_base_seconds=10, backoff_cap_seconds=3600)
NOW = datetime(2026, 5, 13, 10, 0, tzinfo=UTC)


def test_the_delay_ceiling_doubles_per_attempt_up_to_the_cap():
    # given a generator that always draws the top of the range
    top = random.Random()
    top.uniform = lambda low, high: high

    # then
    ceilings = [retry_delay(attempt, POLICY, rng=top) for attempt in range(1, 11)]
    assert ceilings == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]


def test_full_jitter_spreads_delays_over_the_whole_window():
    # given
    rng = random.Random(7)

    # when
    delays = [retry_delay(4, POLICY, rng=rng) for _ in range(2000)]

    # then every delay lies in [0, 80] and they cover the window, not just its top
    assert 0 <= min(delays) < 5
    assert 75 < max(delays) <= 80
    assert 30 < sum(delays) / len(delays) < 50


def test_a_later_retry_after_wins_and_an_earlier_one_does_not():
    # given
    rng = random.Random(1)

    # then
    assert retry_delay(1, POLICY, retry_after=300, rng=rng) == 300
    assert retry_delay(12, POLICY, retry_after=1, rng=random.Random(1)) == retry_delay(
        12, POLICY, rng=random.Random(1)
    )


def test_an_absurd_retry_after_is_held_to_a_day():
    assert retry_delay(1, POLICY, retry_after=10**9) == 86400


def test_retry_after_reads_seconds_and_http_dates():
    # given
    in_ten_minutes = format_datetime(NOW + timedelta(minutes=10), usegmt=True)
    an_hour_ago = format_datetime(NOW - timedelta(hours=1), usegmt=True)

    # then
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds(" 0 ", NOW) == 0
    assert retry_after_seconds(in_ten_minutes, NOW) == 600
    assert retry_after_seconds(an_hour_ago, NOW) == 0
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds("-5", NOW) is None
