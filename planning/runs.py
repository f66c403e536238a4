"""MRP runs: full regenerative or net change, one at a time per plant, recorded with progress.

A run holds the plant's PostgreSQL advisory lock from load to write. Net-change requests are rows:
a drain takes those pending when it starts and deletes them with the plan it writes, so a request
that arrives during a run is planned by the next pass, never lost, and many requests that arrive
together make one run.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from integrations.correlation import current_correlation_id
from integrations.errors import ApplicationError
from integrations.outbox import emit
from masterdata.models import Plant
from planning.models import MrpRun, NetChangeRequest
from planning.mrp import plan
from planning.mrp.loader import affected_items, load
from planning.mrp.writer import write_plan

log = logging.getLogger(__name__)
LOCK_NAMESPACE = 0x4D5250  # "MRP"
FULL_RUN_LOCK_WAIT_SECONDS = 600

Progress = Callable[[str, int, int], None]


class PlantBusy(Exception):
    """Another run holds the plant."""


@contextmanager
def plant_lock(plant: Plant, *, wait: bool) -> Iterator[None]:
    """The plant's advisory lock for the length of a run (a no-op off PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = zlib.crc32(plant.code.encode())
    deadline = time.monotonic() + (FULL_RUN_LOCK_WAIT_SECONDS if wait else 0)
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise PlantBusy(plant.code)
            time.sleep(0.2)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])


def mrp_run_request(*, plant: Plant, acting_user=None, trigger: str = "") -> MrpRun:
    """Queue a full run of the plant; a worker picks it up once the transaction commits."""
    from planning.tasks import mrp_run_task

    run = MrpRun.objects.create(
        plant=plant,
        mode=MrpRun.Mode.FULL,
        trigger=trigger or (f"requested by {acting_user}" if acting_user else "requested"),
        requested_by=acting_user if getattr(acting_user, "pk", None) else None,
        correlation_id=current_correlation_id() or "",
    )
    transaction.on_commit(lambda: mrp_run_task.delay(run.pk))
    return run


def net_change_request(
    *, plant: Plant, item_ids: Collection[int], reason: str, correlation_id: str = ""
) -> int:
    """Ask for the items to be replanned; returns how many requests were recorded.

    Net change keeps a plan current: until the plant's first full run there is none, and the
    full run will plan everything anyway.
    """
    from planning.tasks import net_change_task

    if not MrpRun.objects.filter(plant=plant, status=MrpRun.Status.SUCCEEDED).exists():
        return 0
    rows = [
        NetChangeRequest(
            plant=plant,
            item_id=item_id,
            reason=reason[:200],
            correlation_id=correlation_id or current_correlation_id() or "",
        )
        for item_id in set(item_ids)
    ]
    if not rows:
        return 0
    NetChangeRequest.objects.bulk_create(rows)
    transaction.on_commit(lambda: net_change_task.delay(plant.pk))
    return len(rows)


def stale_net_change_requests_requeue(*, older_than_seconds: float = 60) -> list[int]:
    """Queue a drain for every plant with requests pending longer than that; return the plants.

    A drain is queued when a request commits; requests whose drain was lost (a broker that lost
    the task, a drain that failed) would otherwise wait for the plant's next request or the
    nightly run.
    """
    from planning.tasks import net_change_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    plants = sorted(
        set(
            NetChangeRequest.objects.filter(requested_at__lte=cutoff)
            .order_by()
            .values_list("plant_id", flat=True)
        )
    )
    for plant_id in plants:
        net_change_task.delay(plant_id)
    return plants


def mrp_run_execute(run: MrpRun, *, progress: Progress | None = None) -> MrpRun:
    """Run a queued full run now, waiting for the plant if another run holds it."""
    if run.status != MrpRun.Status.QUEUED:
        raise ApplicationError(
            f"MRP run {run.pk} is {run.status}; only a queued run can start.",
            {"field": "status", "value": run.status},
            status_code=409,
        )
    with plant_lock(run.plant, wait=True):
        return _execute(run, None, progress, pending_up_to=None)


def mrp_run_full(
    *, plant: Plant, acting_user=None, trigger: str = "", progress: Progress | None = None
) -> MrpRun:
    """Queue and run a full run in this process (the command line and tests)."""
    with transaction.atomic():
        run = MrpRun.objects.create(
            plant=plant,
            mode=MrpRun.Mode.FULL,
            trigger=trigger or "command line",
            requested_by=acting_user if getattr(acting_user, "pk", None) else None,
            correlation_id=current_correlation_id() or "",
        )
    return mrp_run_execute(run, progress=progress)


def net_change_drain(plant: Plant) -> list[MrpRun]:
    """Plan every pending request of the plant, pass after pass, until none is left.

    If another run holds the plant, return at once: its holder drains again before it lets go.
    """
    runs = []
    while NetChangeRequest.objects.filter(plant=plant).exists():
        try:
            with plant_lock(plant, wait=False):
                while True:
                    pending = NetChangeRequest.objects.filter(plant=plant).aggregate(
                        last=Max("id")
                    )["last"]
                    if pending is None:
                        break
                    runs.append(_net_change(plant, pending))
        except PlantBusy:
            return runs
    return runs


def _net_change(plant: Plant, up_to: int) -> MrpRun:
    requests = NetChangeRequest.objects.filter(plant=plant, id__lte=up_to)
    rows = list(requests.values_list("item_id", "reason", "correlation_id"))
    items = {item for item, _, _ in rows}
    reasons = sorted({reason for _, reason, _ in rows})
    correlation = next((c for _, _, c in rows if c), "")
    trigger = "; ".join(reasons[:3]) + (f" (+{len(reasons) - 3} more)" if len(reasons) > 3 else "")
    run = MrpRun.objects.create(
        plant=plant,
        mode=MrpRun.Mode.NET_CHANGE,
        status=MrpRun.Status.RUNNING,
        started_at=timezone.now(),
        trigger=trigger[:300],
        correlation_id=correlation,
        items_requested=len(items),
    )
    return _execute(run, items, None, pending_up_to=up_to)


def _phase(run: MrpRun, phase: str, done: int, total: int, progress: Progress | None) -> None:
    """Record the run's progress; a net change's phases last milliseconds and only its end is
    stored (with its timings), a full run's each as it starts, for the console to show."""
    run.phase, run.progress_done, run.progress_total = phase, done, total
    if run.mode == MrpRun.Mode.FULL:
        MrpRun.objects.filter(pk=run.pk).update(
            phase=phase, progress_done=done, progress_total=total
        )
    if progress is not None:
        progress(phase, done, total)


def _execute(
    run: MrpRun, changed: set[int] | None, progress: Progress | None, *, pending_up_to: int | None
) -> MrpRun:
    started = time.perf_counter()
    timings = {}
    if run.status != MrpRun.Status.RUNNING:
        run.status, run.started_at = MrpRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        today = timezone.localdate()
        scope = None if changed is None else affected_items(run.plant, changed)
        _phase(run, "load", 0, 3, progress)
        mark = time.perf_counter()
        loaded = load(run.plant, today=today, item_ids=scope, parent_demand="totals")
        timings["load_ms"] = _ms(mark)
        _phase(run, "plan", 1, 3, progress)
        mark = time.perf_counter()
        result = plan(loaded.inputs)
        timings["plan_ms"] = _ms(mark)
        _phase(run, "write", 2, 3, progress)
        mark = time.perf_counter()
        with transaction.atomic():
            written = write_plan(run, loaded, result, full=changed is None)
            if pending_up_to is not None:
                NetChangeRequest.objects.filter(plant=run.plant, id__lte=pending_up_to).delete()
            elif changed is None:
                # A full run plans everything asked for before it loaded.
                NetChangeRequest.objects.filter(
                    plant=run.plant, requested_at__lte=run.started_at
                ).delete()
            timings["write_ms"] = _ms(mark)
            run.status = MrpRun.Status.SUCCEEDED
            run.phase = "done"
            run.progress_done = run.progress_total = 3
            run.finished_at = timezone.now()
            run.items_planned = written.items
            run.planned_orders = written.planned_orders
            run.exceptions = written.exceptions
            run.duration_ms = _ms(started)
            run.timings = timings
            run.save()
            _after_plan(run, scope)
            emit(
                "mrp.completed",
                {
                    "run": str(run.pk),
                    "mode": run.mode,
                    "items": run.items_planned,
                    "planned_orders": run.planned_orders,
                    "exceptions": run.exceptions,
                    "duration_ms": run.duration_ms,
                },
                key=f"mrp:{run.plant.code}",
                correlation_id=run.correlation_id or None,
            )
        if progress is not None:
            progress("done", 3, 3)
    except Exception as error:
        log.exception("MRP run %s failed", run.pk)
        MrpRun.objects.filter(pk=run.pk).update(
            status=MrpRun.Status.FAILED,
            finished_at=timezone.now(),
            duration_ms=_ms(started),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        run.refresh_from_db()
        raise
    return run


def _after_plan(run: MrpRun, scope: set[int] | None) -> None:
    """What the new plan sets off: automatic change requests to suppliers set for them, and,
    once it is committed, the workbench brought in line with its advice."""
    from planning.change_requests import automatic_change_requests
    from planning.tasks import mrp_exceptions_task

    automatic_change_requests(run, item_ids=scope)
    items = None if scope is None else sorted(scope)
    transaction.on_commit(lambda: mrp_exceptions_task.delay(run.pk, items))


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)
