"""Who changed a record: a user, or an external system and the inbound message behind the change.

Services and inbound handlers run inside `acting_as(...)`; every history row written meanwhile
names that actor. Outside a scope, simple-history falls back to the request's user.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from simple_history.models import HistoricalRecords


@dataclass(frozen=True)
class Actor:
    user: object | None = None
    system_code: str = ""
    message_id: str = ""

    def __str__(self) -> str:
        if self.system_code:
            suffix = f" (message {self.message_id})" if self.message_id else ""
            return f"system {self.system_code}{suffix}"
        return str(self.user) if self.user is not None else "unknown"


_current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("actor", default=None)


def current_actor() -> Actor | None:
    return _current_actor.get()


@contextmanager
def acting_as(*, user=None, system_code: str = "", message_id: str = "") -> Iterator[Actor]:
    actor = Actor(user=user, system_code=system_code, message_id=str(message_id or ""))
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


class ActorHistory(models.Model):
    """Extra columns on every historical table: the system and message that made the change."""

    history_system = models.CharField(max_length=50, blank=True, default="")
    history_message = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        abstract = True


def _history_user(instance=None, request=None, **kwargs):
    actor = _current_actor.get()
    if actor is not None:
        return actor.user if isinstance(actor.user, AbstractBaseUser) else None
    user = getattr(request, "user", None)
    # A partner system's principal is no user; its changes are named by history_system instead.
    return user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None


def audited(**kwargs) -> HistoricalRecords:
    """History for a canonical table, recording the user or system behind every change."""
    return HistoricalRecords(bases=[ActorHistory], get_user=_history_user, **kwargs)


def _fill_actor_fields(sender, history_instance, **kwargs) -> None:
    actor = _current_actor.get()
    if actor is not None:
        history_instance.history_system = actor.system_code
        history_instance.history_message = actor.message_id


def connect_actor_fields() -> None:
    from simple_history.signals import pre_create_historical_record

    pre_create_historical_record.connect(_fill_actor_fields, dispatch_uid="weft-actor-fields")


def actor_history_attrs() -> dict:
    """Columns for `bulk_*_with_history`, which bypass the per-row signal."""
    actor = _current_actor.get()
    if actor is None:
        return {}
    return {"history_system": actor.system_code, "history_message": actor.message_id}
