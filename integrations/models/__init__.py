from integrations.models.codemaps import CodeMap
from integrations.models.inbox import InboundMessage
from integrations.models.outbox import DeliveryAttempt, Event, OutboundMessage, Subscription
from integrations.models.security import SecurityEvent
from integrations.models.systems import ApiKey, ExternalSystem, Ownership

__all__ = [
    "ApiKey",
    "CodeMap",
    "DeliveryAttempt",
    "Event",
    "ExternalSystem",
    "InboundMessage",
    "OutboundMessage",
    "Ownership",
    "SecurityEvent",
    "Subscription",
]
