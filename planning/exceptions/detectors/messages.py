"""Dead messages: an inbound message Weft gave up applying, an outbound delivery that gave up.

Neither the inbox nor the delivery emits an event when a message dies, so these kinds are
found by the sweep; a replay from the console re-runs the detector for that message at once.
"""

from integrations.models import InboundMessage, OutboundMessage
from masterdata.models import Supplier
from planning.exceptions.registry import Detector, register
from planning.exceptions.services import Condition
from planning.models import PlanningException

Severity = PlanningException.Severity


def _supplier_of_system(system_id):
    return Supplier.objects.filter(external_system_id=system_id).first() if system_id else None


@register
class DeadInboundDetector(Detector):
    kind = PlanningException.Kind.DEAD_INBOUND
    model = InboundMessage
    object_field = "inbound_message"

    def prepare(self, queryset):
        return queryset.select_related("system").defer("body")

    def candidates(self):
        return InboundMessage.objects.filter(status=InboundMessage.Status.DEAD)

    def condition(self, message):
        if message.status != InboundMessage.Status.DEAD:
            return None
        kind = message.message_type or "message"
        return Condition(
            key=self.key(message),
            kind=self.kind,
            severity=Severity.HIGH,
            summary=f"Inbound {kind} from {message.system.code} is dead: {message.reason or 'no reason kept'}",
            supplier=_supplier_of_system(message.system_id),
            inbound_message=message,
            detail={
                "system": message.system.code,
                "message_type": message.message_type,
                "idempotency_key": message.idempotency_key,
                "correlation_id": message.correlation_id,
                "attempts": message.attempts,
                "reason": message.reason[:500],
            },
        )

    def clear_reason(self, message) -> str:
        if message.status == InboundMessage.Status.APPLIED:
            return "auto-closed: replayed and applied"
        if message.status == InboundMessage.Status.RECEIVED:
            return "auto-closed: replayed, being applied"
        return f"auto-closed: message {message.status}"


@register
class DeadOutboundDetector(Detector):
    kind = PlanningException.Kind.DEAD_OUTBOUND
    model = OutboundMessage
    object_field = "outbound_message"

    def prepare(self, queryset):
        return queryset.select_related("subscription__system", "event")

    def candidates(self):
        return OutboundMessage.objects.filter(status=OutboundMessage.Status.DEAD)

    def condition(self, message):
        if message.status != OutboundMessage.Status.DEAD:
            return None
        system = message.subscription.system
        answer = (
            f"HTTP {message.last_status_code}"
            if message.last_status_code
            else (message.last_error or "no answer")
        )
        return Condition(
            key=self.key(message),
            kind=self.kind,
            severity=Severity.HIGH,
            summary=f"{message.event.event_type} to {system.code} is dead after {message.attempts} attempts ({answer[:120]})",
            supplier=_supplier_of_system(system.pk),
            outbound_message=message,
            detail={
                "system": system.code,
                "event_type": message.event.event_type,
                "aggregate_key": message.aggregate_key,
                "correlation_id": message.event.correlation_id,
                "attempts": message.attempts,
                "last_status_code": message.last_status_code,
                "last_error": message.last_error[:500],
            },
        )

    def clear_reason(self, message) -> str:
        if message.status == OutboundMessage.Status.DELIVERED:
            return "auto-closed: replayed and delivered"
        return "auto-closed: replayed, delivery under way"
