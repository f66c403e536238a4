"""Planning tables, one module per responsibility; this package only re-exports them."""

from planning.models.exceptions import ExceptionEvent, PlanningException

__all__ = ["ExceptionEvent", "PlanningException"]
