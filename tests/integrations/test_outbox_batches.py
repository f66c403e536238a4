"""Batched subscriber dispatch: one task per subscriber per fan-out, each event still isolated."""

import threading
from collections import Counter

import pytest
from celery.signals import task_prerun
from django.db import transaction

from integrations import outbox
from integrations.correlation import current_correlation_id
from integrations.models import Event
from integrations.outbox import emit, subscriber, subscriber_batch_run
from integrations.tasks.outbox import run_subscriber, run_subscriber_batch
from planning.models import MrpRun, NetChangeRequest
from tests.celery_worker import real_worker, wait_until
from tests.factories import ItemFactory, PlantFactory

EVENT_TYPE = "test.batched"
BATCH_TASK = "integrations.tasks.outbox.run_subscriber_batch"
SINGLE_TASK = "integrations.tasks.outbox.run_subscriber"


@pytest.fixture
def registered():
    """Register test subscribers of EVENT_TYPE; forget them afterwards."""
    yield lambda function, **options: subscriber(EVENT_TYPE, **options)(function)
    outbox._subscribers.pop(EVENT_TYPE, None)


def name_of(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


@pytest.fixture
def tasks_run():
    """The (task name, args) of every task the worker ran."""
    runs: list[tuple[str, tuple]] = []
    lock = threading.Lock()

    def record(sender=None, args=None, **kwargs) -> None:
        with lock:
            runs.append((sender.name, tuple(args or ())))

    task_prerun.connect(record, weak=False)
    yield runs
    task_prerun.disconnect(record)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_fan_out_of_many_events_costs_one_task_per_subscriber(registered, tasks_run):
    # given two subscribers of one event type, each noting the events and their correlation ids
    seen: dict[str, list[tuple[int, str | None]]] = {"first": [], "second": []}

    def first(event) -> None:
        seen["first"].append((event.pk, current_correlation_id()))

    def second(event) -> None:
        seen["second"].append((event.pk, current_correlation_id()))

    registered(first)
    registered(second)

    with real_worker():
        # when one transaction emits 40 events, each of its own correlation
        with transaction.atomic():
            events = [
                emit(EVENT_TYPE, {"n": n}, key=f"agg:{n % 5}", correlation_id=f"corr-{n}")
                for n in range(40)
            ]
        assert wait_until(lambda: len(seen["first"]) + len(seen["second"]) >= 80, timeout=60)

    # then each subscriber ran every event once, in id order, in the event's correlation scope
    expected = [(event.pk, event.correlation_id) for event in events]
    assert seen["first"] == expected and seen["second"] == expected
    # and that took one task per subscriber, none per event
    batches = [args for task, args in tasks_run if task == BATCH_TASK]
    assert sorted(name for name, _ in batches) == sorted([name_of(first), name_of(second)])
    assert all(ids == [event.pk for event in events] for _, ids in batches)
    assert [task for task, _ in tasks_run if task == SINGLE_TASK] == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_event_that_fails_in_a_batch_is_retried_alone_and_the_others_go_on(
    registered, tasks_run
):
    # given a subscriber that fails the first time it meets the fourth event
    attempts: Counter[int] = Counter()
    done: list[int] = []
    flaky: list[int] = []

    def flaky_once(event) -> None:
        attempts[event.pk] += 1
        if event.pk == flaky[0] and attempts[event.pk] == 1:
            raise RuntimeError("the fourth event fails once")
        done.append(event.pk)

    registered(flaky_once)

    with real_worker():
        # when ten events are emitted together
        with transaction.atomic():
            events = [emit(EVENT_TYPE, {"n": n}, key="agg:1") for n in range(10)]
            flaky.append(events[3].pk)
        assert wait_until(lambda: len(done) >= 10, timeout=60)

    # then the others ran in id order without waiting, and the failed one ran again alone, last
    others = [e.pk for e in events if e.pk != flaky[0]]
    assert done == others + flaky
    assert attempts[flaky[0]] == 2 and all(attempts[pk] == 1 for pk in others)
    assert [task for task, _ in tasks_run if task == BATCH_TASK] == [BATCH_TASK]
    assert [args for task, args in tasks_run if task == SINGLE_TASK] == [
        (flaky[0], name_of(flaky_once))
    ]


@pytest.mark.django_db
def test_a_batch_subscriber_that_fails_keeps_nothing_and_each_event_is_run_alone(registered):
    # given a batch subscriber that writes an event per good event and fails on a bad one
    def relay(events) -> None:
        for event in events:
            emit("test.relayed", {"of": event.pk}, key="relay")
            if event.data.get("bad"):
                raise RuntimeError("bad event")

    registered(relay, batch=True)
    good, bad = emit(EVENT_TYPE, {}, key="a"), emit(EVENT_TYPE, {"bad": True}, key="b")

    # when the batch of both runs
    failed = subscriber_batch_run(name=name_of(relay), event_ids=[good.pk, bad.pk])

    # then the whole batch is rolled back and both are handed back to run alone
    assert failed == [good.pk, bad.pk]
    assert not Event.objects.filter(event_type="test.relayed").exists()
    # and alone, the good one is relayed (the batch subscriber gets a list of one)
    run_subscriber.delay(good.pk, name_of(relay))
    assert list(Event.objects.filter(event_type="test.relayed").values_list("data", flat=True)) == [
        {"of": good.pk}
    ]
    with pytest.raises(RuntimeError, match="bad event"):
        run_subscriber.delay(bad.pk, name_of(relay))


@pytest.mark.django_db
def test_net_change_asks_once_per_plant_for_the_items_of_a_whole_batch(
    django_capture_on_commit_callbacks,
):
    # given two plants that have a plan, and stock changes of three items in both
    p1, p2 = PlantFactory(code="P1"), PlantFactory(code="P2")
    for plant in (p1, p2):
        MrpRun.objects.create(plant=plant, mode=MrpRun.Mode.FULL, status=MrpRun.Status.SUCCEEDED)
    a, b, c = (ItemFactory(code=code) for code in ("A-1", "B-1", "C-1"))
    changes = [("P1", "B-1"), ("P2", "C-1"), ("P1", "A-1"), ("P1", "B-1")]
    events = [
        emit(
            "inventory.changed",
            {"plant": plant, "item": item, "on_hand": "1"},
            key=f"inventory:{plant}:{item}",
            correlation_id=f"corr-{n}",
        )
        for n, (plant, item) in enumerate(changes)
    ]
    name = "planning.subscribers.replan_after_inventory_change"

    # when its subscriber runs them as one batch
    with django_capture_on_commit_callbacks() as queued:
        run_subscriber_batch.delay(name, [e.pk for e in events])

    # then each plant asked once, for its items, under its oldest event's correlation id
    requests = {
        (r.plant.code, r.item.code): (r.reason, r.correlation_id)
        for r in NetChangeRequest.objects.select_related("plant", "item")
    }
    assert requests == {
        ("P1", "A-1"): ("stock of A-1, B-1 changed", "corr-0"),
        ("P1", "B-1"): ("stock of A-1, B-1 changed", "corr-0"),
        ("P2", "C-1"): ("stock of C-1 changed", "corr-1"),
    }
    assert NetChangeRequest.objects.count() == 3
    # and one net-change run is queued per plant, not per event
    assert len(queued) == 2
    assert {a.pk, b.pk, c.pk} == set(NetChangeRequest.objects.values_list("item", flat=True))


@pytest.mark.django_db
def test_work_order_changes_name_their_orders_and_long_lists_are_cut():
    plant = PlantFactory(code="P1")
    MrpRun.objects.create(plant=plant, mode=MrpRun.Mode.FULL, status=MrpRun.Status.SUCCEEDED)
    ItemFactory(code="ASM-1")
    events = [
        emit(
            "work_order.changed",
            {"plant": "P1", "item": "ASM-1", "number": f"WO-{n}"},
            key=f"work_order:WO-{n}",
        )
        for n in range(5)
    ]

    run_subscriber_batch.delay(
        "planning.subscribers.replan_after_work_order_change", [e.pk for e in events]
    )

    assert list(NetChangeRequest.objects.values_list("reason", flat=True)) == [
        "work order WO-0, WO-1, WO-2 and 2 more changed"
    ]
