"""Inbound handlers, registered by the apps that own each message type (`<app>/inbound.py`)."""

from collections.abc import Callable
from dataclasses import dataclass

from integrations.models import InboundMessage

Handler = Callable[[InboundMessage, dict], None]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    object_type: str | None
    """The ownership object type checked before the handler runs; None when the handler checks
    the sender itself (e.g. a supplier's acknowledgement of its own PO)."""
    shares_lookups: bool = False
    """True when the handler changes nothing that handlers memoize within a drain (master
    data, ownership, code maps; see integrations.memo), so the next message may reuse them."""


_handlers: dict[str, Registration] = {}


def inbound_handler(message_type: str, *, object_type: str | None, shares_lookups: bool = False):
    def register(function: Handler) -> Handler:
        _handlers[message_type] = Registration(function, object_type, shares_lookups)
        return function

    return register


def registration_for(message_type: str) -> Registration | None:
    return _handlers.get(message_type)
