"""Thin Celery tasks over planning's services, on the `planning` queue."""

from celery import shared_task

from masterdata.models import Plant
from planning.exceptions.mrp import mrp_exceptions_sync
from planning.models import MrpRun
from planning.runs import (
    mrp_run_execute,
    mrp_run_request,
    net_change_drain,
    stale_net_change_requests_requeue,
)


@shared_task(acks_late=True)
def mrp_run_task(run_id: int) -> int | None:
    """Execute a queued full run; a run already started or gone is left alone."""
    run = MrpRun.objects.select_related("plant").filter(pk=run_id).first()
    if run is None or run.status != MrpRun.Status.QUEUED:
        return None
    return mrp_run_execute(run).pk


@shared_task(acks_late=True)
def net_change_task(plant_id: int) -> int:
    """Plan the plant's pending net-change requests; return how many runs that took."""
    plant = Plant.objects.filter(pk=plant_id).first()
    return 0 if plant is None else len(net_change_drain(plant))


@shared_task
def requeue_stale_net_changes() -> int:
    """Beat: drain plants whose net-change requests have waited over a minute."""
    return len(stale_net_change_requests_requeue())


@shared_task
def nightly_full_runs() -> int:
    """Beat: queue a full regenerative run for every plant that plans anything."""
    plants = Plant.objects.filter(items__isnull=False).distinct()
    for plant in plants:
        mrp_run_request(plant=plant, trigger="nightly schedule")
    return len(plants)


@shared_task(acks_late=True)
def mrp_exceptions_task(run_id: int, item_ids: list[int] | None = None) -> dict:
    """Bring the workbench in line with what a finished run advises."""
    run = MrpRun.objects.select_related("plant").filter(pk=run_id).first()
    if run is None:
        return {}
    return mrp_exceptions_sync(plant=run.plant, item_ids=item_ids, run_id=run.pk)
