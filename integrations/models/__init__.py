from integrations.models.codemaps import CodeMap
from integrations.models.connectors import (
    ApiCall,
    ApiCallMessage,
    Connector,
    ExternalReference,
    Mapping,
    MappingVersion,
    PartnerApi,
    PulledRecord,
    SyncRun,
)
from integrations.models.inbox import InboundMessage
from integrations.models.outbox import DeliveryAttempt, Event, OutboundMessage, Subscription
from integrations.models.security import SecurityEvent
from integrations.models.systems import ApiKey, ExternalSystem, Ownership

__all__ = [
    "ApiCall",
    "ApiCallMessage",
    "ApiKey",
    "CodeMap",
    "Connector",
    "DeliveryAttempt",
    "Event",
    "ExternalReference",
    "ExternalSystem",
    "InboundMessage",
    "Mapping",
    "MappingVersion",
    "OutboundMessage",
    "Ownership",
    "PartnerApi",
    "PulledRecord",
    "SecurityEvent",
    "Subscription",
    "SyncRun",
]
