"""Thin Celery tasks, one module per queue; Celery's autodiscovery imports this package."""

from integrations.tasks import delivery, inbox, outbox, retention

__all__ = ["delivery", "inbox", "outbox", "retention"]
