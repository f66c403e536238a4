"""Detectors, one per kind, registered here; the subscriber and the sweep ask this registry.

A detector answers three questions:

- `objects_for_event(event)`: which of its objects an outbox event touched (empty if none);
- `condition(obj)`: the `Condition` for one object, or None when it holds no more;
- `candidates()`: every object that may hold the condition now (for the sweep).

`detect(objects)` then raises, refreshes or closes by itself; `sweep()` runs `detect` over the
candidates and the objects of its still-open exceptions, so a condition that cleared without
an event still closes.
"""

from collections.abc import Iterable

from django.db import models

from planning.exceptions.services import Condition, exception_close, exception_raise_or_refresh
from planning.models import PlanningException

SWEEP_BATCH = 500

_detectors: dict[str, "Detector"] = {}


class Detector:
    kind: str = ""
    model: type[models.Model]
    # The exception column pointing at this detector's object, when there is one.
    object_field: str = ""
    event_types: tuple[str, ...] = ()

    def key(self, obj) -> str:
        return f"{self.kind}:{self.object_field}:{obj.pk}"

    def condition(self, obj) -> Condition | None:
        raise NotImplementedError

    def clear_reason(self, obj) -> str:
        return "auto-closed: condition cleared"

    def candidates(self) -> models.QuerySet:
        raise NotImplementedError

    def objects_for_event(self, event) -> models.QuerySet | list:
        return []

    def prepare(self, queryset: models.QuerySet) -> models.QuerySet:
        """Load what `condition` reads in the fewest queries."""
        return queryset

    def open_object_ids(self) -> models.QuerySet:
        return (
            PlanningException.objects.open()
            .filter(kind=self.kind)
            .values_list(f"{self.object_field}_id", flat=True)
        )

    def detect(self, objects: Iterable) -> dict[str, int]:
        """Re-evaluate these objects: raise or refresh what holds, close what cleared."""
        counts = {"raised": 0, "reopened": 0, "refreshed": 0, "kept resolved": 0, "closed": 0}
        for obj in objects:
            condition = self.condition(obj)
            if condition is not None:
                _, outcome = exception_raise_or_refresh(condition)
                counts[outcome] += 1
            elif exception_close(key=self.key(obj), reason=self.clear_reason(obj)) is not None:
                counts["closed"] += 1
        return counts

    def sweep(self) -> dict[str, int]:
        ids = set(self.candidates().values_list("pk", flat=True))
        ids.update(pk for pk in self.open_object_ids() if pk is not None)
        totals: dict[str, int] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), SWEEP_BATCH):
            batch = self.prepare(
                self.model.objects.filter(pk__in=ordered[start : start + SWEEP_BATCH])
            )
            for name, count in self.detect(batch).items():
                totals[name] = totals.get(name, 0) + count
        return totals


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: one detector instance per kind."""
    _detectors[cls.kind] = cls()
    return cls


def detectors() -> dict[str, Detector]:
    from planning.exceptions import detectors as _modules  # noqa: F401  (registers them)

    return dict(_detectors)


def detector(kind: str) -> Detector:
    return detectors()[kind]
