"""Thin Celery tasks for the workbench: the sweep and the snooze alarm clock."""

from celery import shared_task

from planning.exceptions.registry import detectors
from planning.exceptions.services import exceptions_wake_snoozed


@shared_task(acks_late=True)
def sweep_exceptions() -> dict:
    """Beat: every detector re-checks every object that may hold its condition."""
    return {kind: found.sweep() for kind, found in detectors().items()}


@shared_task
def wake_snoozed_exceptions() -> int:
    """Beat: put exceptions whose snooze ran out back in the list."""
    return exceptions_wake_snoozed()
