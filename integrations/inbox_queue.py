"""How received messages reach a worker: the inbox table is the queue, Celery only wakes drains.

Publishing one Celery task per message costs more than storing the message. Instead each
stored message "kicks" the drain of its partition (message id modulo INBOX_PARTITIONS): a
Redis `SET NX` flag says a drain is already queued, so only the first kick publishes a task.
A drain applies its partition's received messages in id order until none is left, then
clears its flag and looks once more, so a message stored meanwhile is never stranded (and the
beat sweep kicks any partition with old received messages, in case a flag outlived its drain).
A drain that has run DRAIN_SECONDS hands over to a fresh drain task, keeping the flag, and
returns: well before the worker's time limit, which would otherwise stop it mid-partition with
its messages left for the beat's sweep (100,000 MES events once stalled that way at 85,323).
A running drain refreshes a heartbeat key after every chunk it applies; a kick that finds the
flag set but no heartbeat, on a flag older than the heartbeat's life, takes the flag over: its
drain was killed (SIGKILL, a lost machine), so recovery waits HEARTBEAT_SECONDS, not
FLAG_SECONDS.
With Celery eager (the embedded default) messages are applied right after commit instead.
"""

import time
from functools import cache

import redis
from celery import current_app as celery_app
from django.conf import settings
from django.db import transaction
from django.db.models import F

from integrations.memo import forget_memoized, memo_scope
from integrations.models import InboundMessage

FLAG_SECONDS = 300
HEARTBEAT_SECONDS = 60
# How long a drain's messages may share a lookup (an ownership or BOM change made in Weft
# meanwhile is seen by the drain this much later at most).
MEMO_SECONDS = 5.0
# How long one drain task runs before it hands over to the next (CELERY_TASK_SOFT_TIME_LIMIT is
# 600 s).
DRAIN_SECONDS = 120.0


def partitions() -> int:
    return settings.WEFT["INBOX_PARTITIONS"]


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _flag(partition: int) -> str:
    # Namespaced by the default queue, so deployments (and parallel test runs) sharing one
    # Redis never see each other's flags.
    return f"weft:inbox:drain:{celery_app.conf.task_default_queue}:{partition}"


def enqueue_processing(message_ids: list[int]) -> None:
    """After commit: apply the messages (eager) or wake the drains of their partitions."""
    if not message_ids:
        return
    if celery_app.conf.task_always_eager:
        from integrations.tasks.inbox import process_inbound_messages

        chunks = [message_ids[i : i + 100] for i in range(0, len(message_ids), 100)]
        transaction.on_commit(lambda: [process_inbound_messages.delay(ids) for ids in chunks])
        return
    wanted = sorted({message_id % partitions() for message_id in message_ids})
    transaction.on_commit(lambda: [kick(partition) for partition in wanted])


def _heartbeat(partition: int) -> str:
    return f"weft:inbox:alive:{celery_app.conf.task_default_queue}:{partition}"


def _take_over_orphaned_flag(client: redis.Redis, partition: int) -> bool:
    """Take the partition's flag when its drain is gone: no heartbeat on a flag past its life.

    A flag younger than HEARTBEAT_SECONDS may belong to a drain still waiting in the queue, so
    it is left alone. WATCH makes two sweeps racing for the same orphan queue one drain.
    """
    flag, alive = _flag(partition), _heartbeat(partition)
    with client.pipeline() as pipe:
        try:
            pipe.watch(flag, alive)
            remaining = pipe.ttl(flag)
            if pipe.exists(alive) or remaining > FLAG_SECONDS - HEARTBEAT_SECONDS:
                return False
            pipe.multi()
            pipe.set(flag, "1", ex=FLAG_SECONDS)
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def kick(partition: int) -> bool:
    """Queue a drain for the partition unless one is queued already; True when this one did."""
    client = _redis(celery_app.conf.broker_url)
    taken = client.set(_flag(partition), "1", nx=True, ex=FLAG_SECONDS)
    if not taken and not _take_over_orphaned_flag(client, partition):
        return False
    from integrations.tasks.inbox import drain_inbox

    drain_inbox.delay(partition)
    return True


def pending_ids(partition: int, limit: int) -> list[int]:
    return list(
        InboundMessage.objects.pending()
        .annotate(partition=F("id") % partitions())
        .filter(partition=partition)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def drain(partition: int, apply, batch: int = 200) -> int:
    """Apply the partition's received messages until none is left; return how many.

    `apply` takes a list of message ids (in id order) and applies them. The messages share
    their lookups (ownership, code maps, BOM lines; see integrations.memo) for MEMO_SECONDS at
    most, and the inbox forgets them sooner after any message that may change them.
    """
    applied = 0
    client = _redis(celery_app.conf.broker_url)
    client.set(_heartbeat(partition), "1", ex=HEARTBEAT_SECONDS)
    started = time.monotonic()
    with memo_scope():
        memo_since = started
        while True:
            ids = pending_ids(partition, batch)
            if not ids:
                client.delete(_heartbeat(partition), _flag(partition))
                # A message committed between the last look and the delete found the flag set
                # and queued nothing: look once more, and keep draining if we win the flag back.
                if pending_ids(partition, 1) and client.set(
                    _flag(partition), "1", nx=True, ex=FLAG_SECONDS
                ):
                    client.set(_heartbeat(partition), "1", ex=HEARTBEAT_SECONDS)
                    continue
                return applied
            if time.monotonic() - memo_since > MEMO_SECONDS:
                forget_memoized()
                memo_since = time.monotonic()
            apply(ids)
            applied += len(ids)
            client.expire(_flag(partition), FLAG_SECONDS)
            client.set(_heartbeat(partition), "1", ex=HEARTBEAT_SECONDS)
            if time.monotonic() - started > DRAIN_SECONDS:
                # Hand over with the flag still ours: no kick queues a second drain meanwhile.
                from integrations.tasks.inbox import drain_inbox

                drain_inbox.delay(partition)
                return applied
