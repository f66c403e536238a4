"""Thin Celery tasks, one module per queue; Celery's autodiscovery imports this package."""

from integrations.tasks import connectors, delivery, inbox, outbox, retention

__all__ = ["connectors", "delivery", "inbox", "outbox", "retention"]
