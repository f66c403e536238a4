"""Planning tables, one module per responsibility; this package only re-exports them."""

from planning.models.demand import DemandOrder, DemandOrderLine
from planning.models.exceptions import ExceptionEvent, PlanningException
from planning.models.forecasts import (
    ForecastAccuracy,
    ForecastLine,
    ForecastPolicy,
    ForecastVersion,
)
from planning.models.mrp import (
    MrpMessage,
    MrpRecord,
    MrpRun,
    NetChangeRequest,
    PlannedOrder,
    PlantPlanningSettings,
    SupplierPlanningSettings,
)

__all__ = [
    "DemandOrder",
    "DemandOrderLine",
    "ExceptionEvent",
    "ForecastAccuracy",
    "ForecastLine",
    "ForecastPolicy",
    "ForecastVersion",
    "MrpMessage",
    "MrpRecord",
    "MrpRun",
    "NetChangeRequest",
    "PlannedOrder",
    "PlanningException",
    "PlantPlanningSettings",
    "SupplierPlanningSettings",
]
