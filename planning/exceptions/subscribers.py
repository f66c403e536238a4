"""Re-run each detector for the objects an event touched, as an outbox subscriber."""

from integrations.outbox import subscriber
from planning.exceptions.registry import detectors


def _event_types() -> tuple[str, ...]:
    return tuple(sorted({t for d in detectors().values() for t in d.event_types}))


@subscriber(*_event_types())
def detect_exceptions_for_event(event) -> None:
    for found in detectors().values():
        if event.event_type in found.event_types:
            objects = found.objects_for_event(event)
            if objects:
                found.detect(objects)
